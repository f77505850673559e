import type { IPriorityClass } from "kubernetes-models/scheduling.k8s.io/v1/PriorityClass";
import { manifestOf, metadata, type Manifest } from "./common";

/**
 * The priority of the platform's own pods. Without a class they would run at the tenants' global default
 * and any tenant class above it (`high`, `platform-critical`) could preempt the ingress controller,
 * Rancher or Prometheus to make room for itself. The value sits above every tenant class (the highest,
 * `platform-critical`, has 1,000,000; a test keeps it below this one) and below both the largest value a
 * class of ours may have (1,000,000,000) and Kubernetes' own system-cluster-critical (2,000,000,000), so
 * node and cluster plumbing still outranks it. No tenant lists this class (the tenant schema only knows its own four), so the tenants'
 * priority-class quota refuses it like every other class a tenant was not granted.
 */
export const PLATFORM_PRIORITY_CLASS = "hetzner-k8s-platform";
/**
 * Kubernetes cannot change a class's value in place: a new value here replaces the class on the next
 * `pulumi up` (IMMUTABLE_FIELDS in src/kubernetes/manifests.ts), and running pods keep the old priority
 * until they are replaced.
 */
export const PLATFORM_PRIORITY = 100_000_000;

/**
 * Kubernetes' built-in classes, kept for the add-ons that keep a node or the cluster working at all (the
 * cloud controller, the storage drivers): the kubelet does not evict pods at these priorities under node
 * pressure, and the platform's own pods cannot preempt them.
 */
export const SYSTEM_CLUSTER_CRITICAL = "system-cluster-critical";
export const SYSTEM_NODE_CRITICAL = "system-node-critical";

export function platformPriorityClassManifest(): Manifest {
  return manifestOf<IPriorityClass>({
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: metadata(PLATFORM_PRIORITY_CLASS),
    value: PLATFORM_PRIORITY,
    globalDefault: false,
    // A platform pod that finds no room evicts tenant pods rather than waiting behind them.
    preemptionPolicy: "PreemptLowerPriority",
    description: "hetzner-k8s platform add-ons; every tenant's quota refuses it",
  });
}
