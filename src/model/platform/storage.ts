import type { StackConfig } from "../../config/schema";
import { IMAGES } from "../../versions";
import type { NodeModel } from "../nodes";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IClusterRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole";
import type { IClusterRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IStorageClass } from "kubernetes-models/storage.k8s.io/v1/StorageClass";
import { manifestOf, metadata, namespaceManifest, podSecurityLabels, type Manifest } from "./common";
import type { AddonName } from "./releaseModel";

/** The add-on behind the default storage class, which releases with volumes wait for. */
export function storageAddon(config: StackConfig): AddonName {
  return config.defaultStorageClass === "hcloud-volumes" ? "hcloud-csi" : "local-path";
}

/**
 * Storage classes by medium. `hcloud-volumes`: Hetzner network volumes (CSI), which follow a pod to any
 * node of the location. `local-nvme`: a directory on the server's own NVMe disk, fastest, bound to the
 * node. `local-volume`: a directory on the node's own Hetzner volume, bound to the node, larger than
 * its disk. Exactly one is the default.
 */

export type StorageClassName = StackConfig["defaultStorageClass"];

export interface StorageClassModel {
  name: StorageClassName;
  medium: string;
  isDefault: boolean;
}

export const LOCAL_PATH_NAMESPACE = "local-path-storage";
export const LOCAL_PATH_PROVISIONER = "rancher.io/local-path";
/** Where local-path keeps volumes on the server's own disk. */
export const LOCAL_NVME_PATH = "/var/lib/hetzner-k8s/local-nvme";
/** Where the node's Hetzner volume is mounted (scripts/prepare-node.sh) and local-path uses it. */
export const VOLUME_MOUNT = "/var/lib/hetzner-k8s/volume";
export const LOCAL_VOLUME_PATH = `${VOLUME_MOUNT}/local-path`;
/** Node label set on nodes that have a volume; the local-volume class only schedules there. */
export const HAS_VOLUME_LABEL = "hetzner-k8s.io/volume";

export function storageClasses(config: StackConfig, nodes: NodeModel[]): StorageClassModel[] {
  const classes: StorageClassModel[] = [];
  const add = (name: StorageClassName, medium: string) =>
    classes.push({ name, medium, isDefault: config.defaultStorageClass === name });
  if (config.hcloudCsiEnabled)
    add("hcloud-volumes", "Hetzner network volume (follows the pod between nodes)");
  if (config.localPathEnabled) {
    add("local-nvme", "server's local NVMe disk (bound to the node)");
    if (nodes.some((node) => node.volumeSizeGb !== undefined)) {
      add("local-volume", "node's own Hetzner volume (bound to the node)");
    }
  }
  return classes;
}

const DEFAULT_CLASS_ANNOTATION = "storageclass.kubernetes.io/is-default-class";

function localPathClass(model: StorageClassModel, onlyNodesWithVolume: boolean): Manifest {
  return manifestOf<IStorageClass>({
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      ...metadata(model.name),
      annotations: { [DEFAULT_CLASS_ANNOTATION]: String(model.isDefault) },
    },
    provisioner: LOCAL_PATH_PROVISIONER,
    // The pod is scheduled first, then its volume is made on that node.
    volumeBindingMode: "WaitForFirstConsumer",
    reclaimPolicy: "Delete",
    ...(onlyNodesWithVolume && {
      allowedTopologies: [{ matchLabelExpressions: [{ key: HAS_VOLUME_LABEL, values: ["true"] }] }],
    }),
  });
}

/**
 * local-path-provisioner's config: one deployment serves both local classes (storageClassConfigs). No node
 * is named, so adding or removing a node never changes it: local-volume uses the volume's mount point on
 * every node, and its StorageClass only lets pods onto nodes labelled as having a volume.
 */
export function localPathConfig(): Record<string, unknown> {
  const everywhere = (path: string) => ({
    nodePathMap: [{ node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [path] }],
  });
  return {
    storageClassConfigs: {
      "local-nvme": everywhere(LOCAL_NVME_PATH),
      "local-volume": everywhere(LOCAL_VOLUME_PATH),
    },
  };
}

const SETUP = `#!/bin/sh
set -eu
mkdir -m 0777 -p "$VOL_DIR"
`;
const TEARDOWN = `#!/bin/sh
set -eu
rm -rf "$VOL_DIR"
`;
const HELPER_POD = `apiVersion: v1
kind: Pod
metadata:
  name: helper-pod
spec:
  priorityClassName: system-node-critical
  tolerations:
    - key: node.kubernetes.io/disk-pressure
      operator: Exists
      effect: NoSchedule
  containers:
    - name: helper-pod
      image: ${IMAGES.localPathHelper}
      imagePullPolicy: IfNotPresent
`;

/** local-path-provisioner as plain Kubernetes objects (it publishes no Helm repository). */
export function localPathManifests(config: StackConfig, nodes: NodeModel[]): Manifest[] {
  const ns = LOCAL_PATH_NAMESPACE;
  const account = "local-path-provisioner";
  const classes = storageClasses(config, nodes).filter((model) => model.name !== "hcloud-volumes");
  const labels = { "app.kubernetes.io/name": "local-path-provisioner" };
  return [
    // Helper pods create and remove directories on the host (hostPath): privileged.
    namespaceManifest(ns, podSecurityLabels("privileged")),
    manifestOf<IServiceAccount>({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: metadata(account, ns),
    }),
    manifestOf<IRole>({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata(account, ns),
      rules: [
        {
          apiGroups: [""],
          resources: ["pods"],
          verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
        },
      ],
    }),
    manifestOf<IRoleBinding>({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: metadata(account, ns),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: account },
      subjects: [{ kind: "ServiceAccount", name: account, namespace: ns }],
    }),
    manifestOf<IClusterRole>({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRole",
      metadata: metadata(account),
      rules: [
        {
          apiGroups: [""],
          resources: ["nodes", "configmaps", "pods", "pods/log"],
          verbs: ["get", "list", "watch"],
        },
        // update: the provisioner clears the selected-node annotation after a failed provisioning.
        { apiGroups: [""], resources: ["persistentvolumeclaims"], verbs: ["get", "list", "watch", "update"] },
        {
          apiGroups: [""],
          resources: ["persistentvolumes"],
          verbs: ["get", "list", "watch", "create", "patch", "update", "delete"],
        },
        { apiGroups: [""], resources: ["events"], verbs: ["create", "patch"] },
        { apiGroups: ["storage.k8s.io"], resources: ["storageclasses"], verbs: ["get", "list", "watch"] },
      ],
    }),
    manifestOf<IClusterRoleBinding>({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: metadata(account),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: account },
      subjects: [{ kind: "ServiceAccount", name: account, namespace: ns }],
    }),
    manifestOf<IConfigMap>({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata("local-path-config", ns),
      data: {
        "config.json": JSON.stringify(localPathConfig(), null, 2),
        setup: SETUP,
        teardown: TEARDOWN,
        "helperPod.yaml": HELPER_POD,
      },
    }),
    manifestOf<IDeployment>({
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: metadata("local-path-provisioner", ns, labels),
      spec: {
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: account,
            priorityClassName: "system-cluster-critical",
            containers: [
              {
                name: "local-path-provisioner",
                image: IMAGES.localPathProvisioner,
                imagePullPolicy: "IfNotPresent",
                command: [
                  "local-path-provisioner",
                  "--debug",
                  "start",
                  "--config",
                  "/etc/config/config.json",
                ],
                volumeMounts: [{ name: "config-volume", mountPath: "/etc/config/" }],
                env: [
                  { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                  // Lets a config change (a node added) reach the provisioner without a restart.
                  { name: "CONFIG_MOUNT_PATH", value: "/etc/config/" },
                ],
                resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true },
              },
            ],
            volumes: [{ name: "config-volume", configMap: { name: "local-path-config" } }],
          },
        },
      },
    }),
    ...classes.map((model) => localPathClass(model, model.name === "local-volume")),
  ];
}
