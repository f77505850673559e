import type { StackConfig } from "../../config/schema";
import type { ClusterModel } from "../cluster";
import { metadata, namespaceManifest, podSecurityLabels, type Manifest } from "./common";
import { clusterIssuerManifests } from "./issuers";
import { dashboardManifests, MONITORING_NAMESPACE, prometheusRuleManifest } from "./monitoring";
import { platformPriorityClassManifest } from "./priority";
import { buildReleases, type DynamicValues, type PlatformStep, type ReleaseModel } from "./releases";
import { localPathManifests, storageClasses, type StorageClassModel } from "./storage";

/** Files the monitoring add-on ships (charts/kube-prometheus-stack/rules and dashboards). */
export interface MonitoringFiles {
  rules: string;
  dashboards: Record<string, string>;
}

export interface PlatformDynamicValues<T> extends DynamicValues<T> {
  /** The cloud controller's and CSI driver's Hetzner token (clusterHcloudToken, else the program's). */
  hcloudToken: T;
  networkId: T;
}

/** Everything the platform layer creates, in the order it must become ready. */
export interface PlatformModel<T> {
  namespaces: Manifest[];
  releases: ReleaseModel<T>[];
  /** Plain objects created between releases, each group after the releases it names. */
  steps: { name: PlatformStep | "monitoring-objects"; after: string[]; manifests: Manifest[] }[];
  storageClasses: StorageClassModel[];
  clusterIssuer: string;
  flannel: { backend: string; interface: string };
}

/** Add-ons that need host access (node-exporter's host network and PID, Rancher's agents). */
const PRIVILEGED_NAMESPACES = new Set([MONITORING_NAMESPACE, "cattle-system"]);

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
  const releases = buildReleases(config, cluster, dynamic);
  const steps: PlatformModel<T>["steps"] = [
    // Before any release that names it: a pod whose class does not exist yet is refused.
    { name: "priority-class", after: [], manifests: [platformPriorityClassManifest()] },
    { name: "hcloud-secret", after: [], manifests: [hcloudSecret(dynamic)] },
    { name: "cluster-issuers", after: ["cert-manager"], manifests: clusterIssuerManifests(config) },
  ];
  if (config.localPathEnabled) {
    steps.push({
      name: "local-path",
      after: ["hcloud-cloud-controller-manager"],
      manifests: localPathManifests(config, cluster.nodes),
    });
  }
  if (config.monitoringEnabled) {
    steps.push({
      name: "monitoring-objects",
      after: ["kube-prometheus-stack"],
      manifests: [prometheusRuleManifest(files.rules), ...dashboardManifests(files.dashboards)],
    });
  }
  return {
    namespaces: releaseNamespaces(releases),
    releases,
    steps,
    storageClasses: storageClasses(config, cluster.nodes),
    clusterIssuer: clusterIssuerManifests(config).at(-1)?.metadata.name ?? "",
    flannel: { backend: config.flannelBackend, interface: "the interface holding each node's private IP" },
  };
}
