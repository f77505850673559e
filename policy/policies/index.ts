import type { Policies } from "@pulumi/policy";
import { autoscaledPoolsBounded } from "./autoscaledPoolsBounded";
import { helmReleasesPinned } from "./helmReleasesPinned";
import { nodePoolsUniform } from "./nodePoolsUniform";
import { noPublicClusterPorts } from "./noPublicClusterPorts";
import { platformNamespacesIsolated } from "./platformNamespacesIsolated";
import { platformPriorityReserved } from "./platformPriorityReserved";
import { podSecurityDefault } from "./podSecurityDefault";
import { secretsStaySecret } from "./secretsStaySecret";
import { serversPrivateAndFirewalled } from "./serversPrivateAndFirewalled";
import { tenantHostnamesEnforced } from "./tenantHostnamesEnforced";
import { tenantNamespacesIsolated } from "./tenantNamespacesIsolated";

export {
  autoscaledPoolsBounded,
  helmReleasesPinned,
  nodePoolsUniform,
  noPublicClusterPorts,
  platformNamespacesIsolated,
  platformPriorityReserved,
  podSecurityDefault,
  secretsStaySecret,
  serversPrivateAndFirewalled,
  tenantHostnamesEnforced,
  tenantNamespacesIsolated,
};

/** The policies of the hetzner-k8s pack, all mandatory. */
export const policies: Policies = [
  noPublicClusterPorts,
  serversPrivateAndFirewalled,
  nodePoolsUniform,
  tenantNamespacesIsolated,
  platformNamespacesIsolated,
  tenantHostnamesEnforced,
  platformPriorityReserved,
  podSecurityDefault,
  secretsStaySecret,
  helmReleasesPinned,
  autoscaledPoolsBounded,
];
