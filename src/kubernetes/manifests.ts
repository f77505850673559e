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

/**
 * Fields Kubernetes refuses to change on an existing object, which pulumi-kubernetes would still try to
 * update in place: its table of fields that force a replacement has no PriorityClass (read at
 * pulumi/pulumi-kubernetes provider/pkg/provider/diff.go `forceNew`, unchanged from February 2026 to the
 * newest stored snapshot after v4.32.0; the program pins 4.34.2), while the API server forbids changing a
 * class's value and preemptionPolicy (kubernetes pkg/apis/scheduling/validation ValidatePriorityClassUpdate).
 * Without these options a new value would fail `pulumi up` at that class. With them the class is deleted
 * and created again under its name (a class of the same name cannot be created beside it); pods that
 * run keep the priority they were admitted with until they are replaced, and a pod created in between
 * that names the class is refused and retried by its controller.
 */
const IMMUTABLE_FIELDS: Record<string, string[]> = {
  "scheduling.k8s.io/v1/PriorityClass": ["value", "preemptionPolicy"],
};

/** Patch classes, for objects another component owns: they apply fields, creating the object if missing. */
const PATCHES: Record<string, ResourceConstructor> = {
  "v1/Namespace": k8s.core.v1.NamespacePatch,
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
  const key = `${manifest.apiVersion}/${manifest.kind}`;
  const typed = TYPED[key];
  const immutable = IMMUTABLE_FIELDS[key];
  if (immutable) opts = { ...opts, replaceOnChanges: immutable, deleteBeforeReplace: true };
  if (typed) return new typed(name, { ...manifest } as never, opts);
  // Custom resources (cert-manager issuers, Prometheus rules) go through the generic class.
  return new k8s.apiextensions.CustomResource(name, { ...manifest }, opts);
}

/**
 * Applies a manifest's fields to an object that another component owns (server-side apply through a
 * Patch resource): it is created when missing and left in place, with its other fields, when the
 * resource goes (the patch only gives its fields up).
 */
export function patchManifest(manifest: Manifest, opts: pulumi.CustomResourceOptions): pulumi.CustomResource {
  const patch = PATCHES[`${manifest.apiVersion}/${manifest.kind}`];
  if (!patch) throw new Error(`no patch resource for ${manifest.apiVersion} ${manifest.kind}`);
  return new patch(manifestResourceName(manifest), { ...manifest } as never, opts);
}
