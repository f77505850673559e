import { HETZNER_LIMITS, NETWORK_ZONES, type Location } from "./catalogue";
import type { ConfigProblem } from "./errors";
import { cidrContains, cidrsOverlap, formatIpv4, parseCidr, type Cidr } from "./ipv4";
import { isAutoscaled } from "./nodePools";
import { checkServerType, duplicateTaints, locationProblem } from "./rules";
import { locationOf, type NodePoolConfig, type StackConfig } from "./schema";

/**
 * Rules of the autoscaled pools (nodePools[i].autoscaling), whose servers the cluster-autoscaler creates
 * and deletes (model/autoscaling.ts). What the program's own nodes get from their pool's rules at each
 * expanded node, an autoscaled pool gets here once, since it expands into no node of the stack.
 */

/**
 * How many servers an autoscaled pool's subnet holds. The subnet's first address is its gateway (Hetzner
 * Cloud API, Subnet.gateway: "always the first IP of the subnet's IP range"); the network and broadcast
 * addresses are left out too, so the count never promises an address Hetzner may refuse.
 */
export function autoscaledCapacity(range: Cidr): number {
  return Math.max(range.size - 3, 0);
}

/**
 * The longest node group name, `<cluster>-<pool>` (model/autoscaling.ts): the provider names a server
 * `<group>-<hex of a random 63-bit number>`, up to 16 digits, and Hetzner's server names end at 63 characters.
 */
export const NODE_GROUP_MAX_LENGTH = 46;

/** A pool's cluster-autoscaler node group: the cluster's name first, since groups are project-wide. */
export function nodeGroupName(clusterName: string, pool: string): string {
  return `${clusterName}-${pool}`;
}

function rangeProblems(pool: NodePoolConfig, range: Cidr, config: StackConfig): string[] {
  const network = parseCidr(config.networkCidr);
  const nodeSubnet = parseCidr(config.nodeSubnetCidr);
  const problems: string[] = [];
  if (typeof network !== "string" && !cidrContains(network, range))
    problems.push(
      `${pool.ipRange} is outside the network ${config.networkCidr}: an autoscaled pool's range becomes a subnet of the network`,
    );
  if (typeof nodeSubnet !== "string" && cidrsOverlap(nodeSubnet, range))
    problems.push(
      `${pool.ipRange} overlaps the node subnet ${config.nodeSubnetCidr}: an autoscaled pool's range becomes a Hetzner ` +
        `subnet of its own, where Hetzner picks each server's address, so it must lie outside nodeSubnetCidr ` +
        `(for example the next /24 of the network)`,
    );
  return problems;
}

function checkAutoscaledPool(
  pool: NodePoolConfig,
  index: number,
  config: StackConfig,
  problems: ConfigProblem[],
): void {
  const at = (...field: (string | number)[]) => ["nodePools", index, ...field];
  const scaling = pool.autoscaling;
  if (!scaling) return;
  const group = nodeGroupName(config.clusterName, pool.name);
  if (group.length > NODE_GROUP_MAX_LENGTH)
    problems.push({
      path: at("name"),
      message:
        `the pool's node group ${group} is ${group.length} characters, more than the ${NODE_GROUP_MAX_LENGTH} that ` +
        `leave room for the cluster-autoscaler's server names (<group>-<16 hex digits>); use a shorter name`,
    });
  if (pool.count !== undefined)
    problems.push({
      path: at("count"),
      message:
        "an autoscaled pool has no count: the cluster-autoscaler keeps it between autoscaling.min and autoscaling.max",
    });
  if (scaling.min > scaling.max)
    problems.push({
      path: at("autoscaling", "min"),
      message: `min ${scaling.min} is above max ${scaling.max}`,
    });
  const perGroup = HETZNER_LIMITS.serversPerPlacementGroup;
  if (scaling.max > perGroup)
    problems.push({
      path: at("autoscaling", "max"),
      message:
        `max ${scaling.max} is more than the ${perGroup} servers of the pool's spread placement group; split the ` +
        `pool into several of at most ${perGroup} (the cluster-autoscaler balances similar pools)`,
    });
  const range = parseCidr(pool.ipRange);
  if (typeof range !== "string") {
    for (const message of rangeProblems(pool, range, config)) problems.push({ path: at("ipRange"), message });
    const capacity = autoscaledCapacity(range);
    if (scaling.max > capacity)
      problems.push({
        path: at("autoscaling", "max"),
        message:
          `max ${scaling.max} does not fit ipRange ${pool.ipRange}, which holds ${capacity} servers ` +
          `(${formatIpv4(range.base + 2)} to ${formatIpv4(range.base + range.size - 2)}); use a larger range`,
      });
  }
  if (pool.volumeSizeGb !== undefined)
    problems.push({
      path: at("volumeSizeGb"),
      message:
        "an autoscaled pool's nodes get no volume of their own: the cluster-autoscaler creates bare servers and " +
        "deletes them again; use hcloud-volumes claims for data",
    });
  if (pool.deleteProtection === true)
    problems.push({
      path: at("deleteProtection"),
      message:
        "an autoscaled pool cannot be delete-protected: the cluster-autoscaler deletes the servers it no longer needs",
    });
  const zone = NETWORK_ZONES[config.location as Location] as string | undefined;
  const locationMessage = locationProblem(config, pool.location, zone);
  if (locationMessage) problems.push({ path: at("location"), message: locationMessage });
  const serverTypeMessage = checkServerType(pool.serverType, locationOf(config, pool));
  if (serverTypeMessage) problems.push({ path: at("serverType"), message: serverTypeMessage });
  problems.push(...duplicateTaints(pool.taints ?? [], ["nodePools", index]));
}

/** Every autoscaled pool's problems, at the pool's own keys. */
export function checkAutoscaledPools(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.nodePools.forEach((pool, index) => {
    if (isAutoscaled(pool)) checkAutoscaledPool(pool, index, config, problems);
  });
  return problems;
}
