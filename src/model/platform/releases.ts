import type { StackConfig } from "../../config/schema";
import { CHARTS } from "../../versions";
import { GRAFANA_DASHBOARD_LABEL, TENANT_LABEL } from "../../names";
import { when, type DynamicValues, type ReleaseModel } from "./releaseModel";
import type { ClusterModel } from "../cluster";
import { INGRESS_NODE_PORTS } from "../network";
import { PLATFORM_PRIORITY_CLASS, SYSTEM_CLUSTER_CRITICAL, SYSTEM_NODE_CRITICAL } from "./priority";
import { autoscalerRelease } from "./autoscaler";
import { backupsRelease } from "./backups";
import { imageScanningRelease } from "./imageScanning";
import { loggingReleases } from "./logging";
import { rebootsRelease } from "./reboots";
import { storageAddon } from "./storage";

/**
 * The Helm releases of the platform layer with the values the program computes. Operators tune the rest
 * in charts/<release>/values.yaml; computed values win where both set a key, because the cluster depends
 * on them (ports the load balancer targets, hostnames, addresses).
 */

export const INGRESS_CLASS = "traefik";

export function clusterIssuerName(config: StackConfig): string {
  return config.letsEncryptEmail !== "" ? "letsencrypt" : "cluster-ca";
}

function cloudControllerManager(cluster: ClusterModel): ReleaseModel<never> {
  return {
    name: "hcloud-cloud-controller-manager",
    namespace: "kube-system",
    chart: CHARTS.hcloudCloudControllerManager,
    values: {
      // The chart's own default, stated so that no operator value or chart change lowers it: without the
      // cloud controller new nodes keep their uninitialized taint and load balancers stop following nodes.
      priorityClassName: SYSTEM_CLUSTER_CRITICAL,
      // k3s's controller manager already assigns pod ranges; flannel carries pod traffic, so no routes.
      networking: { enabled: false },
      env: {
        HCLOUD_NETWORK: { valueFrom: { secretKeyRef: { name: "hcloud", key: "network" } } },
        HCLOUD_NETWORK_ROUTES_ENABLED: { value: "false" },
        HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: { value: "true" },
        HCLOUD_LOAD_BALANCERS_LOCATION: { value: cluster.location },
      },
    },
    after: ["hcloud-secret"],
    timeoutSeconds: 600,
  };
}

function csiDriver(config: StackConfig): ReleaseModel<never> {
  return {
    name: "hcloud-csi",
    namespace: "kube-system",
    chart: CHARTS.hcloudCsi,
    values: {
      // As the chart's production example has it: the controller attaches volumes for the whole cluster,
      // and a node whose plugin was evicted can mount no network volume at all.
      controller: { priorityClassName: SYSTEM_CLUSTER_CRITICAL },
      node: { priorityClassName: SYSTEM_NODE_CRITICAL },
      storageClasses: [
        {
          name: "hcloud-volumes",
          defaultStorageClass: config.defaultStorageClass === "hcloud-volumes",
          // A deleted claim keeps its Hetzner volume: data is never lost by accident.
          reclaimPolicy: "Retain",
        },
      ],
    },
    after: ["hcloud-cloud-controller-manager"],
    timeoutSeconds: 600,
  };
}

function ingressController(): ReleaseModel<never> {
  return {
    name: "traefik",
    namespace: "traefik",
    chart: CHARTS.traefik,
    values: {
      // On every node, so the ingress load balancer's health checks pass wherever it sends traffic.
      deployment: { kind: "DaemonSet" },
      // A NodePort service: the cluster's own ingress load balancer forwards 80/443 to these ports.
      // (A LoadBalancer service would make the cloud controller buy another load balancer.)
      service: { spec: { type: "NodePort" } },
      ports: {
        web: { nodePort: INGRESS_NODE_PORTS.http },
        websecure: { nodePort: INGRESS_NODE_PORTS.https },
      },
      ingressClass: { enabled: true, isDefaultClass: true, name: INGRESS_CLASS },
      priorityClassName: PLATFORM_PRIORITY_CLASS,
    },
    after: ["priority-class", "hcloud-cloud-controller-manager"],
    timeoutSeconds: 600,
  };
}

function certManager(): ReleaseModel<never> {
  return {
    name: "cert-manager",
    namespace: "cert-manager",
    chart: CHARTS.certManager,
    values: {
      crds: { enabled: true, keep: true },
      // Controller, webhook, CA injector and the start-up check. Not the ACME solver pods, which run in
      // the namespace of the certificate (a tenant's, whose quota refuses this class).
      global: { priorityClassName: PLATFORM_PRIORITY_CLASS },
    },
    after: ["priority-class", "hcloud-cloud-controller-manager"],
    timeoutSeconds: 600,
  };
}

function rancher<T>(config: StackConfig, cluster: ClusterModel, dynamic: DynamicValues<T>): ReleaseModel<T> {
  const letsEncrypt = config.letsEncryptEmail !== "";
  return {
    name: "rancher",
    namespace: "cattle-system",
    chart: CHARTS.rancher,
    values: {
      hostname: dynamic.hostname("rancher"),
      bootstrapPassword: dynamic.secret("rancherBootstrapPassword"),
      replicas: cluster.nodes.filter((node) => node.role === "control-plane").length,
      // In place of the chart's own rancher-critical (which it still creates): Rancher hands this name on
      // to the webhook and Fleet charts it installs, so they run at the platform's priority too.
      priorityClassName: PLATFORM_PRIORITY_CLASS,
      ingress: {
        ingressClassName: INGRESS_CLASS,
        tls: { source: letsEncrypt ? "letsEncrypt" : "rancher" },
      },
      ...(letsEncrypt && {
        letsEncrypt: {
          email: config.letsEncryptEmail,
          environment: "production",
          ingress: { class: INGRESS_CLASS },
        },
      }),
    },
    after: ["priority-class", "cert-manager", "traefik", "cluster-issuers"],
    timeoutSeconds: 900,
  };
}

function alertmanagerConfig<T>(config: StackConfig, dynamic: DynamicValues<T>): Record<string, unknown> {
  const webhook = config.alertmanagerWebhookUrl !== "";
  return {
    global: { resolve_timeout: "5m" },
    route: {
      receiver: webhook ? "webhook" : "null",
      group_by: ["namespace", "alertname"],
      routes: [{ receiver: "null", matchers: ['alertname = "Watchdog"'] }],
    },
    receivers: [
      { name: "null" },
      ...(webhook
        ? [
            {
              name: "webhook",
              webhook_configs: [{ url: dynamic.secret("alertmanagerWebhookUrl"), send_resolved: true }],
            },
          ]
        : []),
    ],
    templates: ["/etc/alertmanager/config/*.tmpl"],
  };
}

/**
 * k3s runs the control plane inside one process per server, with no pods for Prometheus to find. These
 * jobs discover the nodes themselves (control-plane nodes by k3s's role label) and scrape their private
 * addresses, so adding or removing a node changes no setting (etcd-expose-metrics and the bind-address
 * settings in the k3s configuration make the endpoints reachable; the firewall keeps them private).
 */
export function controlPlaneScrapeConfigs(): Record<string, unknown>[] {
  const job = (name: string, port: number, onlyControlPlane: boolean, https: boolean) => ({
    job_name: name,
    kubernetes_sd_configs: [{ role: "node" }],
    ...(https && {
      scheme: "https",
      // The components serve self-signed certificates for localhost; authentication is the bearer token.
      tls_config: { insecure_skip_verify: true },
      authorization: { credentials_file: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
    }),
    relabel_configs: [
      ...(onlyControlPlane
        ? [
            {
              source_labels: ["__meta_kubernetes_node_label_node_role_kubernetes_io_control_plane"],
              regex: "true",
              action: "keep",
            },
          ]
        : []),
      {
        source_labels: ["__meta_kubernetes_node_address_InternalIP"],
        target_label: "__address__",
        replacement: `$1:${port}`,
      },
      { source_labels: ["__meta_kubernetes_node_name"], target_label: "node" },
    ],
  });
  return [
    job("kube-etcd", 2381, true, false),
    job("kube-controller-manager", 10257, true, true),
    job("kube-scheduler", 10259, true, true),
    job("kube-proxy", 10249, false, false),
  ];
}

function monitoring<T>(config: StackConfig, dynamic: DynamicValues<T>): ReleaseModel<T> {
  const grafanaHost = dynamic.hostname("grafana");
  return {
    name: "kube-prometheus-stack",
    namespace: "monitoring",
    chart: CHARTS.kubePrometheusStack,
    values: {
      prometheus: {
        prometheusSpec: {
          retention: config.prometheusRetention,
          storageSpec: {
            volumeClaimTemplate: {
              spec: {
                storageClassName: config.defaultStorageClass,
                accessModes: ["ReadWriteOnce"],
                resources: { requests: { storage: `${config.prometheusStorageGb}Gi` } },
              },
            },
          },
          // Pick up rules, ServiceMonitors and PodMonitors without the chart's release label (the program's
          // own rules among them); Probes and ScrapeConfigs still need that label.
          ruleSelectorNilUsesHelmValues: false,
          ruleSelector: {},
          ruleNamespaceSelector: {},
          serviceMonitorSelectorNilUsesHelmValues: false,
          podMonitorSelectorNilUsesHelmValues: false,
          additionalScrapeConfigs: controlPlaneScrapeConfigs(),
          priorityClassName: PLATFORM_PRIORITY_CLASS,
        },
      },
      // Every workload the release runs gets the platform's class: the operator and its webhook
      // certificate jobs, Prometheus and Alertmanager (through their resources), and the subcharts' pods.
      prometheusOperator: {
        priorityClassName: PLATFORM_PRIORITY_CLASS,
        admissionWebhooks: { patch: { priorityClassName: PLATFORM_PRIORITY_CLASS } },
      },
      grafana: {
        priorityClassName: PLATFORM_PRIORITY_CLASS,
        adminPassword: dynamic.secret("grafanaAdminPassword"),
        ingress: config.ingressEnabled
          ? {
              enabled: true,
              ingressClassName: INGRESS_CLASS,
              annotations: { "cert-manager.io/cluster-issuer": clusterIssuerName(config) },
              hosts: [grafanaHost],
              tls: [{ secretName: "grafana-tls", hosts: [grafanaHost] }],
            }
          : { enabled: false },
        sidecar: {
          dashboards: {
            enabled: true,
            label: GRAFANA_DASHBOARD_LABEL,
            labelValue: "1",
            searchNamespace: "ALL",
          },
        },
      },
      alertmanager: {
        alertmanagerSpec: { priorityClassName: PLATFORM_PRIORITY_CLASS },
        config: alertmanagerConfig(config, dynamic),
      },
      "kube-state-metrics": {
        metricLabelsAllowlist: [`namespaces=[${TENANT_LABEL}]`],
        priorityClassName: PLATFORM_PRIORITY_CLASS,
      },
      "prometheus-node-exporter": { priorityClassName: PLATFORM_PRIORITY_CLASS },
      // The chart's own control-plane services look for component pods k3s does not have; the jobs above
      // scrape the same endpoints (the cluster's own etcd rules cover etcd health).
      kubeEtcd: { enabled: false },
      kubeControllerManager: { enabled: false },
      kubeScheduler: { enabled: false },
      kubeProxy: { enabled: false },
    },
    after: [
      "priority-class",
      "hcloud-cloud-controller-manager",
      storageAddon(config),
      ...when(config.ingressEnabled, "traefik", "cluster-issuers"),
    ],
    timeoutSeconds: 900,
  };
}

/** @param autoscalerConfigDigest with autoscaled pools: their config's digest (autoscaler.ts). */
export function buildReleases<T>(
  config: StackConfig,
  cluster: ClusterModel,
  dynamic: DynamicValues<T>,
  autoscalerConfigDigest = "",
): ReleaseModel<T>[] {
  const releases: ReleaseModel<T>[] = [cloudControllerManager(cluster)];
  if (config.hcloudCsiEnabled) releases.push(csiDriver(config));
  if (config.ingressEnabled) releases.push(ingressController());
  releases.push(certManager());
  if (config.rancherEnabled) releases.push(rancher(config, cluster, dynamic));
  if (config.monitoringEnabled) releases.push(monitoring(config, dynamic));
  if (config.rebootsEnabled) releases.push(rebootsRelease(config));
  if (config.imageScanningEnabled) releases.push(imageScanningRelease(config));
  if (config.backupsEnabled) releases.push(backupsRelease(config));
  releases.push(...loggingReleases(config));
  if (cluster.autoscaling.pools.length > 0)
    releases.push(autoscalerRelease(config, cluster.autoscaling, autoscalerConfigDigest));
  return releases;
}
