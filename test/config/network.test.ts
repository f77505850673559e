import { key, parsedAfter, problemsAfter, removeKey } from "./fixtures";

describe("network ranges", () => {
  it.each(["10.0.0.0", "10.0.0.0/33", "10.0.0/16", "ten/8"])("rejects the CIDR text %j", (text) => {
    expect(problemsAfter((raw) => (raw[key("networkCidr")] = text))).toEqual([
      `hetzner-k8s:networkCidr: "${text}" is not an IPv4 CIDR (expected a.b.c.d/n)`,
    ]);
  });

  it("rejects a CIDR with host bits set and names its network address", () => {
    expect(problemsAfter((raw) => (raw[key("networkCidr")] = "10.0.1.0/16"))).toEqual([
      'hetzner-k8s:networkCidr: "10.0.1.0/16" has host bits set; the network address is 10.0.0.0/16',
    ]);
  });

  it("rejects an invalid pod CIDR under its own key", () => {
    expect(problemsAfter((raw) => (raw[key("podCidr")] = "10.42.0.0/33"))).toEqual([
      'hetzner-k8s:podCidr: "10.42.0.0/33" is not an IPv4 CIDR (expected a.b.c.d/n)',
    ]);
  });

  it("rejects a node subnet outside the network", () => {
    expect(problemsAfter((raw) => (raw[key("nodeSubnetCidr")] = "10.1.1.0/24"))).toEqual([
      "hetzner-k8s:nodeSubnetCidr: 10.1.1.0/24 is outside the network 10.0.0.0/16",
    ]);
  });

  it("rejects a node subnet smaller than /27", () => {
    expect(problemsAfter((raw) => (raw[key("nodeSubnetCidr")] = "10.0.1.0/28"))).toEqual([
      "hetzner-k8s:nodeSubnetCidr: 10.0.1.0/28 is too small (use /27 or larger)",
    ]);
  });

  it("rejects a pod CIDR overlapping the network", () => {
    expect(problemsAfter((raw) => (raw[key("podCidr")] = "10.0.128.0/17"))).toEqual([
      "hetzner-k8s:podCidr: 10.0.128.0/17 overlaps the network 10.0.0.0/16",
    ]);
  });

  it("rejects a service CIDR overlapping the network", () => {
    expect(problemsAfter((raw) => (raw[key("serviceCidr")] = "10.0.200.0/24"))).toEqual([
      "hetzner-k8s:serviceCidr: 10.0.200.0/24 overlaps the network 10.0.0.0/16",
    ]);
  });

  it("rejects pod and service CIDRs overlapping each other", () => {
    expect(problemsAfter((raw) => (raw[key("serviceCidr")] = "10.42.128.0/17"))).toEqual([
      "hetzner-k8s:serviceCidr: 10.42.128.0/17 overlaps podCidr 10.42.0.0/16",
    ]);
  });

  it("accepts ranges adjacent to the network", () => {
    const config = parsedAfter((raw) => {
      raw[key("podCidr")] = "10.1.0.0/16";
      raw[key("serviceCidr")] = "9.255.0.0/16";
    });
    expect([config.podCidr, config.serviceCidr]).toEqual(["10.1.0.0/16", "9.255.0.0/16"]);
  });
});

describe("node private IPs", () => {
  it("rejects an address outside the node subnet", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].privateIp = "10.0.2.13"))).toEqual([
      "hetzner-k8s:nodes[3].privateIp: 10.0.2.13 is outside the node subnet 10.0.1.0/24",
    ]);
  });

  it("rejects text that is not an address", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].privateIp = "10.0.1.300"))).toEqual([
      'hetzner-k8s:nodes[3].privateIp: "10.0.1.300" is not an IPv4 address',
    ]);
  });

  it.each(["10.0.1.5", "10.0.1.0", "10.0.1.1", "10.0.1.9", "10.0.1.255"])(
    "rejects the reserved address %s",
    (ip) => {
      expect(problemsAfter((_, nodes) => (nodes[3].privateIp = ip))).toEqual([
        `hetzner-k8s:nodes[3].privateIp: ${ip} is reserved; node addresses run from 10.0.1.10 to 10.0.1.254 ` +
          "(lower ones are kept for the gateway and load balancers)",
      ]);
    },
  );

  it("accepts the last host address before the broadcast", () => {
    expect(parsedAfter((_, nodes) => (nodes[3].privateIp = "10.0.1.254")).nodes[3].privateIp).toBe(
      "10.0.1.254",
    );
  });

  it("rejects an address taken twice and names the other node", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].privateIp = "10.0.1.12"))).toEqual([
      "hetzner-k8s:nodes[3].privateIp: 10.0.1.12 is already taken by nodes[2] (cp-3)",
    ]);
  });

  it("requires an address and suggests the next free one", () => {
    const lines = problemsAfter((_, nodes) =>
      nodes.push({ name: "worker-2", role: "worker", serverType: "cx33" }),
    );
    expect(lines).toEqual([
      "hetzner-k8s:nodes[4].privateIp: required: the node's fixed address in 10.0.1.0/24; the next free address is 10.0.1.14",
    ]);
  });

  it("suggests distinct addresses for several nodes without one", () => {
    const lines = problemsAfter((_, nodes) => {
      delete nodes[3].privateIp;
      nodes.push({ name: "worker-2", role: "worker", serverType: "cx33" });
    });
    expect(lines).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodes\[3\]\.privateIp: required: .*next free address is 10\.0\.1\.13$/,
      ),
      expect.stringMatching(
        /^hetzner-k8s:nodes\[4\]\.privateIp: required: .*next free address is 10\.0\.1\.14$/,
      ),
    ]);
  });

  it("suggests an address after the highest in use, never a gap a removed node left", () => {
    const lines = problemsAfter((_, nodes) => {
      nodes[3].privateIp = "10.0.1.20";
      nodes.push({ name: "worker-2", role: "worker", serverType: "cx33" });
    });
    expect(lines).toEqual([expect.stringMatching(/next free address is 10\.0\.1\.21$/)]);
  });
});

describe("allowed sources", () => {
  it("requires sshAllowedSources", () => {
    expect(problemsAfter((raw) => removeKey(raw, key("sshAllowedSources")))).toEqual([
      "hetzner-k8s:sshAllowedSources: required: the addresses allowed to reach SSH, e.g. 203.0.113.7/32",
    ]);
  });

  it("rejects an empty apiAllowedSources list", () => {
    expect(problemsAfter((raw) => (raw[key("apiAllowedSources")] = []))).toEqual([
      "hetzner-k8s:apiAllowedSources: must list at least one source: " +
        "the addresses allowed to reach the Kubernetes API, e.g. 203.0.113.7/32",
    ]);
  });

  it("rejects a source that is not an IP or CIDR, naming its index", () => {
    const lines = problemsAfter(
      (raw) => (raw[key("apiAllowedSources")] = ["203.0.113.0/24", "office.example.com"]),
    );
    expect(lines).toEqual([
      'hetzner-k8s:apiAllowedSources[1]: "office.example.com" is not an IP address or CIDR',
    ]);
  });

  it("rejects a source CIDR with host bits set", () => {
    expect(problemsAfter((raw) => (raw[key("sshAllowedSources")] = ["203.0.113.7/24"]))).toEqual([
      'hetzner-k8s:sshAllowedSources[0]: "203.0.113.7/24" is not an IP address or CIDR',
    ]);
  });

  it("accepts single addresses, CIDRs and IPv6 ranges", () => {
    const sources = ["203.0.113.7", "198.51.100.0/24", "2001:db8::/32"];
    expect(parsedAfter((raw) => (raw[key("sshAllowedSources")] = sources)).sshAllowedSources).toEqual(
      sources,
    );
  });
});
