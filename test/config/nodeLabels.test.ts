import { nodesOf, problemsAfter, type RawNode } from "./fixtures";

const worker = (nodes: RawNode[]) => nodes[3];

describe("node labels", () => {
  it.each([
    ["topology.kubernetes.io/zone", "the Hetzner cloud controller (the datacenter, e.g. fsn1-dc14)"],
    ["node.kubernetes.io/instance-type", "the Hetzner cloud controller"],
    ["kubernetes.io/hostname", "the kubelet"],
    ["node-role.kubernetes.io/control-plane", "k3s"],
    ["hetzner-k8s.io/volume", "this program (node name, role, volume and pool)"],
    ["csi.hetzner.cloud/location", "the Hetzner cloud controller and CSI driver"],
    ["p2p.k3s.io/peer", "k3s"],
  ])("refuses %s, which %s writes", (labelKey, owner) => {
    expect(problemsAfter((_, nodes) => (worker(nodes).labels = { [labelKey]: "x" }))).toEqual([
      expect.stringMatching(
        new RegExp(
          `^hetzner-k8s:nodes\\[3\\]\\.labels\\.${labelKey.replace(/[.]/g, "\\.")}: is set by ${owner.replace(/[()]/g, "\\$&")}; `,
        ),
      ),
    ]);
  });

  it.each(["node.kubernetes.io/pool", "node-role.kubernetes.io/database", "example.com/tier", "tier"])(
    "accepts %s, which only the program's Node patch writes",
    (labelKey) => {
      expect(problemsAfter((_, nodes) => (worker(nodes).labels = { [labelKey]: "x" }))).toEqual([]);
    },
  );

  it("reports every owned label of every node", () => {
    const problems = problemsAfter((raw) => {
      const nodes = nodesOf(raw);
      nodes[0].labels = { "kubernetes.io/os": "linux" };
      nodes[3].labels = { "topology.kubernetes.io/region": "eu-central", ok: "yes" };
    });
    expect(problems.map((line) => line.slice(0, line.indexOf(":", "hetzner-k8s:".length)))).toEqual([
      "hetzner-k8s:nodes[0].labels.kubernetes.io/os",
      "hetzner-k8s:nodes[3].labels.topology.kubernetes.io/region",
    ]);
  });
});
