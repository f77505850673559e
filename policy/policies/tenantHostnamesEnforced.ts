import { field, isList, plainProps, resourcesOfType, type StackPolicy } from "./common";
import { NAMESPACE_TYPE, TENANT_LABEL } from "./tenantNamespacesIsolated";

export const POLICY_BINDING_TYPE =
  "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

/** The admission policies that hold a tenant's Ingresses and Certificates to its hostnames. */
const HOSTNAME_POLICIES = ["tenant-ingresses", "tenant-certificates"] as const;

/**
 * Whether the stack binds `<policy>.<tenant>` to the tenant's namespaces with Deny: without it a tenant
 * could serve a platform hostname or another tenant's, or get a trusted certificate for it.
 */
function bound(bindings: ReturnType<typeof resourcesOfType>, policy: string, tenant: string): boolean {
  return bindings.some((binding) => {
    const spec = field(plainProps(binding.props), "spec");
    const actions = field(spec, "validationActions");
    const selector = field(field(field(spec, "matchResources"), "namespaceSelector"), "matchLabels");
    return (
      field(spec, "policyName") === `${policy}.${tenant}` &&
      isList(actions) &&
      actions.includes("Deny") &&
      field(selector, TENANT_LABEL) === tenant
    );
  });
}

export const tenantHostnamesEnforced: StackPolicy = {
  name: "tenant-hostnames-enforced",
  description:
    "Every tenant's namespaces are bound, with Deny, to the admission policies that keep its Ingresses and " +
    "Certificates to its own hostnames (tenant-ingresses.<tenant>, tenant-certificates.<tenant>).",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const bindings = resourcesOfType(args.resources, POLICY_BINDING_TYPE);
    const reported = new Set<string>();
    for (const namespace of resourcesOfType(args.resources, NAMESPACE_TYPE)) {
      const tenant = field(field(field(plainProps(namespace.props), "metadata"), "labels"), TENANT_LABEL);
      // A label not known yet (or none) is no tenant namespace this policy can judge.
      if (typeof tenant !== "string" || reported.has(tenant)) continue;
      const missing = HOSTNAME_POLICIES.filter((policy) => !bound(bindings, policy, tenant));
      if (missing.length === 0) continue;
      reported.add(tenant);
      reportViolation(
        `tenant "${tenant}" has no Deny binding of ${missing.map((policy) => `${policy}.${tenant}`).join(" and ")} ` +
          "to its namespaces: it could serve, or get certificates for, hostnames that are not its own.",
        namespace.urn,
      );
    }
  },
};
