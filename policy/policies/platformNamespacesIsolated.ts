import { field, plainProps, resourcesOfType, type StackPolicy } from "./common";
import { hasDefaultDenyIngress, NAMESPACE_TYPE } from "./tenantNamespacesIsolated";

/**
 * The namespaces the platform layer creates for its add-ons, those of Rancher's it applies before Rancher
 * creates them (Fleet's controllers, Turtles), and the tenant users' identities. Their pods hold the
 * cluster's alerts (Alertmanager's silence API), every tenant's metrics (Prometheus), Rancher and the
 * admission webhooks: without a default deny, every pod of the cluster, every tenant's among them, reaches
 * them. kube-system is k3s's and not listed.
 */
export const PLATFORM_NAMESPACES: readonly string[] = [
  "traefik",
  "cert-manager",
  "cattle-system",
  "monitoring",
  "local-path-storage",
  "cattle-fleet-system",
  "cattle-turtles-system",
  "tenant-users",
];

/** How the program applies a namespace that Rancher owns: a patch, which creates it when missing. */
export const NAMESPACE_PATCH_TYPE = "kubernetes:core/v1:NamespacePatch";

export const platformNamespacesIsolated: StackPolicy = {
  name: "platform-namespaces-isolated",
  description:
    `Every platform namespace the stack creates or applies (${PLATFORM_NAMESPACES.join(", ")}) has a default-deny ` +
    `ingress NetworkPolicy (podSelector {}, policyTypes with Ingress, no ingress rules).`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const namespaces = [
      ...resourcesOfType(args.resources, NAMESPACE_TYPE),
      ...resourcesOfType(args.resources, NAMESPACE_PATCH_TYPE),
    ];
    for (const namespace of namespaces) {
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
