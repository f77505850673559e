import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import type { Manifest } from "../../src/model/platform/common";
import {
  IMAGE_SCANNING_NAMESPACE,
  IMAGE_SCANNING_RELEASE,
  SCAN_JOB_RESOURCES,
  SCAN_JOBS_CONCURRENT_LIMIT,
  TENANT_REPORT_RESOURCES,
  TRIVY_API_GROUP,
} from "../../src/model/platform/imageScanning";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";
import { PLATFORM_PRIORITY_CLASS } from "../../src/model/platform/priority";
import { mergeValues } from "../../src/model/platform/values";
import { readOperatorValues } from "../../src/platform/files";
import { buildTenant, TENANT_ROLE, tenantRoleRules } from "../../src/model/tenants";
import { CHARTS } from "../../src/versions";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";

/**
 * Image scanning (the Trivy operator): the release and its values, its namespace and network policies,
 * the tenants' read access to their own reports, and the alert on critical findings.
 */

const FILES = { rules: "groups: []\n", dashboards: {} };
const DYNAMIC = {
  hostname: (prefix: string) => `${prefix}.203.0.113.9.sslip.io`,
  secret: (name: string) => `<${name}>`,
  hcloudToken: "<token>",
  networkId: "<network>",
  autoscalerClusterConfig: { value: "<cluster-autoscaler config>", digest: "<digest>" },
};

function configOf(edit?: (config: StackConfig) => void): StackConfig {
  const config = structuredClone(shippedConfig("dev"));
  edit?.(config);
  return config;
}

function platform(edit?: (config: StackConfig) => void): PlatformModel<string> {
  const config = configOf(edit);
  return buildPlatformModel(config, buildClusterModel(config), DYNAMIC, FILES);
}

const disabled = (config: StackConfig) => {
  config.imageScanningEnabled = false;
};
const withoutMonitoring = (config: StackConfig) => {
  config.monitoringEnabled = false;
  config.rebootsEnabled = false;
};

type Values = Record<string, Record<string, unknown>>;

function trivy(model: PlatformModel<string>) {
  const found = model.releases.filter((release) => release.name === IMAGE_SCANNING_RELEASE);
  expect(found).toHaveLength(1);
  return { ...found[0], values: found[0].values as Values };
}

const objects = (model: PlatformModel<string>) => model.steps.flatMap((step) => step.manifests);
const inNamespace = (manifests: Manifest[], namespace: string) =>
  manifests.filter((manifest) => manifest.metadata.namespace === namespace);

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

describe("the image scanning release", () => {
  it("installs the pinned trivy-operator chart in its own namespace at the platform's priority", () => {
    const release = trivy(platform());
    expect(release.chart).toEqual(CHARTS.trivyOperator);
    expect(release.namespace).toBe("trivy-system");
    expect(release.values.priorityClassName).toBe(PLATFORM_PRIORITY_CLASS);
    expect(release.after).toEqual([
      "network-policies",
      "priority-class",
      "hcloud-cloud-controller-manager",
      "kube-prometheus-stack",
    ]);
  });

  it("scans the current revisions of running workloads only, and no cluster-wide reports", () => {
    expect(trivy(platform()).values.operator).toMatchObject({
      vulnerabilityScannerEnabled: true,
      vulnerabilityScannerScanOnlyCurrentRevisions: true,
      configAuditScannerScanOnlyCurrentRevisions: true,
      scannerReportTTL: "24h",
      sbomGenerationEnabled: false,
      infraAssessmentScannerEnabled: false,
      clusterComplianceEnabled: false,
      rbacAssessmentScannerEnabled: false,
      metricsFindingsEnabled: true,
    });
    expect(trivy(platform()).values.trivy.ignoreUnfixed).toBe(true);
  });

  it("bounds the scan jobs: a few at once, each with requests and limits below a small node's share", () => {
    const { operator, trivy: scanner } = trivy(platform()).values;
    expect(operator.scanJobsConcurrentLimit).toBe(SCAN_JOBS_CONCURRENT_LIMIT);
    expect(SCAN_JOBS_CONCURRENT_LIMIT).toBeLessThanOrEqual(5);
    expect(scanner.resources).toEqual({
      requests: { cpu: "100m", memory: "256Mi" },
      limits: { cpu: "500m", memory: "1Gi" },
    });
    // All jobs together request at most half a core and 1 GiB, whatever the pool holds.
    const cpu = Number.parseInt(SCAN_JOB_RESOURCES.requests.cpu, 10) / 1000;
    const memoryMi = Number.parseInt(SCAN_JOB_RESOURCES.requests.memory, 10);
    expect(cpu * SCAN_JOBS_CONCURRENT_LIMIT).toBeLessThanOrEqual(0.5);
    expect(memoryMi * SCAN_JOBS_CONCURRENT_LIMIT).toBeLessThanOrEqual(1024);
  });

  it("runs the scan jobs below the platform's class and as restricted Pod Security admits them", () => {
    const { trivyOperator } = trivy(platform()).values;
    expect(trivyOperator.scanJobPodPriorityClassName).toBe("");
    expect(trivyOperator.scanJobPodTemplateContainerSecurityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ["ALL"] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 10000,
      runAsGroup: 10000,
      seccompProfile: { type: "RuntimeDefault" },
    });
  });

  it("gets the platform namespaces' Pod Security level (baseline), warned and audited at restricted", () => {
    const namespace = platform().namespaces.find(
      (manifest) => manifest.metadata.name === IMAGE_SCANNING_NAMESPACE,
    );
    expect(namespace?.metadata.labels).toMatchObject({
      "pod-security.kubernetes.io/enforce": "baseline",
      "pod-security.kubernetes.io/warn": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
    });
    if (namespace) expect(() => validateAgainstSchema(namespace)).not.toThrow();
  });

  it("downloads the databases from the chart's public repositories by default", () => {
    expect(trivy(platform()).values.trivy).toMatchObject({
      dbRegistry: "mirror.gcr.io",
      dbRepository: "aquasec/trivy-db",
      javaDbRegistry: "mirror.gcr.io",
      javaDbRepository: "aquasec/trivy-java-db",
    });
  });

  it("downloads them from a mirror where the stack names one", () => {
    const model = platform((config) => {
      config.imageScanningDbRepository = "registry.internal.example:5000/mirror/trivy-db:2";
      config.imageScanningJavaDbRepository = "harbor.example.com/aquasec/trivy-java-db";
    });
    expect(trivy(model).values.trivy).toMatchObject({
      dbRegistry: "registry.internal.example:5000",
      dbRepository: "mirror/trivy-db:2",
      javaDbRegistry: "harbor.example.com",
      javaDbRepository: "aquasec/trivy-java-db",
    });
  });

  it("creates its ServiceMonitor with monitoring only, keeping the reports' namespace labels", () => {
    expect(trivy(platform()).values.serviceMonitor).toEqual({ enabled: true, honorLabels: true });
    const alone = trivy(platform(withoutMonitoring));
    expect(alone.values.serviceMonitor).toEqual({ enabled: false });
    expect(alone.after).not.toContain("kube-prometheus-stack");
  });

  it("keeps the computed values over the operator's values file, which sets the operator's requests", () => {
    const operator = readOperatorValues(IMAGE_SCANNING_RELEASE);
    expect(operator).toEqual({ resources: { requests: { cpu: "50m", memory: "128Mi" } } });
    const merged = mergeValues(operator, trivy(platform()).values) as Values;
    expect(merged.resources).toEqual(operator.resources);
    expect(merged.priorityClassName).toBe(PLATFORM_PRIORITY_CLASS);
  });

  it("is not installed when switched off: no release, namespace, network policy or tenant access", () => {
    const model = platform(disabled);
    expect(model.releases.map((release) => release.name)).not.toContain(IMAGE_SCANNING_RELEASE);
    expect(model.namespaces.map((manifest) => manifest.metadata.name)).not.toContain(
      IMAGE_SCANNING_NAMESPACE,
    );
    expect(inNamespace(objects(model), IMAGE_SCANNING_NAMESPACE)).toEqual([]);
    const cluster = buildClusterModel(configOf(disabled));
    expect(cluster.tenants.length).toBeGreaterThan(0);
    for (const tenant of cluster.tenants)
      for (const role of tenant.objects.filter((object) => object.kind === "Role"))
        expect(JSON.stringify(role.rules)).not.toContain(TRIVY_API_GROUP);
  });
});

describe("the operator's network policies", () => {
  interface FixturePod {
    labels: Record<string, string>;
    ports: { name?: string; port: number; protocol: string }[];
  }
  const fixture = JSON.parse(
    readFileSync(path.resolve(__dirname, "../fixtures/platform-pods.json"), "utf8"),
  ) as { sources: Record<string, { version: string }>; namespaces: Record<string, FixturePod[]> };

  it("deny ingress but Prometheus to the operator's metrics port", () => {
    const policies = inNamespace(objects(platform()), IMAGE_SCANNING_NAMESPACE);
    expect(policies.map((policy) => policy.metadata.name)).toEqual([
      "default-deny-ingress",
      "allow-metrics-from-monitoring",
    ]);
    expect(policies[1].spec).toEqual({
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/name": "trivy-operator",
          "app.kubernetes.io/instance": "trivy-operator",
        },
      },
      policyTypes: ["Ingress"],
      ingress: [
        {
          from: [{ namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "monitoring" } } }],
          ports: [{ port: "metrics", protocol: "TCP" }],
        },
      ],
    });
    for (const policy of policies) expect(() => validateAgainstSchema(policy)).not.toThrow();
  });

  it("select the operator's pod and name its container port, as the pinned chart renders them", () => {
    expect(fixture.sources["trivy-operator"].version).toBe(CHARTS.trivyOperator.version);
    const policy = inNamespace(objects(platform()), IMAGE_SCANNING_NAMESPACE)[1];
    const spec = policy.spec as {
      podSelector: { matchLabels: Record<string, string> };
      ingress: { ports: { port: string; protocol: string }[] }[];
    };
    const selected = fixture.namespaces[IMAGE_SCANNING_NAMESPACE].filter((pod) =>
      Object.entries(spec.podSelector.matchLabels).every(([name, value]) => pod.labels[name] === value),
    );
    expect(selected).toHaveLength(1);
    for (const { port, protocol } of spec.ingress.flatMap((rule) => rule.ports))
      expect(selected[0].ports.some((entry) => entry.name === port && entry.protocol === protocol)).toBe(
        true,
      );
  });

  it("admit nothing but deny ingress without monitoring", () => {
    const policies = inNamespace(objects(platform(withoutMonitoring)), IMAGE_SCANNING_NAMESPACE);
    expect(policies.map((policy) => policy.metadata.name)).toEqual(["default-deny-ingress"]);
  });
});

describe("tenants' access to their scan reports", () => {
  const cluster = buildClusterModel(configOf());
  const roles = cluster.tenants.flatMap((tenant) =>
    tenant.objects.filter((object) => object.kind === "Role").map((role) => ({ tenant, role })),
  );
  const reportRules = (role: Manifest) =>
    (role.rules as PolicyRule[]).filter((rule) => rule.apiGroups.includes(TRIVY_API_GROUP));

  it("reads the namespaced reports in each of its namespaces, through its own Role", () => {
    expect(roles.length).toBeGreaterThan(0);
    for (const { tenant, role } of roles) {
      expect(role.metadata.name).toBe(TENANT_ROLE);
      expect(tenant.namespaces).toContain(role.metadata.namespace);
      expect(reportRules(role)).toEqual([
        {
          apiGroups: ["aquasecurity.github.io"],
          resources: ["vulnerabilityreports", "exposedsecretreports", "configauditreports"],
          verbs: ["get", "list", "watch"],
        },
      ]);
      expect(() => validateAgainstSchema(role)).not.toThrow();
    }
  });

  it("gets no cluster-scoped report, no write and nothing cluster-wide", () => {
    for (const resource of TENANT_REPORT_RESOURCES) expect(resource.startsWith("cluster")).toBe(false);
    for (const { tenant, role } of roles) {
      for (const rule of reportRules(role)) {
        expect(rule.verbs).toEqual(["get", "list", "watch"]);
        expect(
          rule.resources.filter((resource) => resource.startsWith("cluster") || resource === "*"),
        ).toEqual([]);
      }
      const kinds = tenant.objects.map((object) => object.kind);
      expect(kinds).not.toContain("ClusterRole");
      expect(kinds).not.toContain("ClusterRoleBinding");
      // Bindings bind the namespace's Role only, in the tenant's own namespaces.
      for (const binding of tenant.objects.filter((object) => object.kind === "RoleBinding")) {
        expect(binding.roleRef).toMatchObject({ kind: "Role", name: TENANT_ROLE });
        expect(tenant.namespaces).toContain(binding.metadata.namespace);
      }
    }
  });

  it("adds the same rules to the tenant Role only when scanning is on", () => {
    expect(tenantRoleRules({ imageScanning: true })).toEqual([
      ...tenantRoleRules(),
      {
        apiGroups: [TRIVY_API_GROUP],
        resources: [...TENANT_REPORT_RESOURCES],
        verbs: ["get", "list", "watch"],
      },
    ]);
    const tenant = configOf().tenants[0];
    const role = (imageScanning: boolean) =>
      buildTenant(tenant, { imageScanning }).objects.find((object) => object.kind === "Role");
    expect(role(false)?.rules).toEqual(tenantRoleRules());
    expect(role(true)?.rules).toEqual(tenantRoleRules({ imageScanning: true }));
  });
});

describe("the alert on critical findings", () => {
  const rules = parse(
    readFileSync(
      path.resolve(__dirname, "../../charts/kube-prometheus-stack/rules/hetzner-k8s.rules.yaml"),
      "utf8",
    ),
  ) as { groups: { name: string; rules: { alert?: string; expr: string }[] }[] };
  const alert = rules.groups
    .flatMap((group) => group.rules)
    .find((rule) => rule.alert === "HetznerK8sCriticalImageVulnerabilities");

  it("counts the operator's critical findings per namespace, with the tenant where there is one", () => {
    // trivy-operator v0.32.0 exports trivy_image_vulnerabilities with severity "Critical" (pkg/metrics).
    expect(alert?.expr).toContain('trivy_image_vulnerabilities{severity="Critical"}');
    expect(alert?.expr).toContain("sum by (namespace)");
    expect(alert?.expr).toContain('kube_namespace_labels{label_hetzner_k8s_io_tenant!=""}');
    expect(alert?.expr).toContain("or on (namespace)");
  });
});
