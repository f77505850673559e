import { SERVER_TYPES } from "../config/catalogue";
import { GIB, parseQuantity } from "../config/quantity";
import type { StackConfig } from "../config/schema";
import type { TenantConfig } from "../config/tenantSchema";

/**
 * The shared resource pool: what the nodes' server types offer, minus what each node keeps for itself,
 * against what the tenants' quotas promise. Quotas apply per namespace, so a tenant with two namespaces
 * is promised twice its quota.
 */

export type PoolResource = "cpu" | "memory" | "storage";
export const POOL_RESOURCES: readonly PoolResource[] = ["cpu", "memory", "storage"];

/**
 * Kept back on every node for the OS, k3s and the platform's DaemonSets; control-plane nodes also run
 * etcd and the API server. Storage: the OS, container images and logs on the local disk.
 */
export const SYSTEM_RESERVE = {
  "control-plane": { cpu: 1, memory: 2 * GIB, storage: 30 * GIB },
  worker: { cpu: 0.5, memory: 1 * GIB, storage: 30 * GIB },
} as const;

export type Amounts = Record<PoolResource, number>;

export interface PoolModel {
  /** What the server types offer (cores, bytes, bytes). */
  capacity: Amounts;
  reserved: Amounts;
  /** capacity - reserved */
  allocatable: Amounts;
  overcommit: Amounts;
  /** Promised by the tenants' quotas (requests), per tenant and in total. */
  byTenant: { tenant: string; namespaces: number; amounts: Amounts }[];
  allocated: Amounts;
  /** allocatable × overcommit - allocated (negative when overpromised). */
  free: Amounts;
}

const zero = (): Amounts => ({ cpu: 0, memory: 0, storage: 0 });

function add(total: Amounts, amounts: Amounts, times = 1): void {
  for (const resource of POOL_RESOURCES) total[resource] += amounts[resource] * times;
}

export function tenantNamespaces(tenant: TenantConfig): string[] {
  return tenant.namespaces ?? [tenant.name];
}

/** One namespace's promise; unparseable quantities count as 0 (validation reports them). */
export function quotaAmounts(tenant: TenantConfig): Amounts {
  return {
    cpu: parseQuantity(tenant.quota.requestsCpu) ?? 0,
    memory: parseQuantity(tenant.quota.requestsMemory) ?? 0,
    storage: parseQuantity(tenant.quota.storage) ?? 0,
  };
}

export function buildPool(config: StackConfig): PoolModel {
  const capacity = zero();
  const reserved = zero();
  for (const node of config.nodes) {
    const type = SERVER_TYPES[node.serverType];
    if (!type) continue;
    add(capacity, {
      cpu: type.vcpus,
      memory: type.memoryGb * GIB,
      storage: (type.diskGb + (node.volumeSizeGb ?? 0)) * GIB,
    });
    add(reserved, SYSTEM_RESERVE[node.role]);
  }
  const allocatable = zero();
  for (const resource of POOL_RESOURCES)
    allocatable[resource] = Math.max(0, capacity[resource] - reserved[resource]);
  const byTenant = config.tenants.map((tenant) => {
    const amounts = zero();
    add(amounts, quotaAmounts(tenant), tenantNamespaces(tenant).length);
    return { tenant: tenant.name, namespaces: tenantNamespaces(tenant).length, amounts };
  });
  const allocated = zero();
  for (const entry of byTenant) add(allocated, entry.amounts);
  const overcommit = { ...config.overcommit };
  const free = zero();
  for (const resource of POOL_RESOURCES)
    free[resource] = allocatable[resource] * overcommit[resource] - allocated[resource];
  return { capacity, reserved, allocatable, overcommit, byTenant, allocated, free };
}
