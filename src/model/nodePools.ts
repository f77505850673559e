import type { Location } from "../config/catalogue";
import { formatIpv4, parseCidr } from "../config/ipv4";
import { poolCapacity, poolNodeName } from "../config/nodePools";
import type { StackConfig } from "../config/schema";
import { subnetOf } from "./nodes";

/** A node pool as the plan and the console show it: its range, what it uses of it, and its nodes. */
export interface NodePoolModel {
  name: string;
  count: number;
  serverType: string;
  location: Location;
  ipRange: string;
  /** How many nodes the range holds (node i at its i-th address). */
  capacity: number;
  /** The addresses the pool's nodes take, first to last; absent with count 0. */
  addresses?: { first: string; last: string };
  nodes: string[];
}

export function buildNodePools(config: StackConfig): NodePoolModel[] {
  const subnet = subnetOf(config);
  return config.nodePools.map((pool) => {
    const range = parseCidr(pool.ipRange);
    if (typeof range === "string") throw new Error(`unvalidated config: pool ${pool.name}: ${range}`);
    return {
      name: pool.name,
      count: pool.count,
      serverType: pool.serverType,
      location: (pool.location ?? config.location) as Location,
      ipRange: pool.ipRange,
      capacity: poolCapacity(range, subnet),
      ...(pool.count > 0 && {
        addresses: { first: formatIpv4(range.base + 1), last: formatIpv4(range.base + pool.count) },
      }),
      nodes: Array.from({ length: pool.count }, (_, index) => poolNodeName(pool.name, index + 1)),
    };
  });
}
