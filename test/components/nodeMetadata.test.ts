import type * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NodeMetadata, type NodeMetadataSlice } from "../../src/k3s/nodeMetadata";
import { HAS_VOLUME_LABEL } from "../../src/model/platform/storage";
import { StandIn } from "./standIn";
import { evaluateProgram, type Evaluation } from "../../src/plan/evaluate";

/** NodeMetadata on its own, from hand-made node slices: one label patch per Node, after what registers it. */

const NODES: NodeMetadataSlice[] = [
  { name: "cp-1", serverName: "c1-cp-1", kubernetesLabels: { "node.kubernetes.io/pool": "general" } },
  { name: "db-1", serverName: "c1-db-1", kubernetesLabels: { [HAS_VOLUME_LABEL]: "true" } },
];

async function evaluate(
  registered: (steps: Map<string, StandIn>) => Map<string, pulumi.Resource[]>,
): Promise<Evaluation> {
  return evaluateProgram("components", (opts) => {
    const provider = new k8s.Provider("cluster", { kubeconfig: "apiVersion: v1" });
    const steps = new Map(
      ["cp-1-bootstrap", "db-1-bootstrap", "db-1-volume"].map((name) => [name, new StandIn(name)]),
    );
    new NodeMetadata("node-metadata", { nodes: NODES, provider, registered: registered(steps) }, opts);
    return {};
  });
}

describe("NodeMetadata", () => {
  it("patches each Node's labels, forced, once the node is registered and its volume mounted", async () => {
    const evaluation = await evaluate(
      (steps) =>
        new Map([
          ["cp-1", [steps.get("cp-1-bootstrap") as StandIn]],
          ["db-1", [steps.get("db-1-bootstrap") as StandIn, steps.get("db-1-volume") as StandIn]],
        ]),
    );
    const patches = evaluation.resources.filter(
      (resource) => resource.type === "kubernetes:core/v1:NodePatch",
    );
    expect(patches.map((patch) => [patch.name, patch.inputs.metadata])).toEqual([
      [
        "cp-1",
        {
          name: "c1-cp-1",
          labels: { "node.kubernetes.io/pool": "general" },
          annotations: { "pulumi.com/patchForce": "true" },
        },
      ],
      [
        "db-1",
        {
          name: "c1-db-1",
          labels: { [HAS_VOLUME_LABEL]: "true" },
          annotations: { "pulumi.com/patchForce": "true" },
        },
      ],
    ]);
    const db = patches.find((patch) => patch.name === "db-1");
    expect(db?.dependencies).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/::db-1-bootstrap$/),
        expect.stringMatching(/::db-1-volume$/),
      ]),
    );
    // The taint list is atomic: a patch of it would strip the cloud controller's; no patch sets taints.
    for (const patch of patches) expect(patch.inputs.spec).toBeUndefined();
  });

  it("refuses a node labelled as having a volume with nothing that mounts it", async () => {
    await expect(
      evaluate((steps) => new Map([["db-1", [steps.get("db-1-bootstrap") as StandIn]]])),
    ).rejects.toThrow(
      `node db-1 is labelled ${HAS_VOLUME_LABEL}=true but has no command that mounts its volume`,
    );
  });
});
