import { field, plainProps, resourcesOfType, type StackPolicy } from "./common";
import { hasDefaultDenyIngress, NAMESPACE_TYPE } from "./tenantNamespacesIsolated";

/**
 * The namespaces the platform layer creates for its add-ons. Their pods hold the cluster's alerts
 * (Alertmanager's silence API), every tenant's metrics (Prometheus), Rancher and the admission webhooks:
 * without a default deny, every pod of the cluster, every tenant's among them, reaches them. kube-system
 * is k3s's and not listed.
 */
export const PLATFORM_NAMESPACES: readonly string[] = [
  "traefik",
  "cert-manager",
  "cattle-system",
  "monitoring",
  "local-path-storage",
];

export const platformNamespacesIsolated: StackPolicy = {
  name: "platform-namespaces-isolated",
  description:
    `Every platform namespace the stack creates (${PLATFORM_NAMESPACES.join(", ")}) has a default-deny ` +
    `ingress NetworkPolicy (podSelector {}, policyTypes with Ingress, no ingress rules).`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const namespace of resourcesOfType(args.resources, NAMESPACE_TYPE)) {
      const name = field(plainProps(namespace.props).metadata, "name");
      if (typeof name !== "string" || !PLATFORM_NAMESPACES.includes(name)) continue;
      if (hasDefaultDenyIngress(args.resources, name) === "no") {
        reportViolation(
          `platform namespace "${name}" has no default-deny ingress NetworkPolicy (spec.podSelector {}, ` +
            `policyTypes including "Ingress", no ingress rules): every pod of the cluster, tenants' included, ` +
            `reaches its add-ons.`,
          namespace.urn,
        );
      }
    }
  },
};
