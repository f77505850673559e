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

export interface ReleaseModel<T> {
  /** Release name; also the folder of its operator values, charts/<name>/values.yaml. */
  name: string;
  namespace: string;
  chart: ChartPin;
  values: Record<string, unknown | T>;
  /** Releases and steps that must be ready first. */
  after: string[];
  timeoutSeconds: number;
}
