import type { PolicyResource } from "@pulumi/policy";
import {
  field,
  isList,
  isRecord,
  listing,
  plainProps,
  resourcesOfType,
  Unknown,
  type Plain,
  type StackPolicy,
} from "./common";
import { NAMESPACE_TYPE, RESOURCE_QUOTA_TYPE, TENANT_LABEL } from "./tenantNamespacesIsolated";

export const PRIORITY_CLASS_TYPE = "kubernetes:scheduling.k8s.io/v1:PriorityClass";
/** The class the platform's own pods run at. */
export const PLATFORM_PRIORITY_CLASS = "hetzner-k8s-platform";
/** Kubernetes' built-in classes, which outrank every class a stack can create. */
export const SYSTEM_PRIORITY_CLASSES: readonly string[] = ["system-node-critical", "system-cluster-critical"];

/** The classes a tenant namespace's pods may run at: every class, or the listed ones. */
type Granted = { every: true } | { every: false; names: readonly string[] };

/** The values of a known list of strings; undefined if it is not one (yet). */
function strings(value: Plain): string[] | undefined {
  if (!isList(value) || value.some((item) => typeof item !== "string")) return undefined;
  return value as string[];
}

/**
 * What a namespace's quotas of zero pods with a PriorityClass scope leave its pods (Kubernetes refuses a
 * pod whose class such a quota counts): `Exists` refuses every class, `NotIn` every class but those it
 * lists. A quota of another shape (or one not known yet) refuses nothing the policy can count on.
 */
function grantedClasses(quotas: readonly PolicyResource[]): Granted {
  let granted: Granted = { every: true };
  for (const quota of quotas) {
    const spec = field(plainProps(quota.props), "spec");
    const pods = field(field(spec, "hard"), "pods");
    if (pods !== "0" && pods !== 0) continue;
    const expressions = field(field(spec, "scopeSelector"), "matchExpressions");
    if (!isList(expressions) || expressions.length !== 1) continue;
    const [expression] = expressions;
    if (field(expression, "scopeName") !== "PriorityClass") continue;
    const operator = field(expression, "operator");
    const values = strings(field(expression, "values"));
    const admits = operator === "Exists" ? [] : operator === "NotIn" ? values : undefined;
    if (admits === undefined) continue;
    granted = {
      every: false,
      names: granted.every ? admits : granted.names.filter((name) => admits.includes(name)),
    };
  }
  return granted;
}

/** The name and value of every PriorityClass the stack creates (value undefined when not known yet). */
function stackClasses(
  resources: readonly PolicyResource[],
): Map<string, { value: Plain; resource: PolicyResource }> {
  const classes = new Map<string, { value: Plain; resource: PolicyResource }>();
  for (const resource of resourcesOfType(resources, PRIORITY_CLASS_TYPE)) {
    const props = plainProps(resource.props);
    const name = field(field(props, "metadata"), "name");
    if (typeof name === "string") classes.set(name, { value: props.value, resource });
  }
  return classes;
}

export const platformPriorityReserved: StackPolicy = {
  name: "platform-priority-reserved",
  description:
    `A stack with tenants creates the PriorityClass ${PLATFORM_PRIORITY_CLASS} (not a global default), and ` +
    `every tenant namespace (label ${TENANT_LABEL}) has a quota that admits its pods only at classes the ` +
    `stack creates below it: never ${PLATFORM_PRIORITY_CLASS} or ${SYSTEM_PRIORITY_CLASSES.join(", ")}.`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const tenantNamespaces = resourcesOfType(args.resources, NAMESPACE_TYPE).filter((namespace) => {
      const labels = field(field(plainProps(namespace.props), "metadata"), "labels");
      return isRecord(labels) && TENANT_LABEL in labels;
    });
    if (tenantNamespaces.length === 0) return;
    const classes = stackClasses(args.resources);
    const platform = classes.get(PLATFORM_PRIORITY_CLASS);
    if (!platform) {
      reportViolation(
        `the stack has tenants but no PriorityClass ${PLATFORM_PRIORITY_CLASS}: without it the platform's ` +
          `pods run at the tenants' default and any tenant class above it preempts the ingress, Rancher ` +
          `and Prometheus.`,
      );
    } else if (field(plainProps(platform.resource.props), "globalDefault") === true) {
      reportViolation(
        `PriorityClass ${PLATFORM_PRIORITY_CLASS} is the global default: every pod without a class, ` +
          `tenants' included, would run at the platform's priority.`,
        platform.resource.urn,
      );
    }
    const platformValue = platform?.value;
    const quotas = resourcesOfType(args.resources, RESOURCE_QUOTA_TYPE);
    const namespaceOf = (quota: PolicyResource) =>
      field(field(plainProps(quota.props), "metadata"), "namespace");
    // During preview a quota whose namespace is not known yet may be any namespace's.
    const someUnplaced = quotas.some((quota) => namespaceOf(quota) instanceof Unknown);
    for (const namespace of tenantNamespaces) {
      const name = field(field(plainProps(namespace.props), "metadata"), "name");
      if (typeof name !== "string") continue;
      const granted = grantedClasses(quotas.filter((quota) => namespaceOf(quota) === name));
      const what = `tenant namespace "${name}"`;
      if (granted.every) {
        if (someUnplaced) continue;
        reportViolation(
          `${what} has no ResourceQuota of zero pods scoped to the priority classes it may not use ` +
            `(scopeSelector PriorityClass NotIn <its classes>, hard pods "0"): its pods can run at ` +
            `${listing([PLATFORM_PRIORITY_CLASS, ...SYSTEM_PRIORITY_CLASSES])} and preempt the platform.`,
          namespace.urn,
        );
        continue;
      }
      const reserved = granted.names.filter(
        (className) => className === PLATFORM_PRIORITY_CLASS || SYSTEM_PRIORITY_CLASSES.includes(className),
      );
      if (reserved.length > 0) {
        reportViolation(
          `${what} may run pods at ${listing(reserved)}, which outrank or equal the platform's pods.`,
          namespace.urn,
        );
      }
      for (const className of granted.names.filter((entry) => !reserved.includes(entry))) {
        const known = classes.get(className);
        if (!known) {
          reportViolation(
            `${what} may run pods at PriorityClass ${className}, which the stack does not create: its ` +
              `value cannot be held below ${PLATFORM_PRIORITY_CLASS}'s.`,
            namespace.urn,
          );
        } else if (
          typeof known.value === "number" &&
          typeof platformValue === "number" &&
          known.value >= platformValue
        ) {
          reportViolation(
            `${what} may run pods at PriorityClass ${className} (${known.value}), which is not below ` +
              `${PLATFORM_PRIORITY_CLASS} (${platformValue}): they could preempt the platform's pods.`,
            namespace.urn,
          );
        }
      }
    }
  },
};
