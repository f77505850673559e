import { key, manyNodes, parsedAfter, problemsAfter } from "./fixtures";

const QUORUM = /etcd needs an odd number from 3 to 9 to keep quorum/;

describe("node server types and locations", () => {
  it("rejects an unknown server type, naming the exact key", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].serverType = "cx99"))).toEqual([
      'hetzner-k8s:nodes[3].serverType: unknown server type "cx99"',
    ]);
  });

  it("rejects a server type not offered in the node's location (cax11 in ash)", () => {
    const lines = problemsAfter((raw, nodes) => {
      raw[key("location")] = "ash";
      nodes.forEach((node) => (node.serverType = "cpx21"));
      nodes[3].serverType = "cax11";
    });
    expect(lines).toEqual([
      'hetzner-k8s:nodes[3].serverType: "cax11" is not offered in ash (offered in fsn1, nbg1, hel1)',
    ]);
  });

  it("checks the offer against the node's own location, not the cluster's", () => {
    const lines = problemsAfter((_, nodes) => {
      nodes[3].location = "ash";
      nodes[3].serverType = "cx33";
    });
    expect(lines).toContain(
      'hetzner-k8s:nodes[3].serverType: "cx33" is not offered in ash (offered in fsn1, nbg1, hel1)',
    );
  });

  it("rejects an unknown cluster location", () => {
    expect(problemsAfter((raw) => (raw[key("location")] = "fra1"))).toEqual([
      'hetzner-k8s:location: unknown location "fra1" (expected one of fsn1, nbg1, hel1, ash, hil, sin)',
    ]);
  });

  it("rejects an unknown node location", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].location = "fsn2"))).toEqual([
      'hetzner-k8s:nodes[3].location: unknown location "fsn2" (expected one of fsn1, nbg1, hel1, ash, hil, sin)',
    ]);
  });

  it("rejects a node location in another network zone (cluster fsn1, node ash)", () => {
    const lines = problemsAfter((_, nodes) => {
      nodes[3].location = "ash";
      nodes[3].serverType = "cpx31";
    });
    expect(lines).toEqual([
      "hetzner-k8s:nodes[3].location: ash is in network zone us-east, but the cluster's network is in eu-central (fsn1)",
    ]);
  });

  it("accepts a node in another location of the same zone", () => {
    expect(parsedAfter((_, nodes) => (nodes[3].location = "hel1")).nodes[3].location).toBe("hel1");
  });
});

describe("node names", () => {
  it("rejects a duplicate name and names the first node that has it", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].name = "cp-1"))).toEqual([
      'hetzner-k8s:nodes[3].name: duplicate node name "cp-1" (also nodes[0])',
    ]);
  });

  it.each(["Worker_1", "worker-", "-worker", "worker.1", ""])("rejects the non DNS-1123 name %j", (name) => {
    const lines = problemsAfter((_, nodes) => (nodes[3].name = name));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hetzner-k8s:nodes\[3\]\.name: must be a DNS-1123 label/);
  });

  it("rejects a name longer than 40 characters", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].name = "w".repeat(41)))).toEqual([
      `hetzner-k8s:nodes[3].name: must be at most 40 characters, got "${"w".repeat(41)}"`,
    ]);
  });

  it("rejects an unknown role", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].role = "master"))).toEqual([
      'hetzner-k8s:nodes[3].role: must be "control-plane" or "worker", got "master"',
    ]);
  });
});

describe("node counts and quorum", () => {
  it("rejects fewer than 3 nodes", () => {
    const lines = problemsAfter((raw, nodes) => (raw[key("nodes")] = nodes.slice(0, 2)));
    expect(lines).toEqual([
      "hetzner-k8s:nodes: 2 node(s) given; a highly available cluster needs at least 3",
      expect.stringMatching(/^hetzner-k8s:nodes: 2 control-plane node\(s\); /),
    ]);
  });

  it("rejects an even control-plane count (4 control-plane of 5 nodes)", () => {
    const lines = problemsAfter((_, nodes) =>
      nodes.push({ name: "cp-4", role: "control-plane", serverType: "cx23", privateIp: "10.0.1.14" }),
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hetzner-k8s:nodes: 4 control-plane node\(s\); /);
    expect(lines[0]).toMatch(QUORUM);
  });

  it("rejects a single control-plane node", () => {
    const lines = problemsAfter((_, nodes) => {
      nodes[1].role = "worker";
      nodes[2].role = "worker";
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hetzner-k8s:nodes: 1 control-plane node\(s\); /);
    expect(lines[0]).toMatch(QUORUM);
  });

  it("accepts 9 control-plane nodes and rejects 11", () => {
    expect(problemsAfter((raw) => (raw[key("nodes")] = manyNodes(12, 9)))).toEqual([]);
    const lines = problemsAfter((raw) => (raw[key("nodes")] = manyNodes(12, 11)));
    expect(lines).toEqual([expect.stringMatching(/^hetzner-k8s:nodes: 11 control-plane node\(s\); /)]);
  });

  // 101 addresses from .10 need more than a /24; a /17 subnet inside the default /16 network holds them,
  // and only lb31 takes that many ingress targets.
  const inBigSubnet = (count: number) =>
    problemsAfter((raw) => {
      raw[key("nodeSubnetCidr")] = "10.0.0.0/17";
      raw[key("loadBalancerType")] = "lb31";
      raw[key("nodes")] = manyNodes(count, 3, "10.0.0.10");
    });

  it("rejects more than 100 servers, and reports only that", () => {
    expect(inBigSubnet(101)).toEqual([
      "hetzner-k8s:nodes: 101 nodes given; Hetzner allows at most 100 servers in one network",
    ]);
  });

  it("accepts exactly 100 servers", () => {
    expect(inBigSubnet(100)).toEqual([]);
  });
});

describe("node volumes", () => {
  it.each([9, 10241, 0, -10])("rejects a volume of %d GB", (size) => {
    expect(problemsAfter((_, nodes) => (nodes[3].volumeSizeGb = size))).toEqual([
      `hetzner-k8s:nodes[3].volumeSizeGb: ${size} GB is outside Hetzner's volume sizes (10-10240 GB)`,
    ]);
  });

  it.each([10, 10240])("accepts a volume of %d GB", (size) => {
    expect(parsedAfter((_, nodes) => (nodes[3].volumeSizeGb = size)).nodes[3].volumeSizeGb).toBe(size);
  });

  it("rejects a fractional volume size", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].volumeSizeGb = 20.5))).toEqual([
      "hetzner-k8s:nodes[3].volumeSizeGb: must be a whole number of GB, got 20.5",
    ]);
  });
});

describe("node labels and taints", () => {
  const taint = { key: "dedicated", value: "databases", effect: "NoSchedule" };

  it("accepts valid labels and taints", () => {
    const config = parsedAfter((_, nodes) => {
      nodes[3].labels = { "node.kubernetes.io/pool": "general", tier: "" };
      nodes[3].taints = [taint];
    });
    expect(config.nodes[3].labels).toEqual({ "node.kubernetes.io/pool": "general", tier: "" });
    expect(config.nodes[3].taints).toEqual([taint]);
  });

  it("rejects an unknown key inside a taint", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].taints = [{ ...taint, efect: "NoSchedule" }]))).toEqual([
      'hetzner-k8s:nodes[3].taints[0].efect: unknown key, did you mean "effect"?',
    ]);
  });

  it("rejects a bad taint effect", () => {
    const lines = problemsAfter((_, nodes) => (nodes[3].taints = [{ ...taint, effect: "NoScheduling" }]));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^hetzner-k8s:nodes\[3\]\.taints\[0\]\.effect: /);
    expect(lines[0]).toContain(
      'must be one of "NoSchedule", "PreferNoSchedule", "NoExecute", got "NoScheduling"',
    );
  });

  it("rejects a duplicate taint", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].taints = [taint, { ...taint, value: "other" }]))).toEqual([
      "hetzner-k8s:nodes[3].taints[1]: duplicate taint dedicated:NoSchedule",
    ]);
  });

  it.each(["a/b/c", "-pool", "UPPER.example.com/pool", "x".repeat(64)])(
    "rejects the label key %j",
    (label) => {
      const lines = problemsAfter((_, nodes) => (nodes[3].labels = { [label]: "general" }));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^hetzner-k8s:nodes\\[3\\]\\.labels\\.${label.replace(/[.]/g, "\\.")}: `),
      );
    },
  );

  it("explains why a label key is rejected", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].labels = { "a/b/c": "general" }))).toEqual([
      'hetzner-k8s:nodes[3].labels.a/b/c: must be a Kubernetes label key (prefix/name), got "a/b/c"',
    ]);
  });

  it.each(["-general", "x".repeat(64), "a b"])("rejects the label value %j", (value) => {
    expect(problemsAfter((_, nodes) => (nodes[3].labels = { pool: value }))).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodes\[3\]\.labels\.pool: must be a Kubernetes label value \(at most 63 characters\), got "/,
      ),
    ]);
  });
});
