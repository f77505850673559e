import { ClusterFirewalls } from "../../src/infra/firewalls";
import type { FirewallModel } from "../../src/model/network";
import { evaluateProgram, type Evaluation } from "../../src/plan/evaluate";

/** ClusterFirewalls on its own, from a hand-made slice of the model: what it creates of each firewall. */

const FIREWALLS: FirewallModel[] = [
  {
    name: "nodes",
    selector: "cluster=c1,role",
    inbound: [
      { description: "SSH", protocol: "tcp", port: "22", sourceIps: ["198.51.100.7/32"] },
      { description: "ICMP", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"] },
    ],
  },
  { name: "gateway", selector: "gateway-of=c1", inbound: [] },
];

let evaluation: Evaluation;
beforeAll(async () => {
  evaluation = await evaluateProgram("components", (opts) => {
    new ClusterFirewalls(
      "firewalls",
      { clusterName: "c1", firewalls: FIREWALLS, labels: { cluster: "c1" } },
      opts,
    );
    return {};
  });
});

describe("ClusterFirewalls", () => {
  it("creates one Hetzner firewall per model entry, named after the cluster, under the component", () => {
    const firewalls = evaluation.resources.filter(
      (resource) => resource.type === "hcloud:index/firewall:Firewall",
    );
    expect(firewalls.map((firewall) => [firewall.name, firewall.inputs.name])).toEqual([
      ["firewall-gateway", "c1-gateway"],
      ["firewall-nodes", "c1-nodes"],
    ]);
    for (const firewall of firewalls)
      expect(firewall.parent).toMatch(/hetzner-k8s:infra:ClusterFirewalls::firewalls$/);
  });

  it("applies each by the model's label selector, with the model's rules inbound and nothing else", () => {
    const nodes = evaluation.resources.find((resource) => resource.name === "firewall-nodes");
    expect(nodes?.inputs).toMatchObject({
      labels: { cluster: "c1" },
      applyTos: [{ labelSelector: "cluster=c1,role" }],
      rules: [
        { direction: "in", description: "SSH", protocol: "tcp", port: "22", sourceIps: ["198.51.100.7/32"] },
        { direction: "in", description: "ICMP", protocol: "icmp", sourceIps: ["0.0.0.0/0", "::/0"] },
      ],
    });
    const gateway = evaluation.resources.find((resource) => resource.name === "firewall-gateway");
    expect(gateway?.inputs.rules).toEqual([]);
  });
});
