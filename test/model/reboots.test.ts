import { readFileSync } from "node:fs";
import * as path from "node:path";
import { DaemonSet } from "kubernetes-models/apps/v1";
import { parse } from "yaml";
import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import type { Manifest } from "../../src/model/platform/common";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";
import { PLATFORM_PRIORITY_CLASS } from "../../src/model/platform/priority";
import {
  ALERT_FILTER,
  ALERTS_NOT_BLOCKING,
  KURED_LOCK_ANNOTATION,
  KURED_NAMESPACE,
  KURED_RELEASE,
  prometheusUrl,
} from "../../src/model/platform/reboots";
import type { ReleaseModel } from "../../src/model/platform/releaseModel";
import { CHARTS } from "../../src/versions";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";

/** Coordinated reboots (kured): the release's values, its namespace and its network policies. */

const FILES = { rules: "groups: []\n", dashboards: {} };
const RULES_FILE = path.resolve(__dirname, "../../charts/kube-prometheus-stack/rules/hetzner-k8s.rules.yaml");
const DYNAMIC = {
  hostname: (prefix: string) => `${prefix}.203.0.113.9.sslip.io`,
  secret: (name: string) => `<${name}>`,
  hcloudToken: "<token>",
  networkId: "<network>",
  autoscalerClusterConfig: { value: "<cluster-autoscaler config>", digest: "<digest>" },
};

function platform(stack: "dev" | "prod", edit?: (config: StackConfig) => void): PlatformModel<string> {
  const config = structuredClone(shippedConfig(stack));
  edit?.(config);
  return buildPlatformModel(config, buildClusterModel(config), DYNAMIC, FILES);
}

function kured(model: PlatformModel<string>): ReleaseModel<string> {
  const found = model.releases.find((entry) => entry.name === "kured");
  if (!found) throw new Error("no kured release");
  return found;
}

type Configuration = Record<string, unknown>;
const configuration = (release: ReleaseModel<string>) => release.values.configuration as Configuration;

const noMonitoring = (config: StackConfig) => {
  config.monitoringEnabled = false;
};

/**
 * The container arguments kured chart 6.1.0 renders from `configuration` (templates/daemonset.yaml): one
 * flag per value the template reads, only when the value is truthy, lists as one flag per item, and the
 * sentinel under the /sentinel host-path mount. Only the values the program sets are mapped.
 */
function renderedArgs(values: Configuration): string[] {
  const flags: [string, string][] = [
    ["lockReleaseDelay", "lock-release-delay"],
    ["alertFilterRegexp", "alert-filter-regexp"],
    ["endTime", "end-time"],
    ["period", "period"],
    ["drainTimeout", "drain-timeout"],
    ["prometheusUrl", "prometheus-url"],
    ["rebootDays", "reboot-days"],
    ["rebootSentinel", "reboot-sentinel"],
    ["startTime", "start-time"],
    ["timeZone", "time-zone"],
    ["concurrency", "concurrency"],
  ];
  const args = ["--ds-name=kured", `--ds-namespace=${KURED_NAMESPACE}`, "--metrics-port=8080"];
  for (const [name, flag] of flags) {
    const value = values[name];
    if (Array.isArray(value)) for (const item of value) args.push(`--${flag}=${String(item)}`);
    else if (name === "rebootSentinel" && typeof value === "string")
      args.push(`--${flag}=/sentinel/${value.split("/").at(-1) ?? ""}`);
    else if (typeof value === "string" || typeof value === "number") {
      if (value !== "" && value !== 0) args.push(`--${flag}=${value}`);
    }
  }
  if (values.forceReboot === true) args.push("--force-reboot");
  return args;
}

describe("coordinated reboots (kured)", () => {
  it("is installed by default, pinned, in a namespace of its own, after the priority class", () => {
    const release = kured(platform("dev"));
    expect(release.chart).toEqual(CHARTS.kured);
    expect(release.namespace).toBe(KURED_NAMESPACE);
    expect(release.after).toEqual(expect.arrayContaining(["priority-class", "network-policies"]));
    expect(release.timeoutSeconds).toBeGreaterThanOrEqual(600);
  });

  it("is not installed with rebootsEnabled false, and leaves no namespace or policy behind", () => {
    const model = platform("dev", (config) => {
      config.rebootsEnabled = false;
    });
    expect(model.releases.map((entry) => entry.name)).not.toContain("kured");
    const objects = [...model.namespaces, ...model.steps.flatMap((step) => step.manifests)];
    expect(objects.filter((manifest) => manifest.metadata.namespace === KURED_NAMESPACE)).toEqual([]);
    expect(model.namespaces.map((manifest) => manifest.metadata.name)).not.toContain(KURED_NAMESPACE);
    expect(objects.map((manifest) => manifest.metadata.name)).not.toContain("allow-prometheus-from-kured");
  });

  it("reboots one node at a time, never without a finished drain, which drainTimeoutSeconds bounds", () => {
    const values = configuration(kured(platform("dev")));
    expect(values).toMatchObject({
      concurrency: 1,
      forceReboot: false,
      drainTimeout: "600s",
      lockReleaseDelay: "5m",
      rebootSentinel: "/var/run/reboot-required",
    });
    const longer = configuration(
      kured(
        platform("dev", (config) => {
          config.drainTimeoutSeconds = 1800;
        }),
      ),
    );
    expect(longer.drainTimeout).toBe("1800s");
  });

  it("takes the window from the stack: the default on dev, the prod stack's own there", () => {
    expect(configuration(kured(platform("dev")))).toMatchObject({
      rebootDays: ["mo", "tu", "we", "th", "fr"],
      startTime: "02:00",
      endTime: "05:00",
      timeZone: "UTC",
    });
    expect(configuration(kured(platform("prod")))).toMatchObject({
      rebootDays: ["tu", "we", "th"],
      startTime: "01:30",
      endTime: "04:30",
      timeZone: "Europe/Berlin",
    });
  });

  it("waits while an alert is active, but Watchdog and InfoInhibitor, only where Prometheus runs", () => {
    const release = kured(platform("dev"));
    expect(configuration(release)).toMatchObject({
      prometheusUrl: "http://kube-prometheus-stack-prometheus.monitoring.svc:9090",
      alertFilterRegexp: ALERT_FILTER,
    });
    expect(prometheusUrl()).toBe(configuration(release).prometheusUrl);
    const filter = new RegExp(ALERT_FILTER);
    // What a tenant raises (a full quota, vulnerable images, a failing backup) never holds the patching.
    for (const name of [
      "Watchdog",
      "InfoInhibitor",
      "KubeQuotaFullyUsed",
      "HetznerK8sTenantQuotaAlmostFull",
      "HetznerK8sCriticalImageVulnerabilities",
      "HetznerK8sBackupFailed",
    ])
      expect([name, filter.test(name)]).toEqual([name, true]);
    // The etcd and node alerts that protect the control plane are never filtered out.
    for (const name of [
      "HetznerK8sEtcdMemberDown",
      "HetznerK8sEtcdNoLeader",
      "HetznerK8sEtcdInsufficientMembers",
      "HetznerK8sNodeDown",
      "HetznerK8sNodeNotReady",
      "WatchdogMissing",
      "KubePodCrashLooping",
      "HetznerK8sBackupLocationUnavailable",
    ])
      expect([name, filter.test(name)]).toEqual([name, false]);
    expect(release.values.metrics).toEqual({ create: true });
    // The ServiceMonitor needs kube-prometheus-stack's CRD.
    expect(release.after).toContain("kube-prometheus-stack");

    const without = kured(platform("dev", noMonitoring));
    expect(configuration(without).prometheusUrl).toBeUndefined();
    expect(configuration(without).alertFilterRegexp).toBeUndefined();
    expect(without.values.metrics).toBeUndefined();
    expect(without.after).not.toContain("kube-prometheus-stack");
  });

  it("names only alerts that exist: the cluster's own in its rule file, the etcd ones that protect quorum", () => {
    const rules = parse(readFileSync(RULES_FILE, "utf8")) as { groups: { rules: { alert?: string }[] }[] };
    const alerts = new Set(rules.groups.flatMap((group) => group.rules.map((rule) => rule.alert)));
    const own = ALERTS_NOT_BLOCKING.filter((name) => name.startsWith("HetznerK8s"));
    expect(own.length).toBeGreaterThan(0);
    for (const name of own) expect([name, alerts.has(name)]).toEqual([name, true]);
    for (const name of [
      "HetznerK8sEtcdMemberDown",
      "HetznerK8sEtcdNoLeader",
      "HetznerK8sEtcdInsufficientMembers",
    ])
      expect([name, alerts.has(name)]).toEqual([name, true]);
  });

  it("runs on every node, tainted ones included, at the platform's priority", () => {
    const values = kured(platform("prod")).values;
    expect(values.priorityClassName).toBe(PLATFORM_PRIORITY_CLASS);
    expect(values.tolerations).toEqual([{ operator: "Exists" }]);
    // prod's db-1 carries dedicated=databases:NoSchedule; control-plane nodes may carry k3s's taint.
    const tainted = shippedConfig("prod").nodes.flatMap((node) => node.taints ?? []);
    expect(tainted.length).toBeGreaterThan(0);
  });

  it("renders a valid DaemonSet with the chart's arguments", () => {
    for (const edit of [undefined, noMonitoring]) {
      const release = kured(platform("dev", edit));
      const values = release.values;
      const args = renderedArgs(configuration(release));
      const daemonSet = {
        apiVersion: "apps/v1",
        kind: "DaemonSet",
        metadata: { name: "kured", namespace: KURED_NAMESPACE },
        spec: {
          selector: { matchLabels: { "app.kubernetes.io/name": "kured" } },
          template: {
            metadata: { labels: { "app.kubernetes.io/name": "kured" } },
            spec: {
              hostPID: true,
              priorityClassName: values.priorityClassName,
              tolerations: values.tolerations,
              containers: [
                {
                  name: "kured",
                  image: "ghcr.io/kubereboot/kured:1.23.0",
                  command: ["/usr/bin/kured"],
                  args,
                  securityContext: { privileged: true, readOnlyRootFilesystem: true },
                  ports: [{ containerPort: 8080, name: "metrics" }],
                  volumeMounts: [{ mountPath: "/sentinel", name: "sentinel", readOnly: true }],
                },
              ],
              volumes: [{ name: "sentinel", hostPath: { path: "/var/run", type: "Directory" } }],
            },
          },
        },
      };
      expect(() => new DaemonSet(daemonSet as never).validate()).not.toThrow();
      expect(args).toEqual(
        expect.arrayContaining([
          "--concurrency=1",
          "--drain-timeout=600s",
          "--reboot-days=mo",
          "--reboot-days=fr",
          "--start-time=02:00",
          "--end-time=05:00",
          "--time-zone=UTC",
          "--reboot-sentinel=/sentinel/reboot-required",
        ]),
      );
      expect(args).not.toContain("--force-reboot");
      expect(args.some((arg) => arg.startsWith("--prometheus-url="))).toBe(edit === undefined);
    }
  });
});

describe("the README's runbook", () => {
  const readme = readFileSync(path.resolve(__dirname, "../../README.md"), "utf8");

  it("pauses and resumes reboots with kured's own lock annotation on its DaemonSet", () => {
    expect(readme).toContain(
      `kubectl -n ${KURED_NAMESPACE} annotate ds ${KURED_RELEASE} ${KURED_LOCK_ANNOTATION}='{"nodeID":"manual"}'`,
    );
    expect(readme).toContain(
      `kubectl -n ${KURED_NAMESPACE} annotate ds ${KURED_RELEASE} ${KURED_LOCK_ANNOTATION}-`,
    );
  });
});

describe("kured's namespace and network policies", () => {
  const where = (manifest: Manifest) => `${manifest.metadata.namespace}/${manifest.metadata.name}`;
  const policies = (model: PlatformModel<string>) =>
    model.steps.flatMap((step) => step.manifests).filter((manifest) => manifest.kind === "NetworkPolicy");
  const byName = (name: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
  });

  it("is a privileged namespace (host PID, a privileged container) that denies ingress by default", () => {
    const model = platform("dev");
    const namespace = model.namespaces.find((manifest) => manifest.metadata.name === KURED_NAMESPACE);
    expect(namespace?.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    expect(() => validateAgainstSchema(namespace ?? {})).not.toThrow();
    const own = policies(model).filter((manifest) => manifest.metadata.namespace === KURED_NAMESPACE);
    expect(own.map(where)).toEqual(["kured/default-deny-ingress", "kured/allow-metrics-from-monitoring"]);
    expect(own[1].spec).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [byName("monitoring")], ports: [{ port: "metrics", protocol: "TCP" }] }],
    });
    for (const manifest of own) expect(() => validateAgainstSchema(manifest)).not.toThrow();
  });

  it("lets kured ask Prometheus for alerts, on Prometheus' web port only", () => {
    const model = platform("dev");
    const allowance = policies(model).find(
      (manifest) => where(manifest) === "monitoring/allow-prometheus-from-kured",
    );
    expect(allowance?.spec).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "prometheus" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [byName(KURED_NAMESPACE)], ports: [{ port: "http-web", protocol: "TCP" }] }],
    });
    expect(() => validateAgainstSchema(allowance ?? {})).not.toThrow();
  });

  it("admits nothing into kured without monitoring", () => {
    const model = platform("dev", noMonitoring);
    expect(
      policies(model)
        .filter((manifest) => manifest.metadata.namespace === KURED_NAMESPACE)
        .map(where),
    ).toEqual(["kured/default-deny-ingress"]);
  });
});
