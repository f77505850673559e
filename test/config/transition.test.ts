import { ConfigError, formatProblem } from "../../src/config/errors";
import { parseNodesOutput } from "../../src/config/lastDeployment";
import {
  assertSafeTransition,
  checkNodeTransition,
  deployedNodesOf,
  etcdQuorum,
  type PreviousNode,
} from "../../src/config/transition";
import { parsedAfter } from "./fixtures";

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
      nodes.push({ name: "cp-4", role: "control-plane", serverType: "cx22", privateIp: "10.0.1.14" });
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
    const problems = checkNodeTransition(protectedNodes, serverNodes(["cp-1", "cp-2", "cp-4"]));
    expect(problems.map(formatProblem)).toEqual([
      "hetzner-k8s:nodes: cp-3 still had delete protection in the last deployment: set deleteProtection: false on the entry and pulumi up, then remove it",
    ]);
    const unprotected = protectedNodes.map((node) =>
      node.name === "cp-3" ? { ...node, deleteProtection: false } : node,
    );
    expect(checkNodeTransition(unprotected, serverNodes(["cp-1", "cp-2", "cp-4"]))).toEqual([]);
  });

  it("throws a ConfigError naming the key", () => {
    expect(() => assertSafeTransition(DEV_NODES, serverNodes(["cp-7", "cp-8", "cp-9"]))).toThrow(ConfigError);
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
  it("reads names and roles and ignores anything else", () => {
    expect(
      parseNodesOutput([
        { name: "cp-1", role: "control-plane", privateIp: "10.0.1.10" },
        { name: "odd", role: "gateway" },
        null,
        "text",
      ]),
    ).toEqual([{ name: "cp-1", role: "control-plane" }]);
    expect(parseNodesOutput([{ name: "w", role: "worker", deleteProtection: false }])).toEqual([
      { name: "w", role: "worker", deleteProtection: false },
    ]);
  });

  it("treats a stack without that output as a first deployment", () => {
    expect(parseNodesOutput(undefined)).toEqual([]);
  });
});
