import type { StackConfig } from "../../config/schema";
import type { ClusterModel } from "../cluster";
import { metadata, namespaceManifest, podSecurityLabels, type Manifest } from "./common";
import { autoscalerSecret } from "./autoscaler";
import { backupSteps, VELERO_NAMESPACE } from "./backups";
import { clusterIssuerManifests } from "./issuers";
import { LOGGING_NAMESPACE, loggingMonitoringManifests, type LoggingFiles } from "./logging";
import { dashboardManifests, MONITORING_NAMESPACE, prometheusRuleManifest } from "./monitoring";
import { localPathNetworkPolicies, platformNetworkPolicies, RANCHER_NAMESPACES } from "./networkPolicies";
import { platformPriorityClassManifest } from "./priority";
import { KURED_NAMESPACE } from "./reboots";
import type { AddonName, DynamicValues, PlatformStepName, ReleaseModel } from "./releaseModel";
import { buildReleases } from "./releases";
import { localPathManifests, storageClasses, type StorageClassModel } from "./storage";

/** Files the monitoring add-on ships (charts/kube-prometheus-stack/rules and dashboards). */
export interface MonitoringFiles {
  rules: string;
  dashboards: Record<string, string>;
  /** The logging add-on's alerts and dashboards (charts/loki), shipped with monitoring (logging.ts). */
  logging?: LoggingFiles;
}

export interface PlatformDynamicValues<T> extends DynamicValues<T> {
  /** The cloud controller's and CSI driver's Hetzner token (clusterHcloudToken, else the program's). */
  hcloudToken: T;
  networkId: T;
  /** With backupsEnabled: Velero's credentials file (backups.ts veleroCredentialsFile), a secret. */
  backupCredentials?: T;
  /**
   * With autoscaled pools: HCLOUD_CLUSTER_CONFIG of the cluster-autoscaler (autoscaler.ts), a secret, and
   * its digest without the token (model/autoscaling.ts clusterConfigDigest).
   */
  autoscalerClusterConfig?: { value: T; digest: string };
}

/** Everything the platform layer creates, in the order it must become ready. */
export interface PlatformModel<T> {
  namespaces: Manifest[];
  /**
   * Namespaces another component owns and creates when it needs them (Rancher's, RANCHER_NAMESPACES):
   * the program applies them first, so that their network policies stand before any pod there, and
   * leaves them to their owner (never deletes them).
   */
  sharedNamespaces: Manifest[];
  releases: ReleaseModel<T>[];
  /** Plain objects created between releases, each group after the releases it names. */
  steps: {
    name: PlatformStepName;
    after: AddonName[];
    manifests: Manifest[];
  }[];
  storageClasses: StorageClassModel[];
  clusterIssuer: string;
  flannel: { backend: string; interface: string };
}

/**
 * Add-ons that need host access (node-exporter's host network and PID, Rancher's agents, kured's host PID
 * and privileged container, with which it reboots its node; Velero's node agent's hostPath mounts of the
 * kubelet's pod directories, backups.ts; Alloy's read-only hostPath mount of /var/log, logging.ts).
 */
const PRIVILEGED_NAMESPACES = new Set([
  MONITORING_NAMESPACE,
  "cattle-system",
  KURED_NAMESPACE,
  VELERO_NAMESPACE,
  LOGGING_NAMESPACE,
]);

/** Namespaces the releases install into that Kubernetes does not have from the start. */
function releaseNamespaces<T>(releases: ReleaseModel<T>[]): Manifest[] {
  const names = [...new Set(releases.map((release) => release.namespace))].filter(
    (name) => name !== "kube-system",
  );
  return names.map((name) =>
    namespaceManifest(name, podSecurityLabels(PRIVILEGED_NAMESPACES.has(name) ? "privileged" : "baseline")),
  );
}

function hcloudSecret<T>(dynamic: PlatformDynamicValues<T>): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata("hcloud", "kube-system"),
    type: "Opaque",
    stringData: { token: dynamic.hcloudToken, network: dynamic.networkId },
  };
}

export function buildPlatformModel<T>(
  config: StackConfig,
  cluster: ClusterModel,
  dynamic: PlatformDynamicValues<T>,
  files: MonitoringFiles,
): PlatformModel<T> {
  const policies = platformNetworkPolicies(config, cluster);
  const policed = new Set(policies.map((policy) => policy.metadata.namespace));
  // A release in an isolated namespace starts only once its policies exist: its pods never run open,
  // and its own start-up checks (cert-manager's API check through its webhook) prove the allowances.
  const releases = buildReleases(config, cluster, dynamic, dynamic.autoscalerClusterConfig?.digest).map(
    (release): ReleaseModel<T> =>
      policed.has(release.namespace)
        ? { ...release, after: ["network-policies", ...release.after] }
        : release,
  );
  const steps: PlatformModel<T>["steps"] = [
    // Before any release that names it: a pod whose class does not exist yet is refused.
    { name: "priority-class", after: [], manifests: [platformPriorityClassManifest()] },
    // Right after the namespaces (every step waits for them), before the releases that wait for it.
    { name: "network-policies", after: [], manifests: policies },
    { name: "hcloud-secret", after: [], manifests: [hcloudSecret(dynamic)] },
    { name: "cluster-issuers", after: ["cert-manager"], manifests: clusterIssuerManifests(config) },
  ];
  if (config.localPathEnabled) {
    steps.push({
      name: "local-path",
      after: ["hcloud-cloud-controller-manager"],
      // The step brings its namespace along, and creates it before the rest: its policy among them.
      manifests: [...localPathManifests(config, cluster.nodes), ...localPathNetworkPolicies()],
    });
  }
  if (config.monitoringEnabled) {
    steps.push({
      name: "monitoring-objects",
      after: ["kube-prometheus-stack"],
      manifests: [
        prometheusRuleManifest(files.rules),
        ...dashboardManifests(files.dashboards),
        ...loggingMonitoringManifests(config, files.logging),
      ],
    });
  }
  if (config.backupsEnabled) steps.push(...backupSteps(config, dynamic.backupCredentials));
  if (cluster.autoscaling.pools.length > 0) {
    if (dynamic.autoscalerClusterConfig === undefined)
      throw new Error("autoscaled pools need the cluster-autoscaler's cluster config");
    steps.push({
      name: "autoscaler-config",
      after: [],
      manifests: [autoscalerSecret(dynamic.autoscalerClusterConfig.value)],
    });
  }
  return {
    namespaces: releaseNamespaces(releases),
    sharedNamespaces: config.rancherEnabled ? RANCHER_NAMESPACES.map((name) => namespaceManifest(name)) : [],
    releases,
    steps,
    storageClasses: storageClasses(config, cluster.nodes),
    clusterIssuer: clusterIssuerManifests(config).at(-1)?.metadata.name ?? "",
    flannel: { backend: config.flannelBackend, interface: "the interface holding each node's private IP" },
  };
}
