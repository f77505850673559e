import { parsedAfter, problemsAfter, key } from "./fixtures";
import { buildClusterModel } from "../../src/model/cluster";

/** An autoscaled pool of the dev stack (network 10.0.0.0/16, nodes in 10.0.1.0/24): its own subnet above. */
function autoscaled(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: "burst",
    autoscaling: { min: 1, max: 4 },
    serverType: "cx33",
    ipRange: "10.0.2.0/24",
    ...overrides,
  };
}

const withPools =
  (...pools: Record<string, unknown>[]) =>
  (raw: Record<string, unknown>) => {
    raw[key("nodePools")] = pools;
  };

describe("autoscaled node pools", () => {
  it("expand into no node of the stack: the cluster-autoscaler creates their servers", () => {
    const config = parsedAfter(withPools(autoscaled()));
    expect(config.nodes.map((node) => node.name)).toEqual(["cp-1", "cp-2", "cp-3", "worker-1"]);
    const model = buildClusterModel(config);
    expect(model.autoscaling.pools).toEqual([
      expect.objectContaining({
        name: "burst",
        nodeGroup: "dev-burst",
        min: 1,
        max: 4,
        subnet: "10.0.2.0/24",
        placementGroup: "pool-burst",
        location: "fsn1",
      }),
    ]);
    expect(model.placementGroups).toContain("pool-burst");
    expect(model.nodePools).toEqual([
      expect.objectContaining({
        name: "burst",
        count: 0,
        autoscaling: { min: 1, max: 4, nodeGroup: "dev-burst" },
        capacity: 253,
        nodes: [],
      }),
    ]);
  });

  it("need count or autoscaling, and never both", () => {
    const fixed = { name: "general", serverType: "cx33", ipRange: "10.0.1.64/28" };
    expect(problemsAfter(withPools(fixed))).toEqual([
      "hetzner-k8s:nodePools[0].count: required: the number of nodes, or autoscaling {min, max} for an autoscaled pool",
    ]);
    expect(problemsAfter(withPools(autoscaled({ count: 2 })))).toEqual([
      "hetzner-k8s:nodePools[0].count: an autoscaled pool has no count: the cluster-autoscaler keeps it between autoscaling.min and autoscaling.max",
    ]);
  });

  it("refuse a min above max, a max above the placement group's ten, and a max the range cannot hold", () => {
    expect(problemsAfter(withPools(autoscaled({ autoscaling: { min: 5, max: 3 } })))).toEqual([
      "hetzner-k8s:nodePools[0].autoscaling.min: min 5 is above max 3",
    ]);
    expect(problemsAfter(withPools(autoscaled({ autoscaling: { min: 0, max: 11 } })))).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.autoscaling\.max: max 11 is more than the 10 servers of the pool's spread placement group; split/,
      ),
    ]);
    expect(
      problemsAfter(withPools(autoscaled({ ipRange: "10.0.2.0/29", autoscaling: { min: 0, max: 6 } }))),
    ).toEqual([
      "hetzner-k8s:nodePools[0].autoscaling.max: max 6 does not fit ipRange 10.0.2.0/29, which holds 5 servers (10.0.2.2 to 10.0.2.6); use a larger range",
    ]);
    expect(
      problemsAfter(withPools(autoscaled({ ipRange: "10.0.2.0/29", autoscaling: { min: 0, max: 5 } }))),
    ).toEqual([]);
  });

  it("keep their subnet inside the network and outside the node subnet and every other pool", () => {
    expect(problemsAfter(withPools(autoscaled({ ipRange: "10.0.1.128/25" })))).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.ipRange: 10\.0\.1\.128\/25 overlaps the node subnet 10\.0\.1\.0\/24: an autoscaled pool's range becomes a Hetzner subnet of its own/,
      ),
    ]);
    expect(problemsAfter(withPools(autoscaled({ ipRange: "10.1.0.0/24" })))).toEqual([
      "hetzner-k8s:nodePools[0].ipRange: 10.1.0.0/24 is outside the network 10.0.0.0/16: an autoscaled pool's range becomes a subnet of the network",
    ]);
    expect(
      problemsAfter(withPools(autoscaled(), autoscaled({ name: "other", ipRange: "10.0.2.128/25" }))),
    ).toEqual([
      "hetzner-k8s:nodePools[1].ipRange: 10.0.2.128/25 overlaps nodePools[0].ipRange 10.0.2.0/24; each pool needs a range of its own",
    ]);
  });

  it("refuse what the cluster-autoscaler cannot give a server: a volume, delete protection", () => {
    expect(problemsAfter(withPools(autoscaled({ volumeSizeGb: 20, deleteProtection: true })))).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.volumeSizeGb: an autoscaled pool's nodes get no volume/,
      ),
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.deleteProtection: an autoscaled pool cannot be delete-protected/,
      ),
    ]);
  });

  it("check the server type, the location and the taints once, at the pool's keys", () => {
    expect(problemsAfter(withPools(autoscaled({ serverType: "cx99" })))).toEqual([
      'hetzner-k8s:nodePools[0].serverType: unknown server type "cx99"',
    ]);
    expect(problemsAfter(withPools(autoscaled({ location: "ash" })))).toEqual([
      "hetzner-k8s:nodePools[0].location: ash is in network zone us-east, but the cluster's network is in eu-central (fsn1)",
      'hetzner-k8s:nodePools[0].serverType: "cx33" is not offered in ash (offered in fsn1, nbg1, hel1)',
    ]);
    const taint = { key: "dedicated", value: "burst", effect: "NoSchedule" };
    expect(problemsAfter(withPools(autoscaled({ taints: [taint, taint] })))).toEqual([
      "hetzner-k8s:nodePools[0].taints[1]: duplicate taint dedicated:NoSchedule",
    ]);
  });

  it("refuse labels the kubelet will not register with, and the program's own", () => {
    expect(problemsAfter(withPools(autoscaled({ labels: { "node-role.kubernetes.io/burst": "" } })))).toEqual(
      [
        expect.stringMatching(
          /^hetzner-k8s:nodePools\[0\]\.labels\.node-role\.kubernetes\.io\/burst: the kubelet refuses kubernetes\.io and k8s\.io labels at registration/,
        ),
      ],
    );
    expect(problemsAfter(withPools(autoscaled({ labels: { "hetzner-k8s.io/pool": "x" } })))).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.labels\.hetzner-k8s\.io\/pool: is set by this program/,
      ),
    ]);
    expect(problemsAfter(withPools(autoscaled({ labels: { "node.kubernetes.io/pool": "burst" } })))).toEqual(
      [],
    );
  });

  it("keep the node group short enough for the cluster-autoscaler's server names", () => {
    const name = "b".repeat(30);
    const longCluster = (raw: Record<string, unknown>) => {
      withPools(autoscaled({ name }))(raw);
      raw[key("clusterName")] = "a-cluster-of-twenty1";
    };
    expect(problemsAfter(longCluster)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^hetzner-k8s:nodePools\\[0\\]\\.name: the pool's node group a-cluster-of-twenty1-${name} is 51 characters`,
        ),
      ),
    ]);
    expect(problemsAfter(withPools(autoscaled({ name: "c".repeat(36) })))).toEqual([]);
  });
});
