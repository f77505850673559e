import { cidrContainsIp, type Cidr } from "./ipv4";

/**
 * How the node subnet is laid out: the low addresses for the gateway and the load balancers, then the
 * nodes' own. One home for the layout and for the next free address, which the rules' hints, the console
 * and the node pools all use.
 */

/** Addresses below this offset in the node subnet are kept for the gateway and the load balancers. */
export const FIRST_NODE_HOST = 10;
/** Hetzner's gateway is the subnet's first host; the load balancers take the next ones. */
export const LOAD_BALANCER_HOSTS = { api: 2, ingress: 3 } as const;
/** The gateway server of a cluster with private nodes (model/gateway.ts). */
export const GATEWAY_SERVER_HOST = 4;

/** The first and last address a node may have in the subnet (the last one before its broadcast address). */
export function nodeHosts(subnet: Cidr): { first: number; last: number } {
  return { first: subnet.base + FIRST_NODE_HOST, last: subnet.base + subnet.size - 2 };
}

/**
 * Addresses for `count` new nodes, in order: after the highest address an explicit node uses, so a new node
 * never takes a removed node's address (a retained volume's mount or a stale known_hosts entry may still
 * name it), skipping `taken` ones and every pool's range (kept for the pool's growth). Fewer than `count`
 * when the subnet runs out.
 */
export function nextFreeNodeAddresses(
  subnet: Cidr,
  used: readonly number[],
  poolRanges: readonly Cidr[],
  count: number,
  taken: ReadonlySet<number> = new Set(),
): number[] {
  const { first, last } = nodeHosts(subnet);
  const free: number[] = [];
  let next = Math.max(first - 1, ...used) + 1;
  while (free.length < count && next <= last) {
    const pool = poolRanges.find((range) => cidrContainsIp(range, next));
    if (pool) next = pool.base + pool.size;
    else {
      if (!taken.has(next) && !used.includes(next)) free.push(next);
      next += 1;
    }
  }
  return free;
}
