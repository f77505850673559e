import type { Policies } from "@pulumi/policy";
import { helmReleasesPinned } from "./helmReleasesPinned";
import { noPublicClusterPorts } from "./noPublicClusterPorts";
import { secretsStaySecret } from "./secretsStaySecret";
import { serversPrivateAndFirewalled } from "./serversPrivateAndFirewalled";
import { tenantNamespacesIsolated } from "./tenantNamespacesIsolated";

export {
  helmReleasesPinned,
  noPublicClusterPorts,
  secretsStaySecret,
  serversPrivateAndFirewalled,
  tenantNamespacesIsolated,
};

/** The policies of the hetzner-k8s pack, all mandatory. */
export const policies: Policies = [
  noPublicClusterPorts,
  serversPrivateAndFirewalled,
  tenantNamespacesIsolated,
  secretsStaySecret,
  helmReleasesPinned,
];
