import { ConfigError, type ConfigProblem } from "./errors";
import type { StackConfig } from "./schema";

/**
 * Rules about changing a running cluster, checked against the nodes of the last deployment. They guard
 * what a single config cannot show: a node's role changing, or etcd losing quorum.
 */

export interface PreviousNode {
  name: string;
  role: "control-plane" | "worker";
  /** Whether the server had Hetzner's delete protection in the last deployment. */
  deleteProtection?: boolean;
}

/** The nodes of a config as a last deployment would have recorded them (with effective protection). */
export function deployedNodesOf(config: StackConfig): PreviousNode[] {
  return config.nodes.map((node) => ({
    name: node.name,
    role: node.role,
    deleteProtection: node.deleteProtection ?? node.role === "control-plane",
  }));
}

export function etcdQuorum(members: number): number {
  return Math.floor(members / 2) + 1;
}

export function checkNodeTransition(previous: readonly PreviousNode[], config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const before = new Map(previous.map((node) => [node.name, node.role]));
  config.nodes.forEach((node, index) => {
    const role = before.get(node.name);
    if (role !== undefined && role !== node.role) {
      problems.push({
        path: ["nodes", index, "role"],
        message: `${node.name} was created as ${role}; a node's role is fixed (add a new ${node.role} node, then remove this one)`,
      });
    }
  });

  const kept = new Set(config.nodes.map((node) => node.name));
  const protectedRemovals = previous.filter((node) => node.deleteProtection && !kept.has(node.name));
  if (protectedRemovals.length > 0) {
    // Otherwise the node would be drained and leave etcd, and only then would Hetzner refuse to delete it.
    problems.push({
      path: ["nodes"],
      message:
        `${protectedRemovals.map((node) => node.name).join(", ")} still had delete protection in the last deployment: ` +
        "set deleteProtection: false on the entry and pulumi up, then remove it",
    });
  }

  const previousServers = previous.filter((node) => node.role === "control-plane").map((node) => node.name);
  const keptServers = new Set(
    config.nodes.filter((node) => node.role === "control-plane").map((node) => node.name),
  );
  const removed = previousServers.filter((name) => !keptServers.has(name));
  const remaining = previousServers.length - removed.length;
  const needed = etcdQuorum(previousServers.length);
  if (previousServers.length > 0 && remaining < needed) {
    problems.push({
      path: ["nodes"],
      message:
        `removing control-plane node(s) ${removed.join(", ")} at once leaves ${remaining} of ${previousServers.length} ` +
        `etcd members; etcd needs ${needed} to keep quorum: remove them one per pulumi up`,
    });
  }
  return problems;
}

/** Throws a ConfigError listing every unsafe change, before any resource is registered. */
export function assertSafeTransition(previous: readonly PreviousNode[], config: StackConfig): void {
  const problems = checkNodeTransition(previous, config);
  if (problems.length > 0) throw new ConfigError(problems);
}
