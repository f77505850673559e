import { ConfigError, formatProblem } from "../../src/config/errors";
import { parseDeploymentOutputs, parseNodesOutput } from "../../src/config/lastDeployment";
import {
  assertSafeTransition,
  checkK3sUpgrade,
  checkNodeTransition,
  checkTransition,
  deployedNodesOf,
  deploymentOf,
  etcdQuorum,
  type DeployedSettings,
  type LastDeployment,
  type PreviousNode,
} from "../../src/config/transition";
import { key, parsedAfter, removeKey, type RawNode } from "./fixtures";

const DEV_NODES: PreviousNode[] = [
  { name: "cp-1", role: "control-plane" },
  { name: "cp-2", role: "control-plane" },
  { name: "cp-3", role: "control-plane" },
  { name: "worker-1", role: "worker" },
];

function fiveServers(): PreviousNode[] {
  return [...DEV_NODES, { name: "cp-4", role: "control-plane" }, { name: "cp-5", role: "control-plane" }];
}

function serverNodes(names: string[]) {
  return parsedAfter((_, nodes) => {
    const worker = nodes.find((node) => node.role === "worker");
    const template = nodes[0];
    nodes.length = 0;
    names.forEach((name, index) => nodes.push({ ...template, name, privateIp: `10.0.1.${20 + index}` }));
    if (worker) nodes.push(worker);
  });
}

describe("changes from the last deployment", () => {
  it("accepts a first deployment and an unchanged cluster", () => {
    const config = parsedAfter(() => undefined);
    expect(checkNodeTransition([], config)).toEqual([]);
    expect(checkNodeTransition(DEV_NODES, config)).toEqual([]);
  });

  it("refuses to change a node's role", () => {
    const config = parsedAfter((_, nodes) => {
      nodes[3].role = "control-plane";
      nodes.push({ name: "cp-4", role: "control-plane", serverType: "cx23", privateIp: "10.0.1.14" });
    });
    expect(checkNodeTransition(DEV_NODES, config).map(formatProblem)).toEqual([
      "hetzner-k8s:nodes[3].role: worker-1 was created as worker; a node's role is fixed (add a new control-plane node, then remove this one)",
    ]);
  });

  it("allows replacing one control-plane node of three in one step", () => {
    expect(checkNodeTransition(DEV_NODES, serverNodes(["cp-1", "cp-2", "cp-4"]))).toEqual([]);
  });

  it("refuses to remove two of three control-plane nodes at once, even when replacing them", () => {
    const problems = checkNodeTransition(DEV_NODES, serverNodes(["cp-1", "cp-4", "cp-5"]));
    expect(problems.map(formatProblem)).toEqual([
      "hetzner-k8s:nodes: removing control-plane node(s) cp-2, cp-3 at once leaves 1 of 3 etcd members; etcd needs 2 to keep quorum: remove them one per pulumi up",
    ]);
  });

  it("allows going from five control-plane nodes to three, but not to two of the old ones", () => {
    expect(checkNodeTransition(fiveServers(), serverNodes(["cp-1", "cp-2", "cp-3"]))).toEqual([]);
    const problems = checkNodeTransition(fiveServers(), serverNodes(["cp-1", "cp-2", "cp-6"]));
    expect(problems).toHaveLength(1);
    expect(problems[0].message).toContain("leaves 2 of 5 etcd members; etcd needs 3");
  });

  it("refuses to remove a node that still had delete protection in the last deployment", () => {
    const protectedNodes = deployedNodesOf(parsedAfter(() => undefined));
    expect(protectedNodes.map((node) => [node.name, node.deleteProtection])).toEqual([
      ["cp-1", true],
      ["cp-2", true],
      ["cp-3", true],
      ["worker-1", false],
    ]);
    // serverNodes renumbers the addresses; the placement rules have their own tests below.
    const problems = checkNodeTransition(
      protectedNodes.map(({ name, role, deleteProtection }) => ({ name, role, deleteProtection })),
      serverNodes(["cp-1", "cp-2", "cp-4"]),
    );
    expect(problems.map(formatProblem)).toEqual([
      "hetzner-k8s:nodes: cp-3 still had delete protection in the last deployment: set deleteProtection: false on the entry and pulumi up, then remove it",
    ]);
    const unprotected = protectedNodes.map(({ name, role, deleteProtection }) => ({
      name,
      role,
      deleteProtection: name === "cp-3" ? false : deleteProtection,
    }));
    expect(checkNodeTransition(unprotected, serverNodes(["cp-1", "cp-2", "cp-4"]))).toEqual([]);
  });

  it("throws a ConfigError naming the key", () => {
    expect(() => assertSafeTransition({ nodes: DEV_NODES }, serverNodes(["cp-7", "cp-8", "cp-9"]))).toThrow(
      ConfigError,
    );
  });

  it.each([
    [1, 1],
    [3, 2],
    [4, 3],
    [5, 3],
    [7, 4],
  ])("etcd of %i members needs %i for quorum", (members, quorum) => {
    expect(etcdQuorum(members)).toBe(quorum);
  });
});

describe("the nodes output of the last deployment", () => {
  it("reads names, roles and placement and ignores anything else", () => {
    expect(
      parseNodesOutput([
        { name: "cp-1", role: "control-plane", privateIp: "10.0.1.10", publicIpv4: "x", volumeSizeGb: "big" },
        { name: "odd", role: "gateway" },
        null,
        "text",
      ]),
    ).toEqual([{ name: "cp-1", role: "control-plane", privateIp: "10.0.1.10" }]);
    expect(parseNodesOutput([{ name: "w", role: "worker", deleteProtection: false }])).toEqual([
      { name: "w", role: "worker", deleteProtection: false },
    ]);
  });

  it("treats a stack without that output as a first deployment", () => {
    expect(parseNodesOutput(undefined)).toEqual([]);
    expect(parseDeploymentOutputs(undefined, undefined)).toEqual({ nodes: [] });
  });

  it("reads the settings a deployment recorded, and nothing incomplete", () => {
    const config = parsedAfter(() => undefined);
    const recorded = JSON.parse(JSON.stringify(deploymentOf(config))) as unknown as LastDeployment;
    expect(parseDeploymentOutputs(recorded.nodes, recorded.settings)).toEqual(deploymentOf(config));
    expect(parseDeploymentOutputs([], { k3sVersion: "v1.35.6+k3s1" })).toEqual({ nodes: [] });
  });
});

describe("placement and size of a deployed node", () => {
  const last = () => deploymentOf(parsedAfter(() => undefined));
  const edited = (edit: (nodes: RawNode[]) => void) => parsedAfter((_, nodes) => edit(nodes));
  const worker = (nodes: RawNode[]) => nodes.find((node) => node.name === "worker-1") as RawNode;

  it("accepts growing a volume and adding a node, and changes to what a server does not hold", () => {
    expect(
      checkTransition(
        last(),
        edited((nodes) => (worker(nodes).volumeSizeGb = 40)),
      ),
    ).toEqual([]);
    expect(
      checkTransition(
        last(),
        edited((nodes) =>
          nodes.push({ name: "worker-2", role: "worker", serverType: "cx33", privateIp: "10.0.1.14" }),
        ),
      ),
    ).toEqual([]);
  });

  it.each([
    ["location", "nbg1", "a server cannot move (add a new node with the new value, let it join, then remove"],
    ["privateIp", "10.0.1.40", "worker-1 was created with 10.0.1.13; k3s and etcd keep a node's address"],
    ["serverType", "ccx13", "Hetzner resizes a server by powering it off hard"],
    ["volumeSizeGb", 10, "Hetzner volumes only grow (keep 20 or more)"],
  ])("refuses to change %s of a running node", (field, value, message) => {
    const problems = checkTransition(
      last(),
      edited((nodes) => (worker(nodes)[field] = value)),
    );
    expect(problems.map(formatProblem)).toEqual([expect.stringContaining(`hetzner-k8s:nodes[3].${field}: `)]);
    expect(problems[0].message).toContain(message);
  });

  it("refuses to take a volume away from a node", () => {
    const problems = checkTransition(
      last(),
      edited((nodes) => removeKey(worker(nodes), "volumeSizeGb")),
    );
    expect(problems.map(formatProblem)).toEqual([
      expect.stringContaining("hetzner-k8s:nodes[3].volumeSizeGb: worker-1 has a 20 GB volume"),
    ]);
  });

  it("refuses moving every control-plane node at once, which replaced them all", () => {
    const problems = checkTransition(
      last(),
      edited((nodes) =>
        nodes.filter((node) => node.role === "control-plane").forEach((node) => (node.location = "hel1")),
      ),
    );
    expect(problems.map((problem) => problem.path.join("."))).toEqual([
      "nodes.0.location",
      "nodes.1.location",
      "nodes.2.location",
    ]);
  });
});

describe("cluster settings and the k3s version of a deployment", () => {
  const last = () => deploymentOf(parsedAfter(() => undefined));

  it.each([
    ["clusterName", "dev2"],
    ["networkCidr", "10.0.0.0/15"],
    ["podCidr", "10.52.0.0/16"],
    ["serviceCidr", "10.53.0.0/16"],
  ])("refuses to change %s of a running cluster", (setting, value) => {
    const problems = checkTransition(
      last(),
      parsedAfter((raw) => (raw[key(setting)] = value)),
    );
    expect(problems.map((problem) => problem.path.join("."))).toContain(setting);
    expect(problems.find((problem) => problem.path[0] === setting)?.message).toContain("create a new stack");
  });

  it("ignores settings a deployment did not record", () => {
    expect(
      checkTransition(
        { nodes: last().nodes },
        parsedAfter((raw) => (raw[key("clusterName")] = "dev2")),
      ),
    ).toEqual([]);
  });

  it.each([
    ["v1.35.6+k3s1", "v1.35.6+k3s1", undefined],
    ["v1.34.2+k3s1", "v1.35.6+k3s1", undefined],
    ["v1.35.0+k3s1", "v1.35.0+k3s3", undefined],
    ["v1.35.6+k3s1", "v1.35.5+k3s1", "k3s cannot be downgraded"],
    ["v1.35.0+k3s3", "v1.35.0+k3s1", "k3s cannot be downgraded"],
    ["v1.35.1+k3s1", "v1.34.2+k3s1", "k3s cannot be downgraded"],
    ["v1.33.6+k3s1", "v1.35.6+k3s1", "upgrade to the newest v1.34 release first"],
  ])("from %s to %s: %s", (from, to, refusal) => {
    const problems = checkK3sUpgrade(from, to);
    if (refusal === undefined) expect(problems).toEqual([]);
    else expect(problems.map(formatProblem)).toEqual([expect.stringContaining(refusal)]);
  });

  it("checks the k3s upgrade against the recorded version", () => {
    const previous = {
      ...last(),
      settings: { ...(last().settings as DeployedSettings), k3sVersion: "v1.33.6+k3s1" },
    };
    expect(
      checkTransition(
        previous,
        parsedAfter(() => undefined),
      ).map(formatProblem),
    ).toEqual([expect.stringContaining("hetzner-k8s:k3sVersion: v1.35.6+k3s1 skips a minor release")]);
  });
});

describe("autoscaled pools of a deployment", () => {
  const burst = {
    name: "burst",
    autoscaling: { min: 0, max: 3 },
    serverType: "cx33",
    ipRange: "10.0.2.0/28",
  };
  const withPool = (pool: Record<string, unknown> | undefined) =>
    parsedAfter((raw) => (raw[key("nodePools")] = pool ? [pool] : []));
  const last = () => deploymentOf(withPool(burst));

  it("records each pool's subnet and location, and reads them back", () => {
    expect(last().settings?.autoscaledPools).toEqual([
      { name: "burst", ipRange: "10.0.2.0/28", location: "fsn1" },
    ]);
    const recorded = JSON.parse(JSON.stringify(last())) as unknown as LastDeployment;
    expect(parseDeploymentOutputs(recorded.nodes, recorded.settings)).toEqual(last());
  });

  it("accepts new min, max, server type and labels, and a new pool", () => {
    const edited = {
      ...burst,
      autoscaling: { min: 1, max: 5 },
      serverType: "cx43",
      labels: { "example.com/a": "b" },
    };
    expect(checkTransition(last(), withPool(edited))).toEqual([]);
    expect(checkTransition(deploymentOf(withPool(undefined)), withPool(burst))).toEqual([]);
  });

  it("refuses a new subnet or location, and a pool that stops being autoscaled", () => {
    const moved = checkTransition(last(), withPool({ ...burst, ipRange: "10.0.3.0/28", location: "nbg1" }));
    expect(moved.map(formatProblem)).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.ipRange: was 10\.0\.2\.0\/28 in the last deployment; the pool's subnet holds its servers/,
      ),
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.location: was fsn1 in the last deployment; the pool's servers cannot move/,
      ),
    ]);
    const fixed = { name: "burst", count: 0, serverType: "cx33", ipRange: "10.0.1.64/28" };
    const fixedPool = checkTransition(last(), withPool(fixed));
    expect(fixedPool.map(formatProblem)).toContainEqual(
      expect.stringMatching(
        /^hetzner-k8s:nodePools\[0\]\.autoscaling: pool burst was autoscaled in the last deployment/,
      ),
    );
  });
});

describe("private nodes of a deployment", () => {
  const privately = (value: boolean) => parsedAfter((raw) => (raw[key("privateNodes")] = value));

  it("records private nodes and reads them back", () => {
    const last = deploymentOf(privately(true));
    expect(last.settings?.privateNodes).toBe(true);
    expect(deploymentOf(privately(false)).settings).not.toHaveProperty("privateNodes");
    const recorded = JSON.parse(JSON.stringify(last)) as unknown as LastDeployment;
    expect(parseDeploymentOutputs(recorded.nodes, recorded.settings)).toEqual(last);
  });

  it("refuses to make a running cluster's nodes private, or public again", () => {
    for (const [before, after] of [
      [false, true],
      [true, false],
    ]) {
      expect(checkTransition(deploymentOf(privately(before)), privately(after)).map(formatProblem)).toEqual([
        expect.stringMatching(
          new RegExp(
            `^hetzner-k8s:privateNodes: was ${String(before)} in the last deployment; running servers keep`,
          ),
        ),
      ]);
    }
    expect(checkTransition(deploymentOf(privately(true)), privately(true))).toEqual([]);
  });
});
