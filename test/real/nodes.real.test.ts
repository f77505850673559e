import { spawnSync } from "node:child_process";
import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { readNodeScript } from "../../src/remote/remoteScript";
import { Kubectl } from "./harness/kubectl";
import { editedConfig } from "../helpers/plan";
import { kubernetesLayersProgram } from "./harness/program";
import { changes, nameOf, RealStack } from "./harness/stack";

/**
 * Node metadata on Nodes left the way k3s's kubelet and the Hetzner cloud controller leave them: the
 * labels through the program's NodePatches under the real engine, the taints through
 * scripts/apply-node-taints.sh with the real kubectl. Configured labels and taints come and go; nothing
 * else on the Node is touched.
 */

const admin = Kubectl.admin();
const UNINITIALIZED = "node.cloudprovider.kubernetes.io/uninitialized";

interface Taint {
  key: string;
  value?: string;
  effect: string;
}
interface LiveNode {
  metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
  spec: { taints?: Taint[]; providerID?: string };
}

/** dev's nodes without tenants; worker-1 with a label and a taint of its own. */
function nodesConfig(edit?: (config: StackConfig) => void): StackConfig {
  return editedConfig("dev", (config) => {
    config.tenants = [];
    config.nodes[3].labels = { "workload/class": "batch" };
    config.nodes[3].taints = [{ key: "dedicated", value: "batch", effect: "NoSchedule" }];
    edit?.(config);
  });
}

const liveNode = (name: string) => admin.json<LiveNode>(["get", "node", name]);
const taintsOf = (name: string) =>
  (liveNode(name).spec.taints ?? [])
    .map((taint) => `${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`)
    .sort();

/** What k3s's kubelet registers: its own labels, the configured ones, the configured taints and the cloud taint. */
function registerAsKubelet(config: StackConfig): void {
  for (const node of buildClusterModel(config).k3s.nodes) {
    const registration = node.registration as { "node-label"?: string[]; "node-taint"?: string[] };
    const labels = Object.fromEntries((registration["node-label"] ?? []).map((label) => label.split("=")));
    const taints = [...(registration["node-taint"] ?? []), `${UNINITIALIZED}=true:NoSchedule`].map((text) => {
      const [keyValue, effect] = text.split(":");
      const [key, value] = keyValue.split("=");
      return { key, value, effect };
    });
    const manifest = {
      apiVersion: "v1",
      kind: "Node",
      metadata: {
        name: node.serverName,
        labels: { ...labels, "kubernetes.io/hostname": node.serverName, "kubernetes.io/os": "linux" },
      },
      spec: { taints },
    };
    // The kubelet creates its Node (a create, not an apply), under k3s's field manager.
    admin.ok(["create", "--field-manager=k3s", "-f", "-"], JSON.stringify(manifest));
  }
}

/** What the cloud controller does when it initializes a node. */
function initializeAsCloudController(serverName: string): void {
  admin.ok(
    ["apply", "--server-side", "--field-manager=hcloud-cloud-controller-manager", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: serverName, labels: { "node.kubernetes.io/instance-type": "cx23" } },
      spec: { providerID: "hcloud://4711" },
    }),
  );
  admin.ok(["taint", "node", serverName, `${UNINITIALIZED}:NoSchedule-`]);
}

/** scripts/apply-node-taints.sh with the real kubectl, as the initial server runs it: after the prelude. */
function runTaintsScript(serverName: string, taints: string) {
  return spawnSync("bash", ["-s"], {
    input: readNodeScript("apply-node-taints"),
    encoding: "utf8",
    env: {
      ...process.env,
      KUBECONFIG: admin.kubeconfigPath,
      KUBECTL: "kubectl",
      NODE_NAME: serverName,
      NODE_TAINTS: taints,
    },
  });
}

/** The taints command of the program for one node of the config. */
function applyTaints(config: StackConfig, nodeName: string): string {
  const node = buildClusterModel(config).k3s.nodes.find((n) => n.name === nodeName);
  if (!node) throw new Error(`no node ${nodeName}`);
  const result = runTaintsScript(node.serverName, node.taints.join("\n"));
  if (result.status !== 0) throw new Error(`apply-node-taints.sh failed: ${result.stderr}`);
  return result.stdout;
}

let stack: RealStack;
const worker = "dev-worker-1";

beforeAll(async () => {
  stack = await RealStack.create("nodes");
  // Another file's NodePatches may have left Nodes behind (server-side apply creates a missing object):
  // start from none, as a new cluster does.
  admin.ok(["delete", "nodes", "--all", "--wait"]);
  registerAsKubelet(nodesConfig());
});

afterAll(async () => {
  await stack?.remove();
});

describe("node labels and taints on registered Nodes", () => {
  it("applies the configured labels and keeps the cloud controller's uninitialized taint", async () => {
    const config = nodesConfig();
    const { steps } = await stack.up(kubernetesLayersProgram(config));
    const patches = changes(steps).filter((step) => step.type === "kubernetes:core/v1:NodePatch");
    expect(patches.map((step) => `${step.op} ${nameOf(step.urn)}`).sort()).toEqual([
      "create cp-1",
      "create cp-2",
      "create cp-3",
      "create worker-1",
    ]);
    for (const node of ["cp-1", "cp-2", "cp-3", "worker-1"]) applyTaints(config, node);
    const live = liveNode(worker);
    expect(live.metadata.labels).toMatchObject({
      "workload/class": "batch",
      "hetzner-k8s.io/node": "worker-1",
      "kubernetes.io/hostname": worker,
    });
    expect(taintsOf(worker)).toEqual(
      expect.arrayContaining(["dedicated=batch:NoSchedule", `${UNINITIALIZED}=true:NoSchedule`]),
    );
    expect(taintsOf("dev-cp-1")).toContain(`${UNINITIALIZED}=true:NoSchedule`);
    // Once initialized, the cloud controller's own label and provider ID stay through a second run.
    initializeAsCloudController(worker);
    const second = await stack.up(kubernetesLayersProgram(config));
    expect(changes(second.steps)).toEqual([]);
    applyTaints(config, "worker-1");
    expect(taintsOf(worker)).not.toContain(`${UNINITIALIZED}=true:NoSchedule`);
    expect(liveNode(worker).spec.providerID).toBe("hcloud://4711");
    expect(liveNode(worker).metadata.labels["node.kubernetes.io/instance-type"]).toBe("cx23");
  });

  it("adds a label and a taint with one NodePatch update and one taint change", async () => {
    const config = nodesConfig((c) => {
      c.nodes[3].labels = { "workload/class": "batch", "workload/tier": "gold" };
      c.nodes[3].taints = [
        { key: "dedicated", value: "batch", effect: "NoSchedule" },
        { key: "spot", effect: "PreferNoSchedule" },
      ];
    });
    const { steps } = await stack.up(kubernetesLayersProgram(config));
    expect(changes(steps).map((step) => `${step.op} ${step.type} ${nameOf(step.urn)}`)).toEqual([
      "update kubernetes:core/v1:NodePatch worker-1",
    ]);
    applyTaints(config, "worker-1");
    expect(liveNode(worker).metadata.labels["workload/tier"]).toBe("gold");
    expect(taintsOf(worker)).toEqual(
      expect.arrayContaining(["dedicated=batch:NoSchedule", "spot:PreferNoSchedule"]),
    );
  });

  it("removes a label and a taint it set, the registration taint included, and nothing else", async () => {
    // Another party's taint, e.g. a cordon or an operator's maintenance taint.
    admin.ok(["taint", "node", worker, "maintenance=planned:NoSchedule"]);
    const config = nodesConfig((c) => {
      c.nodes[3].labels = { "workload/tier": "gold" };
      c.nodes[3].taints = [{ key: "spot", effect: "PreferNoSchedule" }];
    });
    const { steps } = await stack.up(kubernetesLayersProgram(config));
    expect(changes(steps).map((step) => `${step.op} ${nameOf(step.urn)}`)).toEqual(["update worker-1"]);
    applyTaints(config, "worker-1");
    const labels = liveNode(worker).metadata.labels;
    expect(labels["workload/class"]).toBeUndefined();
    expect(labels["workload/tier"]).toBe("gold");
    expect(labels["node.kubernetes.io/instance-type"]).toBe("cx23");
    expect(taintsOf(worker)).toEqual(
      expect.arrayContaining(["spot:PreferNoSchedule", "maintenance=planned:NoSchedule"]),
    );
    expect(taintsOf(worker)).not.toContain("dedicated=batch:NoSchedule");
  });

  it("refuses a taint it cannot read, naming the variable, and changes nothing", () => {
    const before = taintsOf(worker);
    const result = runTaintsScript(worker, "no-effect");
    expect(result.status).toBe(1);
    expect(result.stderr).toContain("NODE_TAINTS: 'no-effect' is not key[=value]:Effect");
    expect(taintsOf(worker)).toEqual(before);
  });

  it("leaves the Nodes and what others set on them when the stack is destroyed", async () => {
    const steps = await stack.destroy();
    expect(changes(steps).every((step) => step.op === "delete")).toBe(true);
    const live = liveNode(worker);
    expect(live.metadata.labels["kubernetes.io/hostname"]).toBe(worker);
    expect(live.metadata.labels["node.kubernetes.io/instance-type"]).toBe("cx23");
    expect(live.spec.providerID).toBe("hcloud://4711");
  });
});
