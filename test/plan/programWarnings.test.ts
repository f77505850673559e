import * as pulumi from "@pulumi/pulumi";
import { deploymentOf } from "../../src/config/transition";
import { devRaw, key, nodesOf, parsedAfter } from "../config/fixtures";

/**
 * The Pulumi program (index.ts) prints the server-type notices the plan prints, as engine warnings. Its
 * inputs (config, last deployment, token) and the cluster itself are replaced: only what index.ts does
 * between them is under test.
 */

describe("the Pulumi program's server-type warnings", () => {
  it("warns once per notice, with the key, and still defines the cluster", async () => {
    const raw = devRaw();
    nodesOf(raw)[3].serverType = "cx32";
    // Public addresses, so that the sources a deployment refuses do not stop the program first.
    raw[key("sshAllowedSources")] = ["1.2.3.4/32"];
    raw[key("apiAllowedSources")] = ["1.2.3.4/32"];
    // The last deployment runs worker-1 as a cx32, bought while Hetzner still sold it.
    const deployed = deploymentOf(parsedAfter(() => undefined));
    const last = {
      ...deployed,
      nodes: deployed.nodes.map((node) =>
        node.name === "worker-1" ? { ...node, serverType: "cx32" } : node,
      ),
    };
    const defineCluster = jest.fn(() => ({}));
    jest.doMock("../../src/config/lastDeployment", () => ({
      readLastDeployment: () => Promise.resolve(last),
    }));
    jest.doMock("../../src/config/pulumiConfig", () => ({
      readPulumiStackSource: () => ({ raw, secretKeys: new Set() }),
    }));
    jest.doMock("../../src/config/credentials", () => ({ readHcloudToken: () => pulumi.secret("token") }));
    jest.doMock("../../src/program", () => ({ defineCluster }));
    const warn = jest.spyOn(pulumi.log, "warn").mockResolvedValue(undefined);

    // index.ts is `export =` the program's promise; jest.requireActual loads it through the mocks above.
    await jest.requireActual<Promise<unknown>>("../../index");

    expect(warn.mock.calls).toEqual([
      [
        'hetzner-k8s:nodes[3].serverType: "cx32" is no longer sold: Hetzner stopped selling it after 2025-12-31 ' +
          "and removed it from its API; this node keeps its running server, but a node replacing it must use " +
          '"cx33" (4 vCPU, 8 GB RAM, 80 GB disk)',
      ],
    ]);
    expect(defineCluster).toHaveBeenCalledTimes(1);
  });
});
