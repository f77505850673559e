import type { ConfigProblem } from "./errors";
import {
  cidrContains,
  cidrContainsIp,
  cidrsOverlap,
  formatIpv4,
  parseCidr,
  parseIpv4,
  type Cidr,
} from "./ipv4";
import { nextFreeNodeAddresses, nodeHosts } from "./nodeAddresses";
import { deleteProtectionOf, type NodeConfig, type NodePoolConfig, type StackConfig } from "./schema";

/**
 * Node pools become nodes: pool `p` with count n is the workers `p-1` to `p-n`, node i at the i-th address
 * of the pool's range, so its identity depends on the pool and the index alone. The loader expands the
 * pools after the explicit nodes, and every rule, the model and the pool accounting then see plain nodes;
 * a problem about a pool's node is reported at the pool's own key, as the stack file has it.
 */

/** The pool's range, or the problems that keep its nodes from being laid out (it is then not expanded). */
function poolLayout(
  pool: NodePoolConfig,
  index: number,
  config: StackConfig,
): { range: Cidr; problems?: undefined } | { range?: undefined; problems: ConfigProblem[] } {
  const at = (field: string) => ["nodePools", index, field];
  const range = parseCidr(pool.ipRange);
  if (typeof range === "string") return { problems: [{ path: at("ipRange"), message: range }] };
  // An autoscaled pool's range is a subnet of its own, outside the node subnet (autoscalingRules.ts).
  if (isAutoscaled(pool)) return { range };
  if (pool.count === undefined) {
    const message = "required: the number of nodes, or autoscaling {min, max} for an autoscaled pool";
    return { problems: [{ path: at("count"), message }] };
  }
  const subnet = parseCidr(config.nodeSubnetCidr);
  // Without a valid subnet the range cannot be judged; the subnet's own problem is reported by the rules.
  if (typeof subnet === "string") return { range };
  if (!cidrContains(subnet, range)) {
    const message = `${pool.ipRange} is outside the node subnet ${config.nodeSubnetCidr}`;
    return { problems: [{ path: at("ipRange"), message }] };
  }
  const hosts = nodeHosts(subnet);
  const span = `node addresses run from ${formatIpv4(hosts.first)} to ${formatIpv4(hosts.last)}`;
  if (range.base + 1 < hosts.first) {
    const message =
      `${pool.ipRange} would put ${pool.name}-1 at ${formatIpv4(range.base + 1)}, a reserved address; ` +
      `${span} (lower ones are kept for the gateway and load balancers)`;
    return { problems: [{ path: at("ipRange"), message }] };
  }
  const capacity = poolCapacity(range, subnet);
  if (pool.count > capacity) {
    const message =
      `${pool.count} nodes do not fit ipRange ${pool.ipRange}: node i takes its i-th address, so it holds ` +
      `${capacity} (${formatIpv4(range.base + 1)} to ${formatIpv4(range.base + capacity)}); use a larger range`;
    return { problems: [{ path: at("count"), message }] };
  }
  return { range };
}

/** Whether the cluster-autoscaler, not the program, creates the pool's servers (model/autoscaling.ts). */
export function isAutoscaled(pool: NodePoolConfig): boolean {
  return pool.autoscaling !== undefined;
}

/** How many nodes the program itself creates for a pool: none for an autoscaled one. */
export function fixedCount(pool: NodePoolConfig): number {
  return isAutoscaled(pool) ? 0 : (pool.count ?? 0);
}

/** How many nodes a pool's range holds: its addresses after the first, up to the subnet's last node address. */
export function poolCapacity(range: Cidr, subnet: Cidr): number {
  return Math.min(range.base + range.size - 1, nodeHosts(subnet).last) - range.base;
}

export function poolNodeName(pool: string, index: number): string {
  return `${pool}-${index}`;
}

/** The pool a node belongs to: its name is `<pool>-<i>` with i from 1 to the pool's count. */
export function poolOf(config: StackConfig, nodeName: string): NodePoolConfig | undefined {
  return config.nodePools.find((pool) => {
    const suffix = nodeName.startsWith(`${pool.name}-`) ? nodeName.slice(pool.name.length + 1) : "";
    return /^[1-9]\d*$/.test(suffix) && Number(suffix) <= fixedCount(pool);
  });
}

/** The ranges of the pools whose ipRange is a CIDR, with each pool's index. */
export function poolRanges(config: StackConfig): { index: number; range: Cidr }[] {
  return config.nodePools.flatMap((pool, index) => {
    const range = parseCidr(pool.ipRange);
    return typeof range === "string" ? [] : [{ index, range }];
  });
}

function poolNode(pool: NodePoolConfig, range: Cidr, index: number): NodeConfig {
  return {
    name: poolNodeName(pool.name, index),
    role: "worker",
    serverType: pool.serverType,
    privateIp: formatIpv4(range.base + index),
    ...(pool.location !== undefined && { location: pool.location }),
    ...(pool.volumeSizeGb !== undefined && { volumeSizeGb: pool.volumeSizeGb }),
    ...(pool.labels !== undefined && { labels: { ...pool.labels } }),
    ...(pool.taints !== undefined && { taints: pool.taints.map((taint) => ({ ...taint })) }),
    // A pool's nodes are workers: off unless the pool asks, by the one default of a node's protection.
    deleteProtection: deleteProtectionOf({ role: "worker", deleteProtection: pool.deleteProtection }),
  };
}

/** Which pools were expanded. */
interface Expansion {
  /** For each pool node, in order after the explicit nodes, the index of its pool in nodePools. */
  poolOfIndex: number[];
  /** Whether every pool was laid out (otherwise a count over the whole list is not the real one). */
  complete: boolean;
}

function expansionOf(config: StackConfig): Expansion {
  const poolOfIndex: number[] = [];
  let complete = true;
  config.nodePools.forEach((pool, index) => {
    if (poolLayout(pool, index, config).range)
      poolOfIndex.push(...Array<number>(fixedCount(pool)).fill(index));
    else complete = false;
  });
  return { poolOfIndex, complete };
}

/** The config with each pool's nodes after the explicit ones; a pool that cannot be laid out adds none. */
export function expandNodePools(config: StackConfig): StackConfig {
  const nodes = config.nodePools.flatMap((pool, index) => {
    const { range } = poolLayout(pool, index, config);
    if (!range) return [];
    return Array.from({ length: fixedCount(pool) }, (_, at) => poolNode(pool, range, at + 1));
  });
  return { ...config, nodes: [...config.nodes, ...nodes] };
}

/** How many of an expanded config's nodes the stack file lists itself (they come first). */
export function explicitNodeCount(config: StackConfig): number {
  return config.nodes.length - expansionOf(config).poolOfIndex.length;
}

/** Whether every pool of an expanded config became nodes (a whole-list count is only sound then). */
export function allPoolsExpanded(config: StackConfig): boolean {
  return expansionOf(config).complete;
}

/**
 * The addresses the next `count` listed nodes would get (the rules' hint, the console's form), in order:
 * after the highest address a listed node uses, never one a node has, never inside a pool's range.
 */
export function freeNodeAddresses(config: StackConfig, subnet: Cidr, count: number): number[] {
  const addresses = config.nodes.map((node) => parseIpv4(node.privateIp ?? ""));
  const { first, last } = nodeHosts(subnet);
  // An address outside the node addresses is a problem of its own, and claims nothing.
  const valid = (ip: number | undefined): ip is number => ip !== undefined && ip >= first && ip <= last;
  const explicit = addresses.slice(0, explicitNodeCount(config)).filter(valid);
  const ranges = poolRanges(config).map(({ range }) => range);
  return nextFreeNodeAddresses(subnet, explicit, ranges, count, new Set(addresses.filter(valid)));
}

/** A pool node's field as the pool has it: its address comes from the pool's range. */
const POOL_FIELD: Readonly<Record<string, string>> = { privateIp: "ipRange" };

/**
 * Problems of an expanded config with the paths and references of the stack file: `nodes[7].serverType`
 * of a pool's node becomes `nodePools[1].serverType`, once for the whole pool.
 */
export function toStackFilePaths(config: StackConfig, problems: readonly ConfigProblem[]): ConfigProblem[] {
  const { poolOfIndex } = expansionOf(config);
  const explicit = config.nodes.length - poolOfIndex.length;
  const poolAt = (index: number) => (index >= explicit ? poolOfIndex[index - explicit] : undefined);
  const seen = new Set<string>();
  return problems.flatMap((problem) => {
    const [top, index, field, ...rest] = problem.path;
    const pool = top === "nodes" && typeof index === "number" ? poolAt(index) : undefined;
    const path =
      pool === undefined
        ? problem.path
        : ["nodePools", pool, ...(field === undefined ? [] : [POOL_FIELD[String(field)] ?? field]), ...rest];
    const message = problem.message.replace(/\bnodes\[(\d+)\]/g, (whole, at: string) => {
      const owner = poolAt(Number(at));
      return owner === undefined ? whole : `nodePools[${owner}]`;
    });
    const key = `${path.join(".")}\u0000${message}`;
    if (seen.has(key)) return [];
    seen.add(key);
    return [{ ...problem, path, message }];
  });
}

/** Rules of the pools themselves: their layout, names and ranges, and explicit nodes kept out of them. */
export function checkNodePools(config: StackConfig): ConfigProblem[] {
  const problems = config.nodePools.flatMap((pool, index) => poolLayout(pool, index, config).problems ?? []);
  const firstIndex = new Map<string, number>();
  config.nodePools.forEach((pool, index) => {
    const first = firstIndex.get(pool.name);
    if (first === undefined) firstIndex.set(pool.name, index);
    else
      problems.push({
        path: ["nodePools", index, "name"],
        message: `duplicate node pool name "${pool.name}" (also nodePools[${first}])`,
      });
  });
  const ranges = poolRanges(config);
  for (const [at, { index, range }] of ranges.entries()) {
    const other = ranges.slice(0, at).find((earlier) => cidrsOverlap(earlier.range, range));
    if (other)
      problems.push({
        path: ["nodePools", index, "ipRange"],
        message: `${config.nodePools[index].ipRange} overlaps nodePools[${other.index}].ipRange ${config.nodePools[other.index].ipRange}; each pool needs a range of its own`,
      });
  }
  const explicit = explicitNodeCount(config);
  config.nodes.slice(0, explicit).forEach((node, nodeIndex) => {
    const ip = parseIpv4(node.privateIp ?? "");
    const owner = ip === undefined ? undefined : ranges.find(({ range }) => cidrContainsIp(range, ip));
    if (owner)
      problems.push({
        path: ["nodes", nodeIndex, "privateIp"],
        message: `${node.privateIp} is inside nodePools[${owner.index}].ipRange ${config.nodePools[owner.index].ipRange}, which is kept for the pool's nodes`,
      });
  });
  return problems;
}
