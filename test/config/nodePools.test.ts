import fc from "fast-check";
import { parseStackConfig } from "../../src/config/load";
import { checkServerTypeNotices } from "../../src/config/rules";
import { checkTransition, deploymentOf } from "../../src/config/transition";
import { buildClusterModel } from "../../src/model/cluster";
import { devRaw, key, parsedAfter, problemsAfter, problemsOf } from "./fixtures";

/** A pool of the dev stack's subnet (10.0.1.0/24), above its explicit nodes (.10 to .13). */
function pool(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "general", count: 3, serverType: "cx33", ipRange: "10.0.1.64/28", ...overrides };
}

const withPools =
  (...pools: Record<string, unknown>[]) =>
  (raw: Record<string, unknown>) => {
    raw[key("nodePools")] = pools;
  };

describe("node pools", () => {
  it("become workers named <pool>-<i> at the i-th address of the pool's range, after the explicit nodes", () => {
    const config = parsedAfter(
      withPools(
        pool({
          labels: { "example.com/tier": "general" },
          taints: [{ key: "dedicated", value: "general", effect: "NoSchedule" }],
          volumeSizeGb: 20,
        }),
      ),
    );
    expect(config.nodes.map((node) => node.name)).toEqual([
      "cp-1",
      "cp-2",
      "cp-3",
      "worker-1",
      "general-1",
      "general-2",
      "general-3",
    ]);
    expect(config.nodes[4]).toEqual({
      name: "general-1",
      role: "worker",
      serverType: "cx33",
      privateIp: "10.0.1.65",
      volumeSizeGb: 20,
      labels: { "example.com/tier": "general" },
      taints: [{ key: "dedicated", value: "general", effect: "NoSchedule" }],
      deleteProtection: false,
    });
    expect(config.nodes.slice(4).map((node) => node.privateIp)).toEqual([
      "10.0.1.65",
      "10.0.1.66",
      "10.0.1.67",
    ]);
  });

  it("label their servers and Kubernetes nodes with the pool; explicit nodes carry no pool label", () => {
    const model = buildClusterModel(parsedAfter(withPools(pool({ count: 1 }))));
    const member = model.nodes.find((node) => node.name === "general-1");
    expect(member).toMatchObject({
      pool: "general",
      hetznerLabels: { pool: "general", role: "worker" },
      kubernetesLabels: { "hetzner-k8s.io/pool": "general", "hetzner-k8s.io/role": "worker" },
      deleteProtection: false,
    });
    const explicit = model.nodes.find((node) => node.name === "worker-1");
    expect(explicit?.pool).toBeUndefined();
    expect(explicit?.hetznerLabels.pool).toBeUndefined();
    expect(explicit?.kubernetesLabels["hetzner-k8s.io/pool"]).toBeUndefined();
  });

  it("raising the count adds the next nodes and lowering it removes the highest; no other node moves", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 14 }), fc.integer({ min: 0, max: 14 }), (a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        const smaller = parsedAfter(withPools(pool({ count: low }))).nodes;
        const larger = parsedAfter(withPools(pool({ count: high }))).nodes;
        expect(larger.slice(0, smaller.length)).toEqual(smaller);
        expect(larger.slice(smaller.length).map((node) => node.name)).toEqual(
          Array.from({ length: high - low }, (_, index) => `general-${low + index + 1}`),
        );
      }),
      { numRuns: 25 },
    );
  });

  it("reports a problem of the pool's nodes once, at the pool's own key", () => {
    expect(problemsAfter(withPools(pool({ serverType: "cx99" })))).toEqual([
      'hetzner-k8s:nodePools[0].serverType: unknown server type "cx99"',
    ]);
    expect(problemsAfter(withPools(pool({ volumeSizeGb: 5 })))).toEqual([
      "hetzner-k8s:nodePools[0].volumeSizeGb: 5 GB is outside Hetzner's volume sizes (10-10240 GB)",
    ]);
    expect(problemsAfter(withPools(pool({ labels: { "hetzner-k8s.io/pool": "other" } })))).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.labels\.hetzner-k8s\.io\/pool: is set by this program \(node name, role, volume and pool\)/,
      ),
    ]);
  });

  it("warns once, at the pool, about a server type its running nodes keep but new ones cannot have", () => {
    const raw = devRaw();
    withPools(pool({ serverType: "cx32", count: 2 }))(raw);
    const running = ["general-1", "general-2"].map((name) => ({
      name,
      role: "worker" as const,
      serverType: "cx32",
      location: "fsn1",
    }));
    const config = parseStackConfig(raw, new Set(), running);
    expect(checkServerTypeNotices(config)).toEqual([
      {
        path: ["nodePools", 0, "serverType"],
        message: expect.stringMatching(
          /^"cx32" is no longer sold: .* a node replacing it must use "cx33"/,
        ) as string,
      },
    ]);
  });

  it("refuses a pool whose nodes would take an explicit node's name", () => {
    expect(problemsAfter(withPools(pool({ name: "worker", count: 1 })))).toEqual([
      'hetzner-k8s:nodePools[0].name: duplicate node name "worker-1" (also nodes[3])',
    ]);
  });

  it.each([
    [{ ipRange: undefined }, "nodePools[0].ipRange: required: the pool's own CIDR inside nodeSubnetCidr"],
    [
      { ipRange: "10.0.1.65/28" },
      'nodePools[0].ipRange: "10.0.1.65/28" has host bits set; the network address is 10.0.1.64/28',
    ],
    [{ ipRange: "10.0.2.0/28" }, "nodePools[0].ipRange: 10.0.2.0/28 is outside the node subnet 10.0.1.0/24"],
    [
      { ipRange: "10.0.1.0/30", count: 1 },
      "nodePools[0].ipRange: 10.0.1.0/30 would put general-1 at 10.0.1.1, a reserved address; node addresses run from 10.0.1.10 to 10.0.1.254 (lower ones are kept for the gateway and load balancers)",
    ],
    [
      { count: 16 },
      "nodePools[0].count: 16 nodes do not fit ipRange 10.0.1.64/28: node i takes its i-th address, so it holds 15 (10.0.1.65 to 10.0.1.79); use a larger range",
    ],
    [
      { ipRange: "10.0.1.240/28", count: 15 },
      "nodePools[0].count: 15 nodes do not fit ipRange 10.0.1.240/28: node i takes its i-th address, so it holds 14 (10.0.1.241 to 10.0.1.254); use a larger range",
    ],
    [{ count: -1 }, "nodePools[0].count: must be 0 or more, got -1"],
    [{ name: "x".repeat(37) }, `nodePools[0].name: must be at most 36 characters, got "${"x".repeat(37)}"`],
  ])("refuses the pool %j", (overrides, problem) => {
    expect(problemsAfter(withPools(pool(overrides)))).toEqual([`hetzner-k8s:${problem}`]);
  });

  it("keeps each pool's range for its own nodes: no overlap, no explicit node inside, no duplicate name", () => {
    const problems = problemsAfter((raw, nodes) => {
      withPools(
        pool(),
        pool({ name: "batch", ipRange: "10.0.1.64/27", count: 1 }),
        pool({ ipRange: "10.0.1.128/28", count: 1 }),
      )(raw);
      nodes[3].privateIp = "10.0.1.70";
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "hetzner-k8s:nodePools[1].ipRange: 10.0.1.64/27 overlaps nodePools[0].ipRange 10.0.1.64/28; each pool needs a range of its own",
        'hetzner-k8s:nodePools[2].name: duplicate node pool name "general" (also nodePools[0])',
        "hetzner-k8s:nodes[3].privateIp: 10.0.1.70 is inside nodePools[0].ipRange 10.0.1.64/28, which is kept for the pool's nodes",
      ]),
    );
  });

  it("a pool entry of the wrong shape hides no problem of the other entries", () => {
    const problems = problemsAfter((raw, nodes) => {
      withPools(
        pool({ count: "three" }),
        pool({ name: "batch", serverType: "cx99", ipRange: "10.0.1.96/28" }),
      )(raw);
      nodes[3].serverType = "cx98";
    });
    expect(problems).toEqual([
      'hetzner-k8s:nodePools[0].count: expected a number, got the text "three"',
      'hetzner-k8s:nodes[3].serverType: unknown server type "cx98"',
      'hetzner-k8s:nodePools[1].serverType: unknown server type "cx99"',
    ]);
  });

  it("does not count the nodes while a pool cannot be laid out", () => {
    // Counts over all nodes wait for the pool's range; the config is refused for the range meanwhile.
    const problems = problemsAfter((raw, nodes) => {
      nodes.splice(2);
      withPools(pool({ ipRange: "10.0.3.0/28" }))(raw);
    });
    expect(problems).toEqual([
      "hetzner-k8s:nodePools[0].ipRange: 10.0.3.0/28 is outside the node subnet 10.0.1.0/24",
    ]);
  });

  it("suggests addresses for new explicit nodes outside every pool's range", () => {
    const problems = problemsAfter((raw, nodes) => {
      withPools(
        pool({ ipRange: "10.0.1.14/31", count: 1 }),
        pool({ name: "batch", ipRange: "10.0.1.16/28", count: 0 }),
      )(raw);
      nodes.push({ name: "worker-2", role: "worker", serverType: "cx33" });
    });
    expect(problems).toEqual([
      "hetzner-k8s:nodes[4].privateIp: required: the node's fixed address in 10.0.1.0/24; the next free address is 10.0.1.32",
    ]);
  });

  it("names the pool when a transition refuses a change of its nodes", () => {
    const deployed = parsedAfter(withPools(pool({ deleteProtection: true })));
    const lowered = parsedAfter(withPools(pool({ deleteProtection: true, count: 1 })));
    expect(checkTransition(deploymentOf(deployed), lowered).map((problem) => problem.path.join("."))).toEqual(
      ["nodePools.0.deleteProtection"],
    );
    expect(checkTransition(deploymentOf(deployed), lowered)[0].message).toBe(
      "general-2, general-3 of pool general still had delete protection in the last deployment: set deleteProtection: false on the pool and pulumi up, then lower its count",
    );
    const unprotected = parsedAfter(withPools(pool({ deleteProtection: false })));
    expect(checkTransition(deploymentOf(unprotected), parsedAfter(withPools(pool({ count: 1 }))))).toEqual(
      [],
    );
    const moved = parsedAfter(withPools(pool({ ipRange: "10.0.1.96/28" })));
    const problems = checkTransition(deploymentOf(unprotected), moved);
    expect(problems.map((problem) => problem.path.join("."))).toEqual([
      "nodePools.0.ipRange",
      "nodePools.0.ipRange",
      "nodePools.0.ipRange",
    ]);
    expect(problems[0].message).toMatch(/^general-1 was created with 10\.0\.1\.65; /);
  });

  it("is valid with no pools, and a pool of zero nodes adds none", () => {
    expect(problemsOf(devRaw())).toEqual([]);
    expect(parsedAfter(withPools(pool({ count: 0 }))).nodes).toHaveLength(4);
  });
});
