import { parse } from "yaml";
import type { StackConfig } from "../../config/schema";
import { CHARTS } from "../../versions";
import { K3S_PATHS } from "../k3s";
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { manifestOf, metadata, type Manifest } from "./common";
// releases.ts before monitoring.ts: loaded the other way round, their cycle through tenants.ts breaks.
import { GRAFANA_DASHBOARD_LABEL, TENANT_LABEL } from "../../names";
import { when, type ReleaseModel } from "./releaseModel";
import { MONITORING_NAMESPACE } from "./monitoring";
import { appInNamespace, allow, defaultDenyIngress, tcp, type Peer } from "./policyBuilders";
import { PLATFORM_PRIORITY_CLASS } from "./priority";
import { storageAddon } from "./storage";

/**
 * Logs: Loki stores them, Grafana Alloy collects them, Grafana (kube-prometheus-stack's) shows them.
 *
 * Why Alloy: Promtail, the collector that used to come with Loki, is deprecated; it entered long-term
 * support on 2025-02-13 and reached its end of life on 2026-03-02, with no updates after that (Loki's
 * documentation at tag v3.6.12, docs/sources/send-data/promtail/_index.md). Alloy is what Grafana develops
 * in its place, and one Alloy reads files, the journal and the Kubernetes API alike.
 *
 * Loki runs in the chart's SingleBinary mode: one pod with every component, its chunks and index on a
 * persistent volume of the stack's default class (filesystem storage). A cluster of this size writes a
 * few GB a day at most, which that mode is made for (the chart's values.yaml deploymentMode); the scalable
 * modes need object storage. Retention: the compactor deletes what is older than logRetention; Loki
 * applies limits_config.retention_period only when the compactor has retention_enabled and a
 * delete_request_store (Loki v3.6.12: docs/sources/operations/storage/retention.md).
 *
 * Tenants do not query Loki. Loki's multi-tenancy (auth_enabled, one X-Scope-OrgID per tenant) would need
 * an authenticating proxy in front of it that maps each tenant's credentials to its org, a Grafana
 * organisation per tenant with its own data source, and every log line routed to its tenant's org by
 * Alloy: a second identity system beside the tenants' kubeconfigs, and one mistake in it shows one tenant
 * another's logs. Tenants keep `kubectl logs` (and events) in their own namespaces, which their Role grants
 * (model/tenants.ts: pods/log, events) and the API server authorises per namespace. So Loki runs with
 * auth_enabled false (one org), its API is reachable only from Alloy, Grafana and Prometheus (the
 * NetworkPolicies below), and Grafana is the platform's. The tenant label on every pod's stream lets the
 * platform team answer for a tenant without giving the tenant the store.
 *
 * Facts about the charts were read at the pinned versions (versions.ts: loki 7.3.0 at grafana/loki tag
 * helm-loki-7.3.0, alloy 1.11.1 at grafana/alloy tag helm-chart/1.11.1), in the files named beside them.
 */

export const LOGGING_NAMESPACE = "logging";
export const LOKI_RELEASE = "loki";
export const ALLOY_RELEASE = "alloy";

/**
 * Loki's HTTP port, which serves the push API, the query API and /metrics alike: loki.server
 * http_listen_port 3100, container port "http-metrics" (loki chart 7.3.0: values.yaml,
 * templates/single-binary/statefulset.yaml). The release named loki gets the Service loki
 * (loki.singleBinaryFullname: the release name already holds the chart's).
 */
export const LOKI_HTTP_PORT = 3100;
export const LOKI_PORT_NAME = "http-metrics";
/** The single-binary pods' labels (loki chart 7.3.0: _helpers.tpl loki.selectorLabels, single-binary helpers). */
export const LOKI_PODS = {
  "app.kubernetes.io/name": "loki",
  "app.kubernetes.io/instance": LOKI_RELEASE,
  "app.kubernetes.io/component": "single-binary",
} as const;
/** Alloy's pods' labels (alloy chart 1.11.1: _helpers.tpl alloy.selectorLabels). */
export const ALLOY_PODS = {
  "app.kubernetes.io/name": "alloy",
  "app.kubernetes.io/instance": ALLOY_RELEASE,
} as const;
/** Alloy's HTTP server (metrics, UI, clustering): alloy.listenPort 12345, container port "http-metrics". */
export const ALLOY_HTTP_PORT = 12345;
export const ALLOY_PORT_NAME = "http-metrics";

export function lokiUrl(): string {
  return `http://${LOKI_RELEASE}.${LOGGING_NAMESPACE}.svc:${LOKI_HTTP_PORT}`;
}

/** Grafana's data source sidecar loads ConfigMaps with this label from Grafana's own namespace. */
export const GRAFANA_DATASOURCE_LABEL = "grafana_datasource";
export const LOKI_DATASOURCE_UID = "loki";

/** Where Alloy keeps its read positions: an emptyDir, which outlives a restart of the container. */
const ALLOY_STORAGE = "/var/lib/alloy";
/** The kubelet's container logs, /var/log/pods/<namespace>_<pod>_<uid>/<container>/<restart>.log. */
const POD_LOGS = "/var/log/pods";
/** systemd-journald's persistent journal (Debian keeps one: /var/log/journal exists there). */
const JOURNAL = "/var/log/journal";

/** A label name as Prometheus-style discovery spells it in __meta labels: every other character as "_". */
export function discoveryLabelName(label: string): string {
  return label.replace(/[^a-zA-Z0-9_]/g, "_");
}

/**
 * Alloy's configuration, the same on every node. Every stream carries job and node; pods' streams also
 * namespace, pod, container and, in a tenant's namespace, tenant (the namespace's TENANT_LABEL); events'
 * streams carry namespace. Four sources:
 * - pod logs: the pods on this node (a field selector, so each Alloy watches only its own), tailed from
 *   the kubelet's files under /var/log/pods and decoded from the CRI format; no log goes through the API;
 * - the journal of the node (k3s, containerd, sshd, the kernel...), with the systemd unit and level;
 * - the API server's audit log, on control-plane nodes only: the node's own object is discovered and kept
 *   only with k3s's control-plane label, and the file is matched rather than required, so a node without
 *   it tails nothing. The path is K3S_PATHS.auditLog, which the servers' k3s settings write (model/k3s.ts);
 * - Kubernetes events from the API, through Alloy's clustering: with every namespace watched, one Alloy
 *   of the cluster collects them (docs of loki.source.kubernetes_events at v1.18.1, block clustering),
 *   so events are not stored once per node.
 */
export function alloyConfig(config: StackConfig): string {
  return withTabs(alloyConfigText(config));
}

/** Alloy's formatter (alloy fmt) indents with tabs; the text below is written with two spaces a level. */
function withTabs(text: string): string {
  return text.replace(/^(?: {2})+/gm, (indent) => "\t".repeat(indent.length / 2));
}

function alloyConfigText(config: StackConfig): string {
  const tenant = `__meta_kubernetes_namespace_label_${discoveryLabelName(TENANT_LABEL)}`;
  const controlPlane = `__meta_kubernetes_node_label_${discoveryLabelName("node-role.kubernetes.io/control-plane")}`;
  return `// Written by hetzner-k8s (src/model/platform/logging.ts); edits here are replaced on the next update.

// Pods on this node, with their namespace's labels (for the tenant label).
discovery.kubernetes "pods" {
  role = "pod"

  selectors {
    role  = "pod"
    field = "spec.nodeName=" + sys.env("HOSTNAME")
  }

  attach_metadata {
    namespace = true
  }
}

discovery.relabel "pods" {
  targets = discovery.kubernetes.pods.targets

  rule {
    source_labels = ["__meta_kubernetes_namespace"]
    target_label  = "namespace"
  }

  rule {
    source_labels = ["__meta_kubernetes_pod_name"]
    target_label  = "pod"
  }

  rule {
    source_labels = ["__meta_kubernetes_pod_container_name"]
    target_label  = "container"
  }

  rule {
    source_labels = ["__meta_kubernetes_pod_node_name"]
    target_label  = "node"
  }

  rule {
    source_labels = ["${tenant}"]
    target_label  = "tenant"
  }

  rule {
    target_label = "job"
    replacement  = "kubernetes-pods"
  }

  rule {
    source_labels = ["__meta_kubernetes_pod_uid", "__meta_kubernetes_pod_container_name"]
    separator     = "/"
    target_label  = "__path__"
    replacement   = "${POD_LOGS}/*$1/*.log"
  }
}

local.file_match "pods" {
  path_targets = discovery.relabel.pods.output
}

loki.source.file "pods" {
  targets    = local.file_match.pods.targets
  forward_to = [loki.process.pods.receiver]
}

loki.process "pods" {
  stage.cri { }

  // One file per container restart: the name would only multiply streams.
  stage.label_drop {
    values = ["filename"]
  }

  forward_to = [loki.write.loki.receiver]
}

// The node's systemd journal: k3s, containerd, the kernel and every other unit.
loki.relabel "journal" {
  forward_to = []

  rule {
    source_labels = ["__journal__systemd_unit"]
    target_label  = "unit"
  }

  rule {
    source_labels = ["__journal_priority_keyword"]
    target_label  = "level"
  }
}

loki.source.journal "journal" {
  path          = "${JOURNAL}"
  max_age       = "12h"
  relabel_rules = loki.relabel.journal.rules
  labels        = {
    job  = "node-journal",
    node = sys.env("HOSTNAME"),
  }
  forward_to = [loki.write.loki.receiver]
}

// The API server's audit log: only on control-plane nodes, the only ones that write it.
discovery.kubernetes "node" {
  role = "node"

  selectors {
    role  = "node"
    field = "metadata.name=" + sys.env("HOSTNAME")
  }
}

discovery.relabel "audit" {
  targets = discovery.kubernetes.node.targets

  rule {
    source_labels = ["${controlPlane}"]
    regex         = "true"
    action        = "keep"
  }

  rule {
    source_labels = ["__meta_kubernetes_node_name"]
    target_label  = "node"
  }

  rule {
    target_label = "job"
    replacement  = "kubernetes-audit"
  }

  rule {
    target_label = "__path__"
    replacement  = "${K3S_PATHS.auditLog}"
  }
}

local.file_match "audit" {
  path_targets = discovery.relabel.audit.output
}

loki.source.file "audit" {
  targets    = local.file_match.audit.targets
  forward_to = [loki.process.audit.receiver]
}

loki.process "audit" {
  stage.label_drop {
    values = ["filename"]
  }

  forward_to = [loki.write.loki.receiver]
}

// Kubernetes events of every namespace, collected by one Alloy of the cluster.
loki.source.kubernetes_events "events" {
  job_name   = "kubernetes-events"
  log_format = "logfmt"

  clustering {
    enabled = true
  }

  forward_to = [loki.write.loki.receiver]
}

loki.write "loki" {
  endpoint {
    url = "${lokiUrl()}/loki/api/v1/push"
  }

  external_labels = {
    cluster = "${config.clusterName}",
  }
}
`;
}

/**
 * What Alloy may read through the API: pods and namespaces (discovery), events, and nodes (the audit log's
 * control-plane check). In place of the chart's default rules, which also read every Secret and ConfigMap
 * of the cluster (alloy chart 1.11.1: values.yaml rbac.rules) for components this configuration does not use.
 */
const ALLOY_RBAC = {
  rules: [{ apiGroups: [""], resources: ["pods", "namespaces", "events"], verbs: ["get", "list", "watch"] }],
  clusterRules: [{ apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] }],
};

export function lokiRelease(config: StackConfig): ReleaseModel<never> {
  const monitoring = config.monitoringEnabled;
  return {
    name: LOKI_RELEASE,
    namespace: LOGGING_NAMESPACE,
    chart: CHARTS.loki,
    values: {
      deploymentMode: "SingleBinary",
      loki: {
        // One org for the whole cluster: tenants do not query Loki (see above).
        auth_enabled: false,
        commonConfig: { replication_factor: 1 },
        // Chunks and index on the pod's volume (loki.storage.type other than an object store: the chart's
        // loki.isUsingObjectStorage is false and it writes the filesystem storage config).
        storage: { type: "filesystem" },
        // The chart refuses to render without a schema (templates/validate.yaml). TSDB with schema v13 and
        // a 24h index period, which retention needs; the date only has to lie before the first log.
        schemaConfig: {
          configs: [
            {
              from: "2024-04-01",
              store: "tsdb",
              object_store: "filesystem",
              schema: "v13",
              index: { prefix: "loki_index_", period: "24h" },
            },
          ],
        },
        limits_config: { retention_period: config.logRetention },
        compactor: { retention_enabled: true, delete_request_store: "filesystem" },
        // No usage reports to Grafana Labs from a production cluster.
        analytics: { reporting_enabled: false },
      },
      singleBinary: {
        // The filesystem store takes exactly one replica (templates/validate.yaml).
        replicas: 1,
        priorityClassName: PLATFORM_PRIORITY_CLASS,
        persistence: {
          size: `${config.logStorageGb}Gi`,
          storageClass: config.defaultStorageClass,
          // The chart's default deletes the claim with the StatefulSet: an uninstall would lose every log.
          whenDeleted: "Retain",
        },
      },
      // The other modes' targets default to 3 replicas; the chart refuses them beside a single binary.
      write: { replicas: 0 },
      read: { replicas: 0 },
      backend: { replicas: 0 },
      // Clients talk to the single binary's Service directly: no nginx gateway, no memcached caches (the
      // chunks cache alone asks for 8 GiB), no canary and no Helm test pod (which needs the canary).
      gateway: { enabled: false },
      chunksCache: { enabled: false },
      resultsCache: { enabled: false },
      lokiCanary: { enabled: false },
      test: { enabled: false },
      // The rules sidecar serves Loki's ruler, which nothing here uses, and watches ConfigMaps cluster-wide.
      sidecar: { rules: { enabled: false } },
      // The ServiceMonitor renders only where its CRD exists (templates/monitoring/servicemonitor.yaml).
      monitoring: { serviceMonitor: { enabled: monitoring } },
    },
    after: ["priority-class", storageAddon(config), ...when(monitoring, "kube-prometheus-stack")],
    timeoutSeconds: 900,
  };
}

export function alloyRelease(config: StackConfig): ReleaseModel<never> {
  const monitoring = config.monitoringEnabled;
  return {
    name: ALLOY_RELEASE,
    namespace: LOGGING_NAMESPACE,
    chart: CHARTS.alloy,
    values: {
      // The PodLogs CRD serves a component this configuration does not use.
      crds: { create: false },
      alloy: {
        configMap: { create: true, content: alloyConfig(config) },
        // Peers find each other through the chart's headless Service alloy-cluster, on the HTTP port.
        clustering: { enabled: true },
        enableReporting: false,
        storagePath: ALLOY_STORAGE,
        // /var/log read-only (templates/containers/_agent.yaml): pod logs, the journal, the audit log.
        mounts: { varlog: true, extra: [{ name: "storage", mountPath: ALLOY_STORAGE }] },
      },
      controller: {
        type: "daemonset",
        priorityClassName: PLATFORM_PRIORITY_CLASS,
        // Every node, whatever its taints: a tainted node's logs matter as much as any other's.
        tolerations: [{ operator: "Exists" }],
        volumes: { extra: [{ name: "storage", emptyDir: {} }] },
      },
      rbac: ALLOY_RBAC,
      // The chart's ServiceMonitor has no CRD check of its own (templates/servicemonitor.yaml).
      serviceMonitor: { enabled: monitoring },
    },
    after: ["priority-class", LOKI_RELEASE, ...when(monitoring, "kube-prometheus-stack")],
    timeoutSeconds: 600,
  };
}

/** The logging releases, or none without loggingEnabled. */
export function loggingReleases(config: StackConfig): ReleaseModel<never>[] {
  return config.loggingEnabled ? [lokiRelease(config), alloyRelease(config)] : [];
}

// ---------------------------------------------------------------------------------------------------
// Grafana and Prometheus: shipped in the monitoring-objects step, so only with monitoringEnabled.

/** Files of the logging add-on under charts/loki: its alert rules and Grafana dashboards. */
export interface LoggingFiles {
  rules: string;
  dashboards: Record<string, string>;
}

/**
 * Loki as a Grafana data source, through the data source sidecar kube-prometheus-stack turns on
 * (kube-prometheus-stack 88.5.3: values.yaml grafana.sidecar.datasources, label grafana_datasource, the
 * chart's own Prometheus source among them). The sidecar of grafana chart 12.11.1 watches its own namespace
 * when searchNamespace is unset (values.yaml sidecar.datasources), so the ConfigMap lives in monitoring.
 * Grafana proxies every query from its own pod, which the logging namespace admits.
 */
export function lokiDatasourceManifest(): Manifest {
  const datasources = {
    apiVersion: 1,
    datasources: [
      {
        name: "Loki",
        type: "loki",
        uid: LOKI_DATASOURCE_UID,
        access: "proxy",
        url: lokiUrl(),
        isDefault: false,
        jsonData: { maxLines: 1000 },
      },
    ],
  };
  return manifestOf<IConfigMap>({
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: metadata("datasource-loki", MONITORING_NAMESPACE, { [GRAFANA_DATASOURCE_LABEL]: "1" }),
    data: { "loki.yaml": JSON.stringify(datasources, null, 2) },
  });
}

/** The log pipeline's alert rules (charts/loki/rules, tested with promtool) as a PrometheusRule. */
export function loggingPrometheusRuleManifest(rulesFile: string): Manifest {
  const rules = parse(rulesFile) as { groups: NonNullable<IPrometheusRule["spec"]>["groups"] };
  return manifestOf<IPrometheusRule>({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: metadata("hetzner-k8s-logging", MONITORING_NAMESPACE),
    spec: { groups: rules.groups },
  });
}

/** The data source, the dashboards and the alerts, when both logging and monitoring are on. */
export function loggingMonitoringManifests(config: StackConfig, files: LoggingFiles | undefined): Manifest[] {
  if (!config.loggingEnabled || !config.monitoringEnabled || !files) return [];
  return [
    lokiDatasourceManifest(),
    loggingPrometheusRuleManifest(files.rules),
    ...Object.entries(files.dashboards).map(([name, json]) =>
      manifestOf<IConfigMap>({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: metadata(`dashboard-${name}`, MONITORING_NAMESPACE, { [GRAFANA_DASHBOARD_LABEL]: "1" }),
        data: { [`${name}.json`]: json },
      }),
    ),
  ];
}

// ---------------------------------------------------------------------------------------------------
// NetworkPolicies of the logging namespace

/**
 * The logging namespace admits nothing but (test/fixtures/platform-pods.json holds the pods and ports):
 * - Alloy to Loki's HTTP port, where it pushes;
 * - Loki to itself (its components reach each other through their own Services in one pod);
 * - Alloy to Alloy on its HTTP port (clustering's gossip);
 * - with monitoring, Grafana to Loki's HTTP port (queries) and Prometheus to both HTTP ports (metrics):
 *   Grafana's pods are labelled app.kubernetes.io/name: grafana (grafana chart 12.11.1), Prometheus' pods
 *   app.kubernetes.io/name: prometheus (prometheus-operator v0.93, see networkPolicies.ts).
 * No tenant pod reaches Loki: nothing here admits a tenant namespace, and the tenants' own egress policies
 * admit no platform namespace. Alloy's calls to the API server leave through the platform's open egress.
 */
export function loggingNetworkPolicies(config: StackConfig): Manifest[] {
  if (!config.loggingEnabled) return [];
  const namespace = LOGGING_NAMESPACE;
  const alloy: Peer = { podSelector: { matchLabels: { ...ALLOY_PODS } } };
  const loki: Peer = { podSelector: { matchLabels: { ...LOKI_PODS } } };
  const grafana = appInNamespace(MONITORING_NAMESPACE, "grafana");
  const prometheus = appInNamespace(MONITORING_NAMESPACE, "prometheus");
  const toLoki = { pods: { ...LOKI_PODS }, ports: [tcp(LOKI_PORT_NAME)] };
  return [
    defaultDenyIngress(namespace),
    allow("allow-push-from-alloy", namespace, { ...toLoki, from: [alloy] }),
    allow("allow-loki-from-itself", namespace, { pods: { ...LOKI_PODS }, from: [loki] }),
    allow("allow-clustering-within-alloy", namespace, {
      pods: { ...ALLOY_PODS },
      from: [alloy],
      ports: [tcp(ALLOY_PORT_NAME)],
    }),
    ...(config.monitoringEnabled
      ? [
          allow("allow-query-from-grafana", namespace, { ...toLoki, from: [grafana] }),
          allow("allow-metrics-from-prometheus", namespace, { ...toLoki, from: [prometheus] }),
          allow("allow-alloy-metrics-from-prometheus", namespace, {
            pods: { ...ALLOY_PODS },
            from: [prometheus],
            ports: [tcp(ALLOY_PORT_NAME)],
          }),
        ]
      : []),
  ];
}
