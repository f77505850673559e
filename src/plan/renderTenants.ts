import { formatBytes, formatCores } from "../units";
import { POOL_RESOURCES, type Amounts, type PoolResource } from "../model/pool";
import type { Plan } from "./evaluate";
import { table } from "./table";

/** The tenants as the plan registers them, and the resource pool they share. */

type Inputs = Record<string, unknown>;
const TENANT_LABEL = "hetzner-k8s.io/tenant";

function labelsOf(inputs: Inputs): Record<string, string> {
  return ((inputs.metadata as Inputs | undefined)?.labels ?? {}) as Record<string, string>;
}

function namespaceOf(inputs: Inputs): string {
  return String((inputs.metadata as Inputs | undefined)?.namespace ?? "");
}

export function tenantsSection(plan: Plan): string[] {
  const namespaces = plan.resources.filter(
    (resource) => resource.type === "kubernetes:core/v1:Namespace" && labelsOf(resource.inputs)[TENANT_LABEL],
  );
  if (namespaces.length === 0) return ["Tenants: none (add them under hetzner-k8s:tenants)"];
  const tenants = [...new Set(namespaces.map((namespace) => labelsOf(namespace.inputs)[TENANT_LABEL]))];
  const rows = [["TENANT", "NAMESPACES", "POD SECURITY", "QUOTA PER NAMESPACE (requests / limits)", "USERS"]];
  for (const tenant of tenants) {
    const own = namespaces.filter((namespace) => labelsOf(namespace.inputs)[TENANT_LABEL] === tenant);
    const names = own.map((namespace) => namespace.name);
    const quota = plan.resources.find(
      (resource) =>
        resource.type === "kubernetes:core/v1:ResourceQuota" && resource.name === `${names[0]}/tenant-quota`,
    );
    const hard = ((quota?.inputs.spec as Inputs | undefined)?.hard ?? {}) as Record<string, string>;
    const users = plan.resources
      .filter(
        (resource) =>
          resource.type === "kubernetes:core/v1:ServiceAccount" &&
          labelsOf(resource.inputs)[TENANT_LABEL] === tenant &&
          namespaceOf(resource.inputs) === names[0],
      )
      .map((account) => account.name.split("/")[1].replace(/^user-/, ""));
    const retained = own.some((namespace) => namespace.options.retainOnDelete) ? "" : " (deletion allowed)";
    rows.push([
      tenant + retained,
      names.join(", "),
      labelsOf(own[0].inputs)["pod-security.kubernetes.io/enforce"] ?? "-",
      `cpu ${hard["requests.cpu"]}/${hard["limits.cpu"]}, memory ${hard["requests.memory"]}/${hard["limits.memory"]}, ` +
        `storage ${hard["requests.storage"]}, pods ${hard.pods}, LB ${hard["services.loadbalancers"]}`,
      users.join(", ") || "-",
    ]);
  }
  return [
    `Tenants (${tenants.length}; namespaces are kept when a tenant is removed, unless it allowed deletion)`,
    ...table(rows),
  ];
}

function format(resource: PoolResource, value: number): string {
  return resource === "cpu" ? formatCores(value) : formatBytes(value);
}

export function poolSection(plan: Plan): string[] {
  const { pool } = plan;
  const rows = [["RESOURCE", "CAPACITY", "RESERVED", "POOL", "OVERCOMMIT", "PROMISED", "FREE"]];
  for (const resource of POOL_RESOURCES) {
    rows.push([
      resource,
      format(resource, pool.capacity[resource]),
      format(resource, pool.reserved[resource]),
      format(resource, pool.allocatable[resource]),
      `x${pool.overcommit[resource]}`,
      format(resource, pool.allocated[resource]),
      format(resource, pool.free[resource]),
    ]);
  }
  const lines = [
    "Resource pool (server types minus the per-node system reserve; tenants' quota requests)",
    ...table(rows),
  ];
  const atMax = pool.allocatableAtMax;
  if (atMax)
    lines.push(
      `  Autoscaled pools count at their min; at their max the pool is ` +
        POOL_RESOURCES.map((resource) => `${resource} ${format(resource, atMax[resource])}`).join(", "),
    );
  if (pool.byTenant.length > 0) {
    const tenantRows = [
      ["TENANT", "NAMESPACES", ...POOL_RESOURCES.map((resource) => resource.toUpperCase())],
    ];
    for (const entry of pool.byTenant) {
      tenantRows.push([
        entry.tenant,
        String(entry.namespaces),
        ...POOL_RESOURCES.map((resource) =>
          share(resource, entry.amounts, pool.allocatable, pool.overcommit),
        ),
      ]);
    }
    lines.push(...table(tenantRows));
  }
  return lines;
}

function share(resource: PoolResource, amounts: Amounts, allocatable: Amounts, overcommit: Amounts): string {
  const limit = allocatable[resource] * overcommit[resource];
  const percent = limit > 0 ? Math.round((amounts[resource] / limit) * 100) : 0;
  return `${format(resource, amounts[resource])} (${percent}%)`;
}
