import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { Manifest } from "../model/platform/common";

/**
 * Turns plain manifests (built by pure model functions, schema-checked in tests) into typed Kubernetes
 * resources, so the plan and the engine see e.g. `kubernetes:core/v1:Namespace`, not a generic object.
 */

/**
 * Each typed class takes its own args interface. Manifests are passed through as they are (`never` lets one
 * table hold every class); their shape is checked against the Kubernetes API schemas in tests.
 */
type ResourceConstructor = new (
  name: string,
  args: never,
  opts?: pulumi.CustomResourceOptions,
) => pulumi.CustomResource;

const TYPED: Record<string, ResourceConstructor> = {
  "v1/Namespace": k8s.core.v1.Namespace,
  "v1/ConfigMap": k8s.core.v1.ConfigMap,
  "v1/Secret": k8s.core.v1.Secret,
  "v1/ServiceAccount": k8s.core.v1.ServiceAccount,
  "v1/ResourceQuota": k8s.core.v1.ResourceQuota,
  "v1/LimitRange": k8s.core.v1.LimitRange,
  "apps/v1/Deployment": k8s.apps.v1.Deployment,
  "storage.k8s.io/v1/StorageClass": k8s.storage.v1.StorageClass,
  "rbac.authorization.k8s.io/v1/ClusterRole": k8s.rbac.v1.ClusterRole,
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": k8s.rbac.v1.ClusterRoleBinding,
  "rbac.authorization.k8s.io/v1/Role": k8s.rbac.v1.Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": k8s.rbac.v1.RoleBinding,
  "networking.k8s.io/v1/NetworkPolicy": k8s.networking.v1.NetworkPolicy,
  "scheduling.k8s.io/v1/PriorityClass": k8s.scheduling.v1.PriorityClass,
};

/** Whether Kubernetes serves the manifest's kind itself, with no custom resource definition. */
export function isBuiltInKind(manifest: Manifest): boolean {
  return `${manifest.apiVersion}/${manifest.kind}` in TYPED;
}

/** Logical name of a manifest's resource: unique per kind, readable in the plan. */
export function manifestResourceName(manifest: Manifest): string {
  const { name, namespace } = manifest.metadata;
  return namespace ? `${namespace}/${name}` : name;
}

export function createManifest(
  manifest: Manifest,
  opts: pulumi.CustomResourceOptions,
): pulumi.CustomResource {
  const name = manifestResourceName(manifest);
  const typed = TYPED[`${manifest.apiVersion}/${manifest.kind}`];
  if (typed) return new typed(name, { ...manifest } as never, opts);
  // Custom resources (cert-manager issuers, Prometheus rules) go through the generic class.
  return new k8s.apiextensions.CustomResource(name, { ...manifest }, opts);
}
