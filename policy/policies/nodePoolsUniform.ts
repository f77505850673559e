import type { PolicyResource } from "@pulumi/policy";
import { describe, listing, plainProps, resourcesOfType, stringMap, type StackPolicy } from "./common";
import { SERVER_TYPE } from "./serversPrivateAndFirewalled";

/** The Hetzner label the program puts on every server of a node pool (src/model/nodes.ts). */
export const POOL_LABEL = "pool";

/** What every server of one pool shares: a pool's nodes are interchangeable, the highest leave first. */
const SHARED = ["serverType", "image", "location"] as const;

function nameOf(server: PolicyResource): string {
  return describe("server", server.name, plainProps(server.props).name);
}

/** The servers of each pool, by the pool label's value. */
function pools(resources: readonly PolicyResource[]): Map<string, PolicyResource[]> {
  const byPool = new Map<string, PolicyResource[]>();
  for (const server of resourcesOfType(resources, SERVER_TYPE)) {
    const pool = stringMap(plainProps(server.props).labels).get(POOL_LABEL);
    if (pool !== undefined) byPool.set(pool, [...(byPool.get(pool) ?? []), server]);
  }
  return byPool;
}

export const nodePoolsUniform: StackPolicy = {
  name: "node-pools-uniform",
  description:
    "Every Hetzner server labelled pool=<name> is a worker (role=worker), since a pool loses its " +
    "highest-numbered servers when its count drops and an etcd member must never leave that way, and all " +
    "servers of one pool share one server type, image and location.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const [pool, servers] of pools(args.resources)) {
      for (const server of servers) {
        const role = stringMap(plainProps(server.props).labels).get("role");
        if (role !== "worker")
          reportViolation(
            `${nameOf(server)} is in node pool "${pool}" but has role ${role ?? "(none)"}: a pool's servers ` +
              "are workers, removed by lowering the count; control-plane servers are listed one by one.",
            server.urn,
          );
      }
      for (const property of SHARED) {
        const values = new Map<string, string[]>();
        for (const server of servers) {
          const value = plainProps(server.props)[property];
          if (typeof value !== "string") continue;
          values.set(value, [...(values.get(value) ?? []), nameOf(server)]);
        }
        if (values.size <= 1) continue;
        const spread = [...values].map(([value, names]) => `${value} (${listing(names)})`);
        reportViolation(
          `node pool "${pool}" mixes ${property}s: ${listing(spread)}; every server of a pool must be alike.`,
        );
      }
    }
  },
};
