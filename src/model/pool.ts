import { serverSizeOf } from "../config/catalogue";
import type { ConfigProblem } from "../config/errors";
import { parseQuantity } from "../config/quantity";
import { formatBytes, formatCores, GIB } from "../units";
import type { StackConfig } from "../config/schema";
import { tenantNamespaces, type TenantConfig } from "../config/tenantSchema";

/**
 * The shared resource pool: what the nodes' server types offer, minus what each node keeps for itself,
 * against what the tenants' quotas promise. Quotas apply per namespace, so a tenant with two namespaces
 * is promised twice its quota.
 */

export type PoolResource = "cpu" | "memory" | "storage";
export const POOL_RESOURCES: readonly PoolResource[] = ["cpu", "memory", "storage"];

/**
 * What the kubelet keeps back on every node (its system-reserved and kube-reserved), so that pods
 * cannot starve the OS or k3s: control-plane nodes also run etcd and the API server. The pool counts
 * the same amounts, so a tenant's promise is what the scheduler can really place.
 */
export const KUBELET_RESERVE = {
  "control-plane": { system: { cpu: 0.25, memory: 0.5 * GIB }, kube: { cpu: 0.75, memory: 1.5 * GIB } },
  worker: { system: { cpu: 0.25, memory: 0.5 * GIB }, kube: { cpu: 0.25, memory: 0.5 * GIB } },
} as const;

/** The disk kept for the OS, container images and logs (the kubelet sees it as used, not reserved). */
const LOCAL_DISK_RESERVE = 30 * GIB;

function reserveOf(role: keyof typeof KUBELET_RESERVE) {
  const { system, kube } = KUBELET_RESERVE[role];
  return { cpu: system.cpu + kube.cpu, memory: system.memory + kube.memory, storage: LOCAL_DISK_RESERVE };
}

/** Kept back on every node, per role: the kubelet's reservations and the local disk's share. */
export const SYSTEM_RESERVE = {
  "control-plane": reserveOf("control-plane"),
  worker: reserveOf("worker"),
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
  /** With autoscaled pools, which count at their min: allocatable with every one of them at its max. */
  allocatableAtMax?: Amounts;
}

const zero = (): Amounts => ({ cpu: 0, memory: 0, storage: 0 });

function add(total: Amounts, amounts: Amounts, times = 1): void {
  for (const resource of POOL_RESOURCES) total[resource] += amounts[resource] * times;
}

/** One namespace's promise; unparseable quantities count as 0 (validation reports them). */
export function quotaAmounts(tenant: TenantConfig): Amounts {
  return {
    cpu: parseQuantity(tenant.quota.requestsCpu) ?? 0,
    memory: parseQuantity(tenant.quota.requestsMemory) ?? 0,
    storage: parseQuantity(tenant.quota.storage) ?? 0,
  };
}

/** What one server of a type offers, with its volume. */
function serverAmounts(serverType: string, volumeSizeGb = 0): Amounts | undefined {
  const type = serverSizeOf(serverType);
  return (
    type && { cpu: type.vcpus, memory: type.memoryGb * GIB, storage: (type.diskGb + volumeSizeGb) * GIB }
  );
}

function allocatableOf(capacity: Amounts, reserved: Amounts): Amounts {
  const allocatable = zero();
  for (const resource of POOL_RESOURCES)
    allocatable[resource] = Math.max(0, capacity[resource] - reserved[resource]);
  return allocatable;
}

/**
 * The stack's nodes, and each autoscaled pool at its min: a promise to tenants must hold without a scale-up,
 * which waits for pods that do not fit and may fail (no stock of the type in the location).
 */
export function buildPool(config: StackConfig): PoolModel {
  const capacity = zero();
  const reserved = zero();
  for (const node of config.nodes) {
    const amounts = serverAmounts(node.serverType, node.volumeSizeGb);
    if (!amounts) continue;
    add(capacity, amounts);
    add(reserved, SYSTEM_RESERVE[node.role]);
  }
  const atMax = { capacity: { ...capacity }, reserved: { ...reserved } };
  for (const pool of config.nodePools) {
    const amounts = pool.autoscaling && serverAmounts(pool.serverType);
    if (!pool.autoscaling || !amounts) continue;
    add(capacity, amounts, pool.autoscaling.min);
    add(reserved, SYSTEM_RESERVE.worker, pool.autoscaling.min);
    add(atMax.capacity, amounts, pool.autoscaling.max);
    add(atMax.reserved, SYSTEM_RESERVE.worker, pool.autoscaling.max);
  }
  const allocatable = allocatableOf(capacity, reserved);
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
  const autoscaled = config.nodePools.some((pool) => pool.autoscaling);
  return {
    capacity,
    reserved,
    allocatable,
    overcommit,
    byTenant,
    allocated,
    free,
    ...(autoscaled && { allocatableAtMax: allocatableOf(atMax.capacity, atMax.reserved) }),
  };
}

/** The quota key of each pool resource, as a tenant writes it. */
const RESOURCE_KEYS = {
  cpu: "requests.cpu",
  memory: "requests.memory",
  storage: "requests.storage",
} as const;

/**
 * Tenants' promises beyond the pool, as problems of the stack file's `tenants`; meaningful only once nodes
 * and tenants are otherwise valid, so the loader asks after the config passed its own rules.
 */
export function poolProblems(pool: PoolModel): ConfigProblem[] {
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
