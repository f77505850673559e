import type { ConfigProblem } from "./errors";
import { checkServerType } from "./rules";
import type { StackConfig } from "./schema";

/**
 * Rules of private nodes (privateNodes, model/gateway.ts): the gateway is a server like the nodes, ordered
 * in the cluster's location, so its type must be one Hetzner sells there. Whether privateNodes may change
 * at all is a rule of the running cluster (transition.ts).
 */
export function checkPrivateNodes(config: StackConfig): ConfigProblem[] {
  if (!config.privateNodes) return [];
  const message = checkServerType(config.gatewayServerType, config.location);
  return message ? [{ path: ["gatewayServerType"], message }] : [];
}
