import { buildPool, POOL_RESOURCES, tenantNamespaces } from "../model/pool";
import type { ConfigProblem } from "./errors";
import { formatBytes, formatCores, parseQuantity } from "./quantity";
import type { StackConfig } from "./schema";
import type { TenantConfig } from "./tenantSchema";

/** Rules for tenants: names, namespaces, quantities, limits, and the promise against the pool. */

/** Namespaces of Kubernetes and of the platform layer; no tenant may take them. */
export const RESERVED_NAMESPACES = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "cert-manager",
  "monitoring",
  "traefik",
  "local-path-storage",
  "cattle-system",
  // Rancher keeps its local cluster's projects here.
  "local",
  // Tenant users' ServiceAccounts and tokens (TENANT_USERS_NAMESPACE of the tenant model).
  "tenant-users",
];
const RESERVED_PREFIXES = ["kube-", "cattle-", "fleet-", "cluster-fleet-", "rancher-"];

export function isReservedNamespace(name: string): boolean {
  return RESERVED_NAMESPACES.includes(name) || RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

type Problems = ConfigProblem[];
type Kind = "cpu" | "bytes";

export function checkTenants(config: StackConfig): ConfigProblem[] {
  const problems: Problems = [];
  const tenantIndex = new Map<string, number>();
  const namespaceOwner = new Map<string, string>();
  config.tenants.forEach((tenant, index) => {
    const at = (...path: (string | number)[]) => ["tenants", index, ...path];
    const first = tenantIndex.get(tenant.name);
    if (first !== undefined)
      problems.push({
        path: at("name"),
        message: `duplicate tenant "${tenant.name}" (also tenants[${first}])`,
      });
    else tenantIndex.set(tenant.name, index);

    tenantNamespaces(tenant).forEach((namespace, namespaceIndex) => {
      const path = tenant.namespaces ? at("namespaces", namespaceIndex) : at("name");
      if (isReservedNamespace(namespace)) {
        problems.push({
          path,
          message: `namespace "${namespace}" is reserved for the system and the platform`,
        });
        return;
      }
      const owner = namespaceOwner.get(namespace);
      if (owner !== undefined) {
        problems.push({ path, message: `namespace "${namespace}" already belongs to tenant ${owner}` });
        return;
      }
      namespaceOwner.set(namespace, tenant.name);
    });
    const seenUsers = new Set<string>();
    tenant.users.forEach((user, userIndex) => {
      if (seenUsers.has(user))
        problems.push({ path: at("users", userIndex), message: `duplicate user "${user}"` });
      seenUsers.add(user);
    });
    problems.push(...checkQuantities(tenant, at));
  });
  return problems;
}

function checkQuantities(
  tenant: TenantConfig,
  at: (...path: (string | number)[]) => (string | number)[],
): Problems {
  const problems: Problems = [];
  const read = (group: "quota" | "limits", key: string, kind: Kind): number | undefined => {
    const text = (tenant[group] as Record<string, unknown>)[key] as string;
    const value = parseQuantity(text);
    if (value === undefined) {
      const example = kind === "cpu" ? '"500m" or "2"' : '"512Mi" or "8Gi"';
      problems.push({
        path: at(group, key),
        message: `"${text}" is not a Kubernetes quantity (e.g. ${example})`,
      });
    }
    return value;
  };
  const notAbove = (group: "quota" | "limits", lower: string, upper: string, kind: Kind) => {
    const low = read(group, lower, kind);
    const high = read(group, upper, kind);
    // Relative tolerance: "13m" and "0.013" are the same quantity, not in binary floating point.
    if (low !== undefined && high !== undefined && low - high > 1e-9 * Math.max(1, Math.abs(high))) {
      const format = kind === "cpu" ? formatCores : formatBytes;
      problems.push({
        path: at(group, lower),
        message: `${format(low)} is above ${upper} (${format(high)})`,
      });
    }
  };
  notAbove("quota", "requestsCpu", "limitsCpu", "cpu");
  notAbove("quota", "requestsMemory", "limitsMemory", "bytes");
  read("quota", "storage", "bytes");
  notAbove("limits", "defaultRequestCpu", "defaultLimitCpu", "cpu");
  notAbove("limits", "defaultLimitCpu", "maxCpu", "cpu");
  notAbove("limits", "defaultRequestMemory", "defaultLimitMemory", "bytes");
  notAbove("limits", "defaultLimitMemory", "maxMemory", "bytes");
  // Deduplicate: a malformed value is reported once even when two comparisons read it.
  return problems.filter(
    (problem, index) =>
      problems.findIndex((other) => JSON.stringify(other) === JSON.stringify(problem)) === index,
  );
}

const RESOURCE_KEYS = {
  cpu: "requests.cpu",
  memory: "requests.memory",
  storage: "requests.storage",
} as const;

/** Tenants' promises against the pool; meaningful only once nodes and tenants are otherwise valid. */
export function checkTenantPool(config: StackConfig): ConfigProblem[] {
  const pool = buildPool(config);
  // Quantities add up in floating point: an exact fit written in millicores must not fail by a rounding error.
  const tolerance = { cpu: 1e-6, memory: 1, storage: 1 };
  return POOL_RESOURCES.filter((resource) => pool.free[resource] < -tolerance[resource]).map((resource) => {
    const format = resource === "cpu" ? formatCores : formatBytes;
    const limit = pool.allocatable[resource] * pool.overcommit[resource];
    return {
      path: ["tenants"],
      message:
        `${RESOURCE_KEYS[resource]}: the tenants are promised ${format(pool.allocated[resource])}, but the pool has ` +
        `${format(pool.allocatable[resource])} × overcommit ${pool.overcommit[resource]} = ${format(limit)} ` +
        `(add nodes, lower quotas or raise hetzner-k8s:overcommit.${resource})`,
    };
  });
}
