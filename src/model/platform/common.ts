import type { INamespace } from "kubernetes-models/v1/Namespace";
import { PROJECT } from "../../names";

/** Labels on every object the platform layer creates, so `kubectl get -l` finds them. */
export const MANAGED_LABELS = { "app.kubernetes.io/managed-by": PROJECT } as const;

export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A Kubernetes object as plain data: what the program creates, and what the schema tests validate. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [field: string]: unknown;
}

/**
 * A Kubernetes object checked against its type at compile time: `manifestOf<IDeployment>({ ... })` gets
 * TypeScript's excess-property and field checks against the kubernetes-models interface (imported with
 * `import type` only, as it is a devDependency). An identity function: the object is returned as it is.
 */
export function manifestOf<T extends { apiVersion: string; kind: string }>(
  object: T & { metadata: ObjectMeta },
): Manifest {
  return object;
}

export function metadata(name: string, namespace?: string, labels: Record<string, string> = {}): ObjectMeta {
  return { name, ...(namespace && { namespace }), labels: { ...MANAGED_LABELS, ...labels } };
}

export function namespaceManifest(name: string, labels: Record<string, string> = {}): Manifest {
  return manifestOf<INamespace>({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: metadata(name, undefined, labels),
  });
}

/**
 * Pod Security Admission labels: enforce the given level, and warn and audit at restricted so that
 * anything short of it shows up before it is enforced.
 */
export function podSecurityLabels(enforce: "privileged" | "baseline" | "restricted"): Record<string, string> {
  return {
    "pod-security.kubernetes.io/enforce": enforce,
    "pod-security.kubernetes.io/audit": "restricted",
    "pod-security.kubernetes.io/warn": "restricted",
  };
}
