import { ConfigError, type ConfigProblem } from "./errors";
import { compareK3sVersions, parseK3sVersion } from "./k3sRules";
import { poolOf, toStackFilePaths } from "./nodePools";
import { deleteProtectionOf, locationOf, volumeSizeOf, type StackConfig } from "./schema";

/**
 * Rules about changing a running cluster, checked against the last deployment. They guard what a single
 * config cannot show: a node's role or placement changing, etcd losing quorum, a k3s version k3s cannot
 * upgrade to, or a network setting a running k3s cannot change.
 */

export interface PreviousNode {
  name: string;
  role: "control-plane" | "worker";
  /** Whether the server had Hetzner's delete protection in the last deployment. */
  deleteProtection?: boolean;
  /** Placement and size as deployed; absent in deployments older than these checks. */
  location?: string;
  privateIp?: string;
  serverType?: string;
  /** Size of the node's own volume; 0 when it had none. */
  volumeSizeGb?: number;
  /** The node pool it belonged to; absent for an explicit node and in deployments older than pools. */
  pool?: string;
}

/** Cluster-wide settings of the last deployment that a running cluster cannot change. */
export interface DeployedSettings {
  k3sVersion: string;
  clusterName: string;
  networkCidr: string;
  nodeSubnetCidr: string;
  podCidr: string;
  serviceCidr: string;
  /** The autoscaled pools' subnets and locations; absent in deployments older than autoscaled pools. */
  autoscaledPools?: DeployedAutoscaledPool[];
  /** Recorded when true: nodes without public addresses (absent: public, as before the option). */
  privateNodes?: boolean;
}

export interface DeployedAutoscaledPool {
  name: string;
  ipRange: string;
  location: string;
}

export interface LastDeployment {
  nodes: PreviousNode[];
  /** Absent for a first deployment and for deployments older than these checks. */
  settings?: DeployedSettings;
}

export const FIRST_DEPLOYMENT: LastDeployment = { nodes: [] };

const FIXED_SETTINGS = ["clusterName", "networkCidr", "nodeSubnetCidr", "podCidr", "serviceCidr"] as const;

/** The settings of a config as a deployment records them (the `deployment` stack output). */
export function deployedSettingsOf(config: StackConfig): DeployedSettings {
  const autoscaledPools = config.nodePools.flatMap((pool) =>
    pool.autoscaling ? [{ name: pool.name, ipRange: pool.ipRange, location: locationOf(config, pool) }] : [],
  );
  return {
    k3sVersion: config.k3sVersion,
    clusterName: config.clusterName,
    networkCidr: config.networkCidr,
    nodeSubnetCidr: config.nodeSubnetCidr,
    podCidr: config.podCidr,
    serviceCidr: config.serviceCidr,
    ...(autoscaledPools.length > 0 && { autoscaledPools }),
    ...(config.privateNodes && { privateNodes: true }),
  };
}

/** The nodes of a config as a last deployment would have recorded them (with effective values). */
export function deployedNodesOf(config: StackConfig): PreviousNode[] {
  return config.nodes.map((node) => {
    const pool = poolOf(config, node.name)?.name;
    return {
      name: node.name,
      role: node.role,
      deleteProtection: deleteProtectionOf(node),
      location: locationOf(config, node),
      privateIp: node.privateIp,
      serverType: node.serverType,
      volumeSizeGb: volumeSizeOf(node),
      ...(pool !== undefined && { pool }),
    };
  });
}

/** A config as its deployment would be recorded: what the plan and the console compare an edit with. */
export function deploymentOf(config: StackConfig): LastDeployment {
  return { nodes: deployedNodesOf(config), settings: deployedSettingsOf(config) };
}

export function etcdQuorum(members: number): number {
  return Math.floor(members / 2) + 1;
}

/** Per-node fields that only a new server can change. */
function checkNodeFields(previous: PreviousNode, config: StackConfig, index: number): ConfigProblem[] {
  const node = config.nodes[index];
  const problems: ConfigProblem[] = [];
  const path = (field: string) => ["nodes", index, field];
  const replaceHint = `add a new node with the new value, let it join, then remove ${node.name}`;
  const location = locationOf(config, node);
  if (previous.location !== undefined && previous.location !== location) {
    problems.push({
      path: path("location"),
      message: `${node.name} runs in ${previous.location}; a server cannot move (${replaceHint})`,
    });
  }
  if (previous.privateIp !== undefined && previous.privateIp !== node.privateIp) {
    problems.push({
      path: path("privateIp"),
      message:
        `${node.name} was created with ${previous.privateIp}; k3s and etcd keep a node's address, so it ` +
        `cannot change on a running node (${replaceHint})`,
    });
  }
  if (previous.serverType !== undefined && previous.serverType !== node.serverType) {
    problems.push({
      path: path("serverType"),
      message:
        `${node.name} is a ${previous.serverType}; Hetzner resizes a server by powering it off hard, ` +
        `without a drain (${replaceHint}: docs/runbooks/add-node.md, then remove-node.md)`,
    });
  }
  const size = volumeSizeOf(node);
  if (previous.volumeSizeGb !== undefined && previous.volumeSizeGb > 0 && size < previous.volumeSizeGb) {
    problems.push({
      path: path("volumeSizeGb"),
      message:
        size === 0
          ? `${node.name} has a ${previous.volumeSizeGb} GB volume holding its local-volume data; removing ` +
            "it would detach that data from the node (move the data, then remove the node)"
          : `${node.name}'s volume has ${previous.volumeSizeGb} GB; Hetzner volumes only grow (keep ${previous.volumeSizeGb} or more)`,
    });
  }
  return problems;
}

function checkSettings(previous: DeployedSettings | undefined, config: StackConfig): ConfigProblem[] {
  if (!previous) return [];
  const problems: ConfigProblem[] = FIXED_SETTINGS.filter((key) => previous[key] !== config[key]).map(
    (key) => ({
      path: [key],
      message:
        `was ${previous[key]} in the last deployment; a running cluster cannot change it ` +
        "(create a new stack with the new value and move the workloads)",
    }),
  );
  problems.push(...checkK3sUpgrade(previous.k3sVersion, config.k3sVersion));
  problems.push(...checkAutoscaledPools(previous.autoscaledPools ?? [], config));
  if ((previous.privateNodes ?? false) !== config.privateNodes) {
    // Hetzner changes a server's public network only while it is off; every node at once would go down.
    problems.push({
      path: ["privateNodes"],
      message:
        `was ${String(previous.privateNodes ?? false)} in the last deployment; running servers keep their public ` +
        "addresses or their lack of them (create a new stack with the new value and move the workloads)",
    });
  }
  return problems;
}

/**
 * A deployed autoscaled pool's servers sit in its subnet, in its location: neither can change under them,
 * and a pool that stops being autoscaled would leave them to nobody (docs/runbooks/autoscaled-pools.md).
 */
function checkAutoscaledPools(
  previous: readonly DeployedAutoscaledPool[],
  config: StackConfig,
): ConfigProblem[] {
  const hint =
    "add a new pool, set this one's min to 0 and cordon its nodes, then remove it (docs/runbooks/autoscaled-pools.md)";
  return previous.flatMap((deployed): ConfigProblem[] => {
    const index = config.nodePools.findIndex((pool) => pool.name === deployed.name);
    if (index < 0) return [];
    const pool = config.nodePools[index];
    if (!pool.autoscaling)
      return [
        {
          path: ["nodePools", index, "autoscaling"],
          message: `pool ${pool.name} was autoscaled in the last deployment; the servers the cluster-autoscaler made for it would be left to nobody (${hint})`,
        },
      ];
    const location = locationOf(config, pool);
    return [
      ...(deployed.ipRange !== pool.ipRange
        ? [
            {
              path: ["nodePools", index, "ipRange"],
              message: `was ${deployed.ipRange} in the last deployment; the pool's subnet holds its servers (${hint})`,
            },
          ]
        : []),
      ...(deployed.location !== location
        ? [
            {
              path: ["nodePools", index, "location"],
              message: `was ${deployed.location} in the last deployment; the pool's servers cannot move (${hint})`,
            },
          ]
        : []),
    ];
  });
}

/** k3s supports upgrades one minor at a time and no downgrades (etcd's data format moves forward). */
export function checkK3sUpgrade(from: string, to: string): ConfigProblem[] {
  const before = parseK3sVersion(from);
  const after = parseK3sVersion(to);
  if (!before || !after) return [];
  if (compareK3sVersions(after, before) < 0) {
    return [
      {
        path: ["k3sVersion"],
        message: `${to} is older than the running ${from}; k3s cannot be downgraded (restore an etcd snapshot instead, docs/runbooks/backup-restore-etcd.md)`,
      },
    ];
  }
  if (after.minor > before.minor + 1) {
    return [
      {
        path: ["k3sVersion"],
        message: `${to} skips a minor release from the running ${from}; upgrade to the newest v1.${before.minor + 1} release first, then to ${to}`,
      },
    ];
  }
  return [];
}

export function checkNodeTransition(previous: readonly PreviousNode[], config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const before = new Map(previous.map((node) => [node.name, node]));
  config.nodes.forEach((node, index) => {
    const deployed = before.get(node.name);
    if (deployed === undefined) return;
    if (deployed.role !== node.role) {
      problems.push({
        path: ["nodes", index, "role"],
        message: `${node.name} was created as ${deployed.role}; a node's role is fixed (add a new ${node.role} node, then remove this one)`,
      });
    }
    problems.push(...checkNodeFields(deployed, config, index));
  });

  const kept = new Set(config.nodes.map((node) => node.name));
  const removedProtected = previous.filter((node) => node.deleteProtection && !kept.has(node.name));
  const protectedRemovals = removedProtected.filter((node) => node.pool === undefined);
  problems.push(...protectedPoolRemovals(removedProtected, config));
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

/** A pool's protected nodes leave when its count drops: the protection goes first, on the whole pool. */
function protectedPoolRemovals(removed: readonly PreviousNode[], config: StackConfig): ConfigProblem[] {
  const pools = [...new Set(removed.flatMap((node) => (node.pool === undefined ? [] : [node.pool])))];
  return pools.map((pool) => {
    const index = config.nodePools.findIndex((entry) => entry.name === pool);
    const names = removed.filter((node) => node.pool === pool).map((node) => node.name);
    return {
      path: index < 0 ? ["nodePools"] : ["nodePools", index, "deleteProtection"],
      message:
        `${names.join(", ")} of pool ${pool} still had delete protection in the last deployment: set ` +
        `deleteProtection: false on the pool and pulumi up, then ${index < 0 ? "remove the pool" : "lower its count"}`,
    };
  });
}

/** Every unsafe change, each at its key in the stack file (a pool's node at its pool). */
export function checkTransition(last: LastDeployment, config: StackConfig): ConfigProblem[] {
  const problems = [...checkSettings(last.settings, config), ...checkNodeTransition(last.nodes, config)];
  return toStackFilePaths(config, problems);
}

/** Throws a ConfigError listing every unsafe change, before any resource is registered. */
export function assertSafeTransition(last: LastDeployment, config: StackConfig): void {
  const problems = checkTransition(last, config);
  if (problems.length > 0) throw new ConfigError(problems);
}
