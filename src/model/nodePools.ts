import type { Location } from "../config/catalogue";
import { formatIpv4, parseCidr } from "../config/ipv4";
import { autoscaledCapacity, nodeGroupName } from "../config/autoscalingRules";
import { fixedCount, isAutoscaled, poolCapacity, poolNodeName } from "../config/nodePools";
import { locationOf, type StackConfig } from "../config/schema";
import { subnetOf } from "./nodes";

/** A node pool as the plan and the console show it: its range, what it uses of it, and its nodes. */
export interface NodePoolModel {
  name: string;
  /** The nodes the program keeps; 0 for an autoscaled pool, whose servers the cluster-autoscaler makes. */
  count: number;
  /** An autoscaled pool's range of nodes and its cluster-autoscaler node group (model/autoscaling.ts). */
  autoscaling?: { min: number; max: number; nodeGroup: string };
  serverType: string;
  location: Location;
  ipRange: string;
  /** How many nodes the range holds (node i at its i-th address; an autoscaled pool's whole subnet). */
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
    const count = fixedCount(pool);
    return {
      name: pool.name,
      count,
      ...(pool.autoscaling && {
        autoscaling: { ...pool.autoscaling, nodeGroup: nodeGroupName(config.clusterName, pool.name) },
      }),
      serverType: pool.serverType,
      location: locationOf(config, pool) as Location,
      ipRange: pool.ipRange,
      capacity: isAutoscaled(pool) ? autoscaledCapacity(range) : poolCapacity(range, subnet),
      ...(count > 0 && {
        addresses: { first: formatIpv4(range.base + 1), last: formatIpv4(range.base + count) },
      }),
      nodes: Array.from({ length: count }, (_, index) => poolNodeName(pool.name, index + 1)),
    };
  });
}
