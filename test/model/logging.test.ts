import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { K3S_PATHS } from "../../src/model/k3s";
import type { Manifest } from "../../src/model/platform/common";
import {
  ALLOY_PODS,
  alloyConfig,
  discoveryLabelName,
  LOGGING_NAMESPACE,
  LOKI_DATASOURCE_UID,
  LOKI_PODS,
  lokiUrl,
} from "../../src/model/platform/logging";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";
import { PLATFORM_PRIORITY_CLASS } from "../../src/model/platform/priority";
import { GRAFANA_DASHBOARD_LABEL, TENANT_LABEL } from "../../src/names";
import { readLoggingFiles } from "../../src/platform/loggingFiles";
import { CHARTS } from "../../src/versions";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";

const FILES = { rules: "groups: []\n", dashboards: {}, logging: readLoggingFiles() };
const DYNAMIC = {
  hostname: (prefix: string) => `${prefix}.203.0.113.9.sslip.io`,
  secret: (name: string) => `<${name}>`,
  hcloudToken: "<token>",
  networkId: "<network>",
  autoscalerClusterConfig: { value: "<cluster-autoscaler config>", digest: "<digest>" },
};

function configOf(stack: "dev" | "prod", edit?: (config: StackConfig) => void): StackConfig {
  const config = structuredClone(shippedConfig(stack));
  edit?.(config);
  return config;
}

function platform(stack: "dev" | "prod", edit?: (config: StackConfig) => void): PlatformModel<string> {
  const config = configOf(stack, edit);
  return buildPlatformModel(config, buildClusterModel(config), DYNAMIC, FILES);
}

type Values = Record<string, unknown>;
function valuesOf(model: PlatformModel<string>, name: string): Values {
  const found = model.releases.find((release) => release.name === name);
  if (!found) throw new Error(`no release ${name}`);
  return found.values;
}
function at(values: unknown, ...keys: string[]): unknown {
  return keys.reduce<unknown>((value, key) => (value as Record<string, unknown> | undefined)?.[key], values);
}

const manifests = (model: PlatformModel<string>) => model.steps.flatMap((step) => step.manifests);
const inLogging = (model: PlatformModel<string>) =>
  manifests(model).filter((manifest) => manifest.metadata.namespace === LOGGING_NAMESPACE);
const monitoringObjects = (model: PlatformModel<string>) =>
  model.steps.find((step) => step.name === "monitoring-objects")?.manifests ?? [];

const noLogging = (config: StackConfig) => {
  config.loggingEnabled = false;
};
const noMonitoring = (config: StackConfig) => {
  config.monitoringEnabled = false;
};

describe("the logging releases", () => {
  it("install Loki and then Alloy into the logging namespace, pinned in versions.ts", () => {
    const model = platform("dev");
    const names = model.releases.map((release) => release.name);
    expect(names).toEqual(expect.arrayContaining(["loki", "alloy"]));
    const loki = model.releases.find((release) => release.name === "loki");
    const alloy = model.releases.find((release) => release.name === "alloy");
    expect(loki).toMatchObject({ namespace: LOGGING_NAMESPACE, chart: CHARTS.loki });
    expect(alloy).toMatchObject({ namespace: LOGGING_NAMESPACE, chart: CHARTS.alloy });
    expect(alloy?.after).toContain("loki");
    // Their ServiceMonitors need kube-prometheus-stack's CRDs; their pods start behind their policies.
    for (const release of [loki, alloy]) {
      expect(release?.after).toEqual(expect.arrayContaining(["network-policies", "kube-prometheus-stack"]));
    }
  });

  it("are not there at all without loggingEnabled: no release, namespace, policy or Grafana object", () => {
    const model = platform("dev", noLogging);
    expect(model.releases.map((release) => release.namespace)).not.toContain(LOGGING_NAMESPACE);
    expect(model.namespaces.map((namespace) => namespace.metadata.name)).not.toContain(LOGGING_NAMESPACE);
    expect(inLogging(model)).toEqual([]);
    const names = monitoringObjects(model).map((manifest) => manifest.metadata.name);
    expect(names.length).toBeGreaterThan(0);
    for (const name of ["datasource-loki", "dashboard-logs", "hetzner-k8s-logging"])
      expect(names).not.toContain(name);
  });

  it("keep logRetention with the compactor's retention on, and size Loki's volume from logStorageGb", () => {
    const values = valuesOf(
      platform("prod", (config) => {
        config.logRetention = "14d";
        config.logStorageGb = 40;
        config.defaultStorageClass = "local-nvme";
      }),
      "loki",
    );
    expect(at(values, "loki", "limits_config", "retention_period")).toBe("14d");
    expect(at(values, "loki", "compactor")).toEqual({
      retention_enabled: true,
      delete_request_store: "filesystem",
    });
    expect(at(values, "singleBinary", "persistence")).toEqual({
      size: "40Gi",
      storageClass: "local-nvme",
      whenDeleted: "Retain",
    });
    expect(at(values, "deploymentMode")).toBe("SingleBinary");
    expect(at(values, "loki", "storage", "type")).toBe("filesystem");
    expect(at(values, "loki", "auth_enabled")).toBe(false);
    expect(at(values, "singleBinary", "replicas")).toBe(1);
    for (const mode of ["write", "read", "backend"]) expect(at(values, mode, "replicas")).toBe(0);
    expect(at(values, "singleBinary", "priorityClassName")).toBe(PLATFORM_PRIORITY_CLASS);
  });

  it("wait for the storage driver of the default class", () => {
    const after = (edit?: (config: StackConfig) => void) =>
      platform("dev", edit).releases.find((release) => release.name === "loki")?.after;
    expect(after()).toContain("hcloud-csi");
    expect(after((config) => (config.defaultStorageClass = "local-nvme"))).toContain("local-path");
  });

  it("run Alloy on every node, tainted or not, at the platform's priority, with /var/log read-only", () => {
    const values = valuesOf(platform("dev"), "alloy");
    expect(at(values, "controller", "type")).toBe("daemonset");
    expect(at(values, "controller", "tolerations")).toEqual([{ operator: "Exists" }]);
    expect(at(values, "controller", "priorityClassName")).toBe(PLATFORM_PRIORITY_CLASS);
    expect(at(values, "alloy", "mounts", "varlog")).toBe(true);
    // The only other volume is an emptyDir: no writable hostPath.
    expect(at(values, "controller", "volumes", "extra")).toEqual([{ name: "storage", emptyDir: {} }]);
    expect(at(values, "alloy", "enableReporting")).toBe(false);
    expect(at(values, "alloy", "clustering", "enabled")).toBe(true);
  });

  it("give Alloy read access to pods, namespaces, events and nodes only (no Secrets)", () => {
    const rbac = at(valuesOf(platform("dev"), "alloy"), "rbac") as {
      rules: { resources: string[]; verbs: string[] }[];
      clusterRules: { resources: string[]; verbs: string[] }[];
    };
    const resources = [...rbac.rules, ...rbac.clusterRules].flatMap((rule) => rule.resources).sort();
    expect(resources).toEqual(["events", "namespaces", "nodes", "pods"]);
    for (const rule of [...rbac.rules, ...rbac.clusterRules])
      expect(rule.verbs).toEqual(["get", "list", "watch"]);
  });

  it("turn the ServiceMonitors on only with monitoring", () => {
    expect(at(valuesOf(platform("dev"), "loki"), "monitoring", "serviceMonitor", "enabled")).toBe(true);
    expect(at(valuesOf(platform("dev"), "alloy"), "serviceMonitor", "enabled")).toBe(true);
    const without = platform("dev", noMonitoring);
    expect(at(valuesOf(without, "loki"), "monitoring", "serviceMonitor", "enabled")).toBe(false);
    expect(at(valuesOf(without, "alloy"), "serviceMonitor", "enabled")).toBe(false);
    expect(without.releases.find((release) => release.name === "loki")?.after).not.toContain(
      "kube-prometheus-stack",
    );
  });

  it("put the logging namespace at Pod Security privileged (Alloy's hostPath)", () => {
    const namespace = platform("dev").namespaces.find((entry) => entry.metadata.name === LOGGING_NAMESPACE);
    expect(namespace?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("privileged");
  });
});

describe("Alloy's configuration", () => {
  const config = alloyConfig(configOf("dev"));

  it("tails the pods of its own node from the kubelet's files, decoded from CRI", () => {
    expect(config).toContain('field = "spec.nodeName=" + sys.env("HOSTNAME")');
    expect(config).toContain('replacement   = "/var/log/pods/*$1/*.log"');
    expect(config).toContain("stage.cri { }");
  });

  it("labels pods' streams with namespace, pod, container, node and the namespace's tenant", () => {
    for (const [source, target] of [
      ["__meta_kubernetes_namespace", "namespace"],
      ["__meta_kubernetes_pod_name", "pod"],
      ["__meta_kubernetes_pod_container_name", "container"],
      ["__meta_kubernetes_pod_node_name", "node"],
      [`__meta_kubernetes_namespace_label_${discoveryLabelName(TENANT_LABEL)}`, "tenant"],
    ])
      expect(config).toMatch(
        new RegExp(`source_labels = \\["${source}"\\]\\n\\t\\ttarget_label  = "${target}"`),
      );
    expect(discoveryLabelName(TENANT_LABEL)).toBe("hetzner_k8s_io_tenant");
    expect(config).toContain("attach_metadata {\n\t\tnamespace = true\n\t}");
  });

  it("reads the node's journal", () => {
    expect(config).toContain('loki.source.journal "journal"');
    expect(config).toContain('path          = "/var/log/journal"');
  });

  it("tails the audit log where the servers write it, on control-plane nodes only", () => {
    const audit = config.slice(
      config.indexOf('discovery.relabel "audit"'),
      config.indexOf('local.file_match "audit"'),
    );
    expect(audit).toContain(`replacement  = "${K3S_PATHS.auditLog}"`);
    expect(audit).toContain(
      'source_labels = ["__meta_kubernetes_node_label_node_role_kubernetes_io_control_plane"]\n\t\tregex         = "true"\n\t\taction        = "keep"',
    );
    // Under /var/log, which the chart mounts: no mount of the server's own directories.
    expect(K3S_PATHS.auditLog.startsWith("/var/log/")).toBe(true);
  });

  it("collects Kubernetes events once for the cluster, through clustering", () => {
    const events = config.slice(config.indexOf("loki.source.kubernetes_events"));
    expect(events).toContain("clustering {\n\t\tenabled = true\n\t}");
  });

  it("pushes to Loki's Service with the cluster's name", () => {
    expect(config).toContain(`url = "${lokiUrl()}/loki/api/v1/push"`);
    expect(lokiUrl()).toBe("http://loki.logging.svc:3100");
    expect(config).toContain('cluster = "dev"');
  });
});

describe("Grafana's view of the logs", () => {
  it("gets the Loki data source, the dashboard and the pipeline's alerts with monitoring", () => {
    const objects = monitoringObjects(platform("dev"));
    const datasource = objects.find((manifest) => manifest.metadata.name === "datasource-loki");
    expect(datasource?.metadata).toMatchObject({
      namespace: "monitoring",
      labels: { grafana_datasource: "1" },
    });
    const file = JSON.parse((datasource?.data as Record<string, string>)["loki.yaml"]) as {
      datasources: Record<string, unknown>[];
    };
    expect(file.datasources).toEqual([
      expect.objectContaining({ type: "loki", uid: LOKI_DATASOURCE_UID, url: lokiUrl(), access: "proxy" }),
    ]);
    expect(
      objects.find((manifest) => manifest.metadata.name === "dashboard-logs")?.metadata.labels,
    ).toMatchObject({ [GRAFANA_DASHBOARD_LABEL]: "1" });
    const rule = objects.find((manifest) => manifest.metadata.name === "hetzner-k8s-logging");
    expect(rule?.kind).toBe("PrometheusRule");
    expect((rule?.spec as { groups: { name: string }[] }).groups.map((group) => group.name)).toEqual([
      "hetzner-k8s.logging",
    ]);
  });

  it("gets nothing without monitoring (no Grafana), while the logs are still collected", () => {
    const model = platform("dev", noMonitoring);
    expect(model.steps.find((step) => step.name === "monitoring-objects")).toBeUndefined();
    expect(model.releases.map((release) => release.name)).toEqual(expect.arrayContaining(["loki", "alloy"]));
  });
});

describe("the logging namespace's network policies", () => {
  type Peer = {
    namespaceSelector?: { matchLabels: Record<string, string> };
    podSelector?: unknown;
    ipBlock?: unknown;
  };
  type Spec = {
    podSelector: { matchLabels?: Record<string, string> };
    ingress?: { from?: Peer[]; ports?: { port: number | string }[] }[];
  };
  const policies = (model: PlatformModel<string>) =>
    inLogging(model).filter((manifest) => manifest.kind === "NetworkPolicy");
  const byName = (model: PlatformModel<string>) =>
    Object.fromEntries(policies(model).map((manifest) => [manifest.metadata.name, manifest.spec as Spec]));

  it("deny by default and admit Alloy's pushes, Grafana's queries and Prometheus' scrapes", () => {
    const found = byName(platform("dev"));
    expect(Object.keys(found)).toEqual([
      "default-deny-ingress",
      "allow-push-from-alloy",
      "allow-loki-from-itself",
      "allow-clustering-within-alloy",
      "allow-query-from-grafana",
      "allow-metrics-from-prometheus",
      "allow-alloy-metrics-from-prometheus",
    ]);
    expect(found["default-deny-ingress"]).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    expect(found["allow-push-from-alloy"]).toEqual({
      podSelector: { matchLabels: LOKI_PODS },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ podSelector: { matchLabels: ALLOY_PODS } }],
          ports: [{ port: "http-metrics", protocol: "TCP" }],
        },
      ],
    });
    expect(found["allow-query-from-grafana"].ingress).toEqual([
      {
        from: [
          {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } },
            podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } },
          },
        ],
        ports: [{ port: "http-metrics", protocol: "TCP" }],
      },
    ]);
  });

  it("admit no other namespace than monitoring, no address block and no tenant", () => {
    const model = platform("prod", (config) => {
      config.ingressDomain = "k8s.example.com";
      config.letsEncryptEmail = "ops@example.com";
    });
    for (const manifest of policies(model)) {
      for (const peer of ((manifest.spec as Spec).ingress ?? []).flatMap((rule) => rule.from ?? [])) {
        expect(peer.ipBlock).toBeUndefined();
        if (peer.namespaceSelector)
          expect(peer.namespaceSelector).toEqual({
            matchLabels: { "kubernetes.io/metadata.name": "monitoring" },
          });
        // A peer without a namespace selector means this namespace only.
      }
    }
  });

  it("drop Grafana's and Prometheus' allowances without monitoring", () => {
    expect(Object.keys(byName(platform("dev", noMonitoring)))).toEqual([
      "default-deny-ingress",
      "allow-push-from-alloy",
      "allow-loki-from-itself",
      "allow-clustering-within-alloy",
    ]);
  });
});

describe("the logging objects against the Kubernetes schemas", () => {
  it.each([
    ["dev", undefined],
    ["prod without monitoring", noMonitoring],
  ] as const)("are valid (%s)", (_name, edit) => {
    const model = platform(edit ? "prod" : "dev", edit);
    const objects: Manifest[] = [
      ...inLogging(model),
      ...model.namespaces.filter((namespace) => namespace.metadata.name === LOGGING_NAMESPACE),
      ...monitoringObjects(model).filter(
        (manifest) =>
          manifest.metadata.name === "datasource-loki" ||
          manifest.metadata.name.includes("logging") ||
          manifest.metadata.name === "dashboard-logs",
      ),
    ];
    expect(objects.length).toBeGreaterThan(0);
    for (const object of objects) expect(() => validateAgainstSchema(object)).not.toThrow();
  });
});
