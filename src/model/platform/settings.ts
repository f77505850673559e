import type { StackConfig } from "../../config/schema";

/**
 * What the platform component decides by, apart from the add-ons' own model: which add-ons with a web UI
 * or credentials of their own are on, and the domain their hostnames derive from.
 */
export interface PlatformSettings {
  /** Rancher, with its bootstrap password and URL. */
  readonly rancher: boolean;
  /** kube-prometheus-stack, with Grafana's admin password. */
  readonly monitoring: boolean;
  /** Grafana is published through the ingress (monitoring and the ingress load balancer both on). */
  readonly grafanaPublished: boolean;
  /** The add-ons' hostnames are `<name>.<domain>`; without one, `<name>.<ingress IPv4>.sslip.io`. */
  readonly ingressDomain?: string;
  /** Velero, whose credentials file the program builds from the S3 key pair. */
  readonly backups: boolean;
}

export function platformSettingsOf(config: StackConfig): PlatformSettings {
  return {
    rancher: config.rancherEnabled,
    monitoring: config.monitoringEnabled,
    grafanaPublished: config.monitoringEnabled && config.ingressEnabled,
    ...(config.ingressDomain && { ingressDomain: config.ingressDomain }),
    backups: config.backupsEnabled,
  };
}
