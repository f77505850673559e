import type { ChartPin } from "../../versions";

/**
 * The shape of a Helm release of the platform layer, and what its values may take only at deployment
 * time. A leaf of the platform model: each add-on's module builds its release against it, and releases.ts
 * gathers them.
 */

/** What only exists at deployment time: secrets and hostnames under the ingress address. */
export interface DynamicValues<T> {
  /** `<prefix>.<ingressDomain>`, or `<prefix>.<ingress address>.sslip.io` without a domain. */
  hostname(prefix: string): T | string;
  secret(name: "rancherBootstrapPassword" | "grafanaAdminPassword" | "alertmanagerWebhookUrl"): T;
}

/** Ready-made steps other than releases that a release may wait for. */
export type PlatformStep = "priority-class" | "hcloud-secret" | "local-path" | "cluster-issuers";

/** Every step of plain objects the platform creates between releases (platform.ts). */
export type PlatformStepName =
  | PlatformStep
  | "monitoring-objects"
  | "network-policies"
  | "backup-credentials"
  | "backup-objects"
  | "autoscaler-config";

/** Every Helm release of the platform; also the folders of their operator values under charts/. */
export type ReleaseName =
  | "hcloud-cloud-controller-manager"
  | "hcloud-csi"
  | "traefik"
  | "cert-manager"
  | "rancher"
  | "kube-prometheus-stack"
  | "velero"
  | "cluster-autoscaler"
  | "trivy-operator"
  | "loki"
  | "alloy"
  | "kured";

/** What an add-on may wait for: a name outside these is a compile error, not a silently missing edge. */
export type AddonName = ReleaseName | PlatformStepName;

/** `names` when the add-ons they name are installed, none otherwise: a conditional edge, typed. */
export function when(installed: boolean, ...names: AddonName[]): AddonName[] {
  return installed ? names : [];
}

export interface ReleaseModel<T> {
  /** Release name; also the folder of its operator values, charts/<name>/values.yaml. */
  name: ReleaseName;
  namespace: string;
  chart: ChartPin;
  values: Record<string, unknown | T>;
  /** Releases and steps that must be ready first; each must be part of the platform (order.ts). */
  after: AddonName[];
  timeoutSeconds: number;
}
