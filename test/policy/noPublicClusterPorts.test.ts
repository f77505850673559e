import {
  FIREWALL_TYPE,
  noPublicClusterPorts,
  parsePortRange,
  protocolCovers,
} from "../../policy/policies/noPublicClusterPorts";
import { previewProps, runResource, UNKNOWN_STRING } from "./helpers";

const ANYWHERE = ["0.0.0.0/0", "::/0"];

function firewall(rules: Record<string, unknown>[]) {
  return runResource(noPublicClusterPorts, FIREWALL_TYPE, "firewall-nodes", { name: "dev-nodes", rules });
}

describe("no-public-cluster-ports", () => {
  it("accepts the shipped rules: ICMP from anywhere, SSH and the API from given sources", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "icmp", sourceIps: ANYWHERE },
      { direction: "in", protocol: "tcp", port: "22", sourceIps: ["203.0.113.0/24"] },
      { direction: "in", protocol: "tcp", port: "6443", sourceIps: ["198.51.100.10/32"] },
      { direction: "in", protocol: "tcp", port: "80-443", sourceIps: ANYWHERE },
    ]);
    expect(violations).toEqual([]);
  });

  it("accepts outbound rules to any port", async () => {
    const violations = await firewall([
      { direction: "out", protocol: "tcp", port: "any", destinationIps: ANYWHERE },
      { direction: "out", protocol: "udp", port: "1-65535", destinationIps: ANYWHERE },
    ]);
    expect(violations).toEqual([]);
  });

  it("ignores resources of other types", async () => {
    const violations = await runResource(noPublicClusterPorts, "hcloud:index/server:Server", "cp-1", {
      rules: [{ direction: "in", protocol: "tcp", port: "2379" }],
    });
    expect(violations).toEqual([]);
  });

  it("refuses etcd open to the internet, naming the firewall, the rule and the service", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "icmp", sourceIps: ANYWHERE },
      { direction: "in", protocol: "tcp", port: "2379", sourceIps: ANYWHERE },
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain('firewall "firewall-nodes" (dev-nodes)');
    expect(violations[0].message).toContain("inbound rule #2 (tcp 2379 from 0.0.0.0/0, ::/0)");
    expect(violations[0].message).toContain("etcd (tcp 2379-2380)");
  });

  it("refuses cluster ports from any source, not only from the internet", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "tcp", port: "10250", sourceIps: ["203.0.113.7/32"] },
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain("kubelet (tcp 10250)");
  });

  it("refuses tcp 1-65535, listing every TCP cluster port it opens", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "tcp", port: "1-65535", sourceIps: ANYWHERE },
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain(
      "opens etcd (tcp 2379-2380), kubelet (tcp 10250) and NodePorts (tcp 30000-32767)",
    );
    expect(violations[0].message).not.toContain("flannel");
  });

  it("refuses flannel VXLAN (udp 8472) and WireGuard (udp 51820-51821)", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "udp", port: "8472", sourceIps: ANYWHERE },
      { direction: "in", protocol: "udp", port: "51821", sourceIps: ANYWHERE },
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining("rule #1 (udp 8472 from 0.0.0.0/0, ::/0) opens flannel VXLAN (udp 8472)"),
      expect.stringContaining(
        "rule #2 (udp 51821 from 0.0.0.0/0, ::/0) opens flannel WireGuard (udp 51820-51821)",
      ),
    ]);
  });

  it("refuses a range overlapping the NodePorts, e.g. the ingress NodePort", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "tcp", port: "30080", sourceIps: ANYWHERE },
      { direction: "in", protocol: "tcp", port: "29000-30000", sourceIps: ANYWHERE },
    ]);
    expect(violations).toHaveLength(2);
    expect(violations.every((violation) => violation.message.includes("NodePorts (tcp 30000-32767)"))).toBe(
      true,
    );
  });

  it("treats port 'any', a missing port and a missing or 'any' protocol as everything", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "tcp", port: "any", sourceIps: ANYWHERE },
      { direction: "in", protocol: "udp", sourceIps: ANYWHERE },
      { direction: "in", protocol: "any", port: "8472", sourceIps: ANYWHERE },
      { direction: "in", port: "2380" },
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining("rule #1 (tcp any from 0.0.0.0/0, ::/0) opens etcd"),
      expect.stringContaining(
        "rule #2 (udp all ports from 0.0.0.0/0, ::/0) opens flannel VXLAN (udp 8472) and flannel WireGuard",
      ),
      expect.stringContaining("rule #3 (any 8472 from 0.0.0.0/0, ::/0) opens flannel VXLAN (udp 8472)"),
      expect.stringContaining("rule #4 (any protocol 2380 from any source) opens etcd (tcp 2379-2380)"),
    ]);
  });

  it("refuses a port it cannot read, since it cannot prove it harmless", async () => {
    const violations = await firewall([
      { direction: "in", protocol: "tcp", port: "22,2379", sourceIps: ANYWHERE },
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain('port this policy cannot read ("22,2379")');
  });

  it("during preview, leaves a rule whose port is not known yet to the SDK's advisory", async () => {
    const props = previewProps({
      name: "dev-nodes",
      rules: [{ direction: "in", protocol: "tcp", port: UNKNOWN_STRING, sourceIps: ANYWHERE }],
    });
    const run = runResource(noPublicClusterPorts, FIREWALL_TYPE, "firewall-nodes", props);
    // The SDK turns its own UnknownValueError into "can't run policy during preview" and runs the
    // policy again during `pulumi up`, when the port is known.
    await expect(run).rejects.toHaveProperty("constructor.name", "UnknownValueError");
    await expect(run).rejects.toThrow("rules.0.port can't be known during preview");
  });
});

describe("parsePortRange", () => {
  it.each([
    ["22", { from: 22, to: 22 }],
    ["80-85", { from: 80, to: 85 }],
    [" 30000 - 32767 ", { from: 30000, to: 32767 }],
    ["any", { from: 1, to: 65535 }],
    ["", { from: 1, to: 65535 }],
    [undefined, { from: 1, to: 65535 }],
  ])("reads %p", (port, range) => {
    expect(parsePortRange(port)).toEqual(range);
  });

  it.each(["85-80", "70000", "http", "22,80", "-1"])("cannot read %p", (port) => {
    expect(parsePortRange(port)).toBeUndefined();
  });
});

describe("protocolCovers", () => {
  it("matches the protocol itself, any, or a missing protocol, case-insensitively", () => {
    expect(protocolCovers("TCP", "tcp")).toBe(true);
    expect(protocolCovers("any", "udp")).toBe(true);
    expect(protocolCovers(undefined, "udp")).toBe(true);
    expect(protocolCovers("udp", "tcp")).toBe(false);
    expect(protocolCovers("icmp", "tcp")).toBe(false);
    expect(protocolCovers("gre", "udp")).toBe(false);
  });
});
