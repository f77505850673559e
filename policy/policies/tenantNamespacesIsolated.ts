import type { PolicyResource } from "@pulumi/policy";
import {
  field,
  isList,
  isRecord,
  plainProps,
  resourcesOfType,
  Unknown,
  type Plain,
  type StackPolicy,
  type Verdict,
} from "./common";

export const NAMESPACE_TYPE = "kubernetes:core/v1:Namespace";
export const RESOURCE_QUOTA_TYPE = "kubernetes:core/v1:ResourceQuota";
export const LIMIT_RANGE_TYPE = "kubernetes:core/v1:LimitRange";
export const NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

export const TENANT_LABEL = "hetzner-k8s.io/tenant";
export const POD_SECURITY_LABEL = "pod-security.kubernetes.io/enforce";
/** The Pod Security levels that restrict something (`privileged` allows everything). */
export const RESTRICTING_LEVELS: readonly string[] = ["baseline", "restricted"];

/** `metadata.namespace` of a namespaced object. */
function namespaceOf(resource: PolicyResource): Plain {
  return field(plainProps(resource.props).metadata, "namespace");
}

/** Whether some resource of `type` in `namespace` satisfies `accept` ("unknown" if one might, later). */
function findIn(
  resources: readonly PolicyResource[],
  type: string,
  namespace: string,
  accept: (resource: PolicyResource) => Verdict = () => "yes",
): Verdict {
  let result: Verdict = "no";
  for (const resource of resourcesOfType(resources, type)) {
    const objectNamespace = namespaceOf(resource);
    if (objectNamespace instanceof Unknown) {
      result = "unknown";
      continue;
    }
    if (objectNamespace !== namespace) continue;
    const verdict = accept(resource);
    if (verdict === "yes") return "yes";
    if (verdict === "unknown") result = "unknown";
  }
  return result;
}

function isEmptySelector(selector: Plain): Verdict {
  if (selector instanceof Unknown) return "unknown";
  if (!isRecord(selector)) return "no";
  for (const [key, value] of Object.entries(selector)) {
    if (value instanceof Unknown) return "unknown";
    if (value === undefined || value === null) continue;
    if (key === "matchLabels" && isRecord(value) && Object.keys(value).length === 0) continue;
    if (key === "matchExpressions" && isList(value) && value.length === 0) continue;
    return "no";
  }
  return "yes";
}

/** "yes" if every verdict is, "no" if any is, else "unknown". */
function all(...verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes("no")) return "no";
  return verdicts.includes("unknown") ? "unknown" : "yes";
}

function governsIngress(policyTypes: Plain): Verdict {
  if (policyTypes instanceof Unknown) return "unknown";
  if (!isList(policyTypes)) return "no";
  if (policyTypes.includes("Ingress")) return "yes";
  return policyTypes.some((type) => type instanceof Unknown) ? "unknown" : "no";
}

function allowsNoIngress(ingress: Plain): Verdict {
  if (ingress instanceof Unknown) return "unknown";
  if (ingress === undefined || ingress === null) return "yes";
  return isList(ingress) && ingress.length === 0 ? "yes" : "no";
}

/**
 * A default-deny ingress NetworkPolicy: it selects every pod (`podSelector: {}`), governs ingress
 * (`policyTypes` has "Ingress") and allows nothing (no `ingress` rules).
 */
export function isDefaultDenyIngress(networkPolicy: PolicyResource): Verdict {
  const spec = plainProps(networkPolicy.props).spec;
  if (spec instanceof Unknown) return "unknown";
  return all(
    isEmptySelector(field(spec, "podSelector")),
    governsIngress(field(spec, "policyTypes")),
    allowsNoIngress(field(spec, "ingress")),
  );
}

function governsEgress(policyTypes: Plain): Verdict {
  if (policyTypes instanceof Unknown) return "unknown";
  if (!isList(policyTypes)) return "no";
  if (policyTypes.includes("Egress")) return "yes";
  return policyTypes.some((type) => type instanceof Unknown) ? "unknown" : "no";
}

/**
 * An egress NetworkPolicy over the whole namespace: it selects every pod (`podSelector: {}`) and
 * governs egress (`policyTypes` has "Egress"), so its pods reach only what some egress rule admits.
 * Which destinations those rules admit is the program's to choose (DNS, tenant namespaces, the internet).
 */
export function restrictsEgress(networkPolicy: PolicyResource): Verdict {
  const spec = plainProps(networkPolicy.props).spec;
  if (spec instanceof Unknown) return "unknown";
  return all(isEmptySelector(field(spec, "podSelector")), governsEgress(field(spec, "policyTypes")));
}

/** Whether the namespace has a default-deny ingress NetworkPolicy ("unknown" if one might, later). */
export function hasDefaultDenyIngress(resources: readonly PolicyResource[], namespace: string): Verdict {
  return findIn(resources, NETWORK_POLICY_TYPE, namespace, isDefaultDenyIngress);
}

export const tenantNamespacesIsolated: StackPolicy = {
  name: "tenant-namespaces-isolated",
  description:
    `Every tenant namespace (label ${TENANT_LABEL}) enforces Pod Security (label ${POD_SECURITY_LABEL}: ` +
    `baseline or restricted) and has a ResourceQuota, a LimitRange and a default-deny ingress ` +
    `NetworkPolicy (podSelector {}, policyTypes with Ingress, no ingress rules) and an egress ` +
    `NetworkPolicy over all its pods (podSelector {}, policyTypes with Egress).`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const namespace of resourcesOfType(args.resources, NAMESPACE_TYPE)) {
      const metadata = plainProps(namespace.props).metadata;
      const labels = field(metadata, "labels");
      if (!isRecord(labels) || !(TENANT_LABEL in labels)) continue;
      const name = field(metadata, "name");
      if (typeof name !== "string") continue;
      const tenant = labels[TENANT_LABEL];
      const what = `tenant namespace "${name}"${typeof tenant === "string" ? ` (tenant ${tenant})` : ""}`;

      const level = labels[POD_SECURITY_LABEL];
      if (!(level instanceof Unknown)) {
        if (typeof level !== "string" || level.trim() === "") {
          reportViolation(
            `${what} has no ${POD_SECURITY_LABEL} label: set it to "restricted" (or "baseline") so ` +
              `Pod Security admission rejects privileged pods.`,
            namespace.urn,
          );
        } else if (!RESTRICTING_LEVELS.includes(level)) {
          reportViolation(
            `${what} has ${POD_SECURITY_LABEL}=${level}, which restricts nothing: use "restricted" or "baseline".`,
            namespace.urn,
          );
        }
      }

      if (findIn(args.resources, RESOURCE_QUOTA_TYPE, name) === "no") {
        reportViolation(
          `${what} has no ResourceQuota: without one a tenant can take the whole cluster.`,
          namespace.urn,
        );
      }
      if (findIn(args.resources, LIMIT_RANGE_TYPE, name) === "no") {
        reportViolation(
          `${what} has no LimitRange: containers without requests and limits escape the quota's accounting.`,
          namespace.urn,
        );
      }
      if (findIn(args.resources, NETWORK_POLICY_TYPE, name, isDefaultDenyIngress) === "no") {
        reportViolation(
          `${what} has no default-deny ingress NetworkPolicy (spec.podSelector {}, policyTypes ` +
            `including "Ingress", no ingress rules): pods of every other namespace can reach its pods.`,
          namespace.urn,
        );
      }
      if (findIn(args.resources, NETWORK_POLICY_TYPE, name, restrictsEgress) === "no") {
        reportViolation(
          `${what} has no egress NetworkPolicy over all its pods (spec.podSelector {}, policyTypes ` +
            `including "Egress"): its pods can reach the platform's namespaces, the nodes and the metadata service.`,
          namespace.urn,
        );
      }
    }
  },
};
