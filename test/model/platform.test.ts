import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { StackConfig } from "../../src/config/schema";
import { PRIORITY_CLASSES, tenantSchema } from "../../src/config/tenantSchema";
import { SCRIPTS_DIR } from "../../src/remote/remoteScript";
import { buildClusterModel } from "../../src/model/cluster";
import type { Manifest } from "../../src/model/platform/common";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";
import {
  PLATFORM_PRIORITY,
  PLATFORM_PRIORITY_CLASS,
  platformPriorityClassManifest,
} from "../../src/model/platform/priority";
import { LOCAL_NVME_PATH, LOCAL_VOLUME_PATH } from "../../src/model/platform/storage";
import { mergeValues } from "../../src/model/platform/values";
import { buildTenant, priorityClassManifests } from "../../src/model/tenants";
import { CHARTS } from "../../src/versions";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";

const FILES = {
  rules: "groups:\n  - name: test\n    rules:\n      - alert: Test\n        expr: vector(1)\n",
  dashboards: { pool: '{"title":"pool"}' },
};

/** Dynamic values as readable strings, so the model can be checked without Pulumi. */
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

function release(model: PlatformModel<string>, name: string) {
  const found = model.releases.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no release ${name}`);
  return found;
}

type Values = Record<string, Record<string, unknown>>;

describe("platform releases", () => {
  it("installs every add-on by default, each chart pinned in versions.ts", () => {
    const model = platform("dev");
    expect(model.releases.map((entry) => entry.name)).toEqual([
      "hcloud-cloud-controller-manager",
      "hcloud-csi",
      "traefik",
      "cert-manager",
      "rancher",
      "kube-prometheus-stack",
      "kured",
      "trivy-operator",
      "loki",
      "alloy",
    ]);
    for (const entry of model.releases) {
      expect(Object.values(CHARTS)).toContainEqual(entry.chart);
      expect(entry.chart.version).toMatch(/^v?\d+\.\d+\.\d+$/);
      expect(entry.timeoutSeconds).toBeGreaterThanOrEqual(600);
    }
  });

  it("leaves out what the stack switches off", () => {
    const model = platform("dev", (config) => {
      config.rancherEnabled = false;
      config.monitoringEnabled = false;
      config.hcloudCsiEnabled = false;
      config.localPathEnabled = false;
      config.ingressEnabled = false;
      config.rebootsEnabled = false;
      config.imageScanningEnabled = false;
      config.loggingEnabled = false;
      config.defaultStorageClass = "hcloud-volumes";
    });
    expect(model.releases.map((entry) => entry.name)).toEqual([
      "hcloud-cloud-controller-manager",
      "cert-manager",
    ]);
    expect(model.steps.map((step) => step.name)).toEqual([
      "priority-class",
      "network-policies",
      "hcloud-secret",
      "cluster-issuers",
    ]);
  });

  it("orders add-ons: the cloud controller first, cert-manager and issuers before Rancher, storage before Prometheus", () => {
    const model = platform("dev");
    expect(release(model, "hcloud-cloud-controller-manager").after).toEqual(["hcloud-secret"]);
    expect(release(model, "rancher").after).toEqual(
      expect.arrayContaining(["cert-manager", "cluster-issuers", "traefik"]),
    );
    expect(release(model, "kube-prometheus-stack").after).toEqual(
      expect.arrayContaining(["hcloud-cloud-controller-manager", "hcloud-csi"]),
    );
    expect(model.steps.find((step) => step.name === "monitoring-objects")?.after).toEqual([
      "kube-prometheus-stack",
    ]);
  });

  it("runs the cloud controller on the private network without routes (flannel carries pod traffic)", () => {
    const values = release(platform("dev"), "hcloud-cloud-controller-manager").values as Values;
    expect(values.networking).toEqual({ enabled: false });
    expect(values.env).toMatchObject({
      HCLOUD_NETWORK_ROUTES_ENABLED: { value: "false" },
      HCLOUD_LOAD_BALANCERS_USE_PRIVATE_IP: { value: "true" },
      HCLOUD_LOAD_BALANCERS_LOCATION: { value: "fsn1" },
    });
  });

  it("exposes the ingress controller on the NodePorts the ingress load balancer targets", () => {
    const values = release(platform("dev"), "traefik").values as Values;
    expect(values.service).toEqual({ spec: { type: "NodePort" } });
    expect(values.ports).toEqual({ web: { nodePort: 30080 }, websecure: { nodePort: 30443 } });
  });

  it("gives Rancher its hostname, a secret bootstrap password and one replica per control-plane node", () => {
    const values = release(platform("prod"), "rancher").values as Values;
    expect(values).toMatchObject({
      hostname: "rancher.203.0.113.9.sslip.io",
      bootstrapPassword: "<rancherBootstrapPassword>",
      replicas: 3,
      ingress: { ingressClassName: "traefik", tls: { source: "rancher" } },
    });
  });

  it("uses Let's Encrypt for Rancher and the cluster issuer when a domain and e-mail are set", () => {
    const model = platform("dev", (config) => {
      config.ingressDomain = "k8s.example.com";
      config.letsEncryptEmail = "ops@example.com";
    });
    const values = release(model, "rancher").values as Values;
    expect(values.ingress).toMatchObject({ tls: { source: "letsEncrypt" } });
    expect(values.letsEncrypt).toMatchObject({ email: "ops@example.com", ingress: { class: "traefik" } });
    expect(model.clusterIssuer).toBe("letsencrypt");
    const issuers = model.steps.find((step) => step.name === "cluster-issuers")?.manifests ?? [];
    expect(issuers.map((issuer) => [issuer.kind, issuer.metadata.name])).toEqual([
      ["ClusterIssuer", "letsencrypt"],
    ]);
  });

  it("makes a self-signed cluster CA issuer without a domain", () => {
    const model = platform("dev");
    const issuers = model.steps.find((step) => step.name === "cluster-issuers")?.manifests ?? [];
    expect(issuers.map((issuer) => [issuer.kind, issuer.metadata.name])).toEqual([
      ["ClusterIssuer", "selfsigned"],
      ["Certificate", "cluster-ca"],
      ["ClusterIssuer", "cluster-ca"],
    ]);
    expect(model.clusterIssuer).toBe("cluster-ca");
  });

  it("configures Prometheus from the stack and scrapes k3s's control plane on the private addresses", () => {
    const values = release(
      platform("prod", (config) => {
        config.prometheusRetention = "30d";
        config.prometheusStorageGb = 120;
      }),
      "kube-prometheus-stack",
    ).values as Values;
    expect(values.prometheus).toMatchObject({
      prometheusSpec: {
        retention: "30d",
        storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: "120Gi" } } } } },
        ruleSelectorNilUsesHelmValues: false,
      },
    });
    const jobs = (values.prometheus.prometheusSpec as { additionalScrapeConfigs: Record<string, unknown>[] })
      .additionalScrapeConfigs;
    const summary = jobs.map((job) => {
      const relabel = job.relabel_configs as { action?: string; replacement?: string }[];
      return [
        job.job_name,
        job.scheme ?? "http",
        relabel.some((rule) => rule.action === "keep"),
        relabel.find((rule) => rule.replacement)?.replacement,
      ];
    });
    expect(summary).toEqual([
      ["kube-etcd", "http", true, "$1:2381"],
      ["kube-controller-manager", "https", true, "$1:10257"],
      ["kube-scheduler", "https", true, "$1:10259"],
      ["kube-proxy", "http", false, "$1:10249"],
    ]);
    // Node discovery, not listed addresses: adding a node changes no setting.
    expect(JSON.stringify(values)).not.toContain("10.0.1.10");
    expect(values.kubeEtcd).toEqual({ enabled: false });
    expect(values.grafana).toMatchObject({
      adminPassword: "<grafanaAdminPassword>",
      ingress: { enabled: true, hosts: ["grafana.203.0.113.9.sslip.io"] },
    });
    expect(values["kube-state-metrics"]).toEqual({
      metricLabelsAllowlist: ["namespaces=[hetzner-k8s.io/tenant]"],
      priorityClassName: "hetzner-k8s-platform",
    });
  });

  it("routes alerts to the webhook receiver only when one is configured", () => {
    const plain = release(platform("dev"), "kube-prometheus-stack").values as Values;
    expect(JSON.stringify(plain.alertmanager)).not.toContain("webhook_configs");
    const withWebhook = release(
      platform("dev", (config) => {
        config.alertmanagerWebhookUrl = "https://hooks.example.com/x";
      }),
      "kube-prometheus-stack",
    ).values as Values;
    expect(withWebhook.alertmanager).toMatchObject({
      config: {
        route: { receiver: "webhook" },
        receivers: [
          { name: "null" },
          { name: "webhook", webhook_configs: [{ url: "<alertmanagerWebhookUrl>" }] },
        ],
      },
    });
  });
});

/** Kubernetes' system-cluster-critical, and the highest value the API lets a class of ours have. */
const SYSTEM_CLUSTER_CRITICAL_VALUE = 2_000_000_000;
const HIGHEST_USER_DEFINABLE_VALUE = 1_000_000_000;
const TENANT_MAXIMUM = Math.max(...priorityClassManifests().map((manifest) => manifest.value as number));

/** Every priorityClassName in a values tree, by dotted path. */
function priorityClassNames(values: unknown, at = ""): Record<string, unknown> {
  if (typeof values !== "object" || values === null || Array.isArray(values)) return {};
  return Object.assign(
    {},
    ...Object.entries(values).map(([key, value]) => {
      const where = at === "" ? key : `${at}.${key}`;
      return key === "priorityClassName" ? { [where]: value } : priorityClassNames(value, where);
    }),
  ) as Record<string, unknown>;
}

/** The pod specs among the program's own objects: workload templates, and pods a ConfigMap holds. */
function podSpecs(manifests: Manifest[]): Record<string, { priorityClassName?: string }> {
  const specs: Record<string, { priorityClassName?: string }> = {};
  for (const manifest of manifests) {
    const where = `${manifest.kind} ${manifest.metadata.namespace ?? ""}/${manifest.metadata.name}`;
    const template = (manifest.spec as { template?: { spec?: object } } | undefined)?.template?.spec;
    if (template) specs[where] = template;
    for (const [file, text] of Object.entries((manifest.data as Record<string, string> | undefined) ?? {})) {
      const held = file.endsWith(".yaml") ? (parse(text) as { kind?: string; spec?: object }) : undefined;
      if (held?.kind === "Pod" && held.spec) specs[`${where} ${file}`] = held.spec;
    }
  }
  return specs;
}

/** Whether a quota of zero pods with a PriorityClass scope refuses a pod of this class. */
function quotaRefuses(quota: Manifest, className: string): boolean {
  const spec = quota.spec as {
    hard: Record<string, string>;
    scopeSelector: { matchExpressions: { scopeName: string; operator: string; values?: string[] }[] };
  };
  const counted = spec.scopeSelector.matchExpressions.every((expression) => {
    if (expression.scopeName !== "PriorityClass") throw new Error(`unexpected scope ${expression.scopeName}`);
    if (expression.operator === "Exists") return true;
    if (expression.operator === "In") return expression.values?.includes(className) ?? false;
    if (expression.operator === "NotIn") return !(expression.values ?? []).includes(className);
    return false;
  });
  return counted && spec.hard.pods === "0";
}

describe("priority of the platform's pods", () => {
  it("is a class of the platform's own, above every tenant class and below Kubernetes' system classes", () => {
    const manifest = platformPriorityClassManifest();
    expect(manifest).toMatchObject({
      kind: "PriorityClass",
      metadata: { name: "hetzner-k8s-platform" },
      value: PLATFORM_PRIORITY,
      globalDefault: false,
      preemptionPolicy: "PreemptLowerPriority",
    });
    expect(PLATFORM_PRIORITY).toBeGreaterThan(TENANT_MAXIMUM);
    expect(PLATFORM_PRIORITY).toBeLessThanOrEqual(HIGHEST_USER_DEFINABLE_VALUE);
    expect(PLATFORM_PRIORITY).toBeLessThan(SYSTEM_CLUSTER_CRITICAL_VALUE);
    expect(manifest.metadata.namespace).toBeUndefined();
    expect(() => validateAgainstSchema(manifest)).not.toThrow();
  });

  it("is created first, and every release that names it waits for it", () => {
    const model = platform("dev");
    expect(model.steps[0]).toEqual({
      name: "priority-class",
      after: [],
      manifests: [platformPriorityClassManifest()],
    });
    const naming = model.releases.filter((entry) =>
      Object.values(priorityClassNames(entry.values)).includes(PLATFORM_PRIORITY_CLASS),
    );
    expect(naming.map((entry) => entry.name)).toEqual([
      "traefik",
      "cert-manager",
      "rancher",
      "kube-prometheus-stack",
      "kured",
      "trivy-operator",
      "loki",
      "alloy",
    ]);
    for (const entry of naming)
      expect([entry.name, entry.after.includes("priority-class")]).toEqual([entry.name, true]);
  });

  it("is given to every workload of the add-ons; the cloud controller and CSI driver keep Kubernetes' own classes", () => {
    const platformClass = PLATFORM_PRIORITY_CLASS;
    const model = platform("dev");
    expect(
      Object.fromEntries(model.releases.map((entry) => [entry.name, priorityClassNames(entry.values)])),
    ).toEqual({
      "hcloud-cloud-controller-manager": { priorityClassName: "system-cluster-critical" },
      "hcloud-csi": {
        "controller.priorityClassName": "system-cluster-critical",
        "node.priorityClassName": "system-node-critical",
      },
      traefik: { priorityClassName: platformClass },
      "cert-manager": { "global.priorityClassName": platformClass },
      rancher: { priorityClassName: platformClass },
      "kube-prometheus-stack": {
        "prometheus.prometheusSpec.priorityClassName": platformClass,
        "prometheusOperator.priorityClassName": platformClass,
        "prometheusOperator.admissionWebhooks.patch.priorityClassName": platformClass,
        "grafana.priorityClassName": platformClass,
        "alertmanager.alertmanagerSpec.priorityClassName": platformClass,
        "kube-state-metrics.priorityClassName": platformClass,
        "prometheus-node-exporter.priorityClassName": platformClass,
      },
      kured: { priorityClassName: platformClass },
      "trivy-operator": { priorityClassName: platformClass },
      loki: { "singleBinary.priorityClassName": platformClass },
      alloy: { "controller.priorityClassName": platformClass },
    });
  });

  it("runs the pods the program deploys itself at Kubernetes' own classes, as before", () => {
    const specs = podSpecs(platform("dev").steps.flatMap((step) => step.manifests));
    expect(
      Object.fromEntries(Object.entries(specs).map(([where, spec]) => [where, spec.priorityClassName])),
    ).toEqual({
      "Deployment local-path-storage/local-path-provisioner": "system-cluster-critical",
      "ConfigMap local-path-storage/local-path-config helperPod.yaml": "system-node-critical",
    });
  });

  it("keeps the platform's class, and every other class above the tenants', out of every tenant's reach", () => {
    // The tenant schema cannot even name it.
    expect(PRIORITY_CLASSES).not.toContain(PLATFORM_PRIORITY_CLASS);
    const aboveTenants = [
      PLATFORM_PRIORITY_CLASS,
      "rancher-critical",
      "system-cluster-critical",
      "system-node-critical",
    ];
    // Every set of classes a tenant may be granted, all four included.
    const grants = PRIORITY_CLASSES.reduce<(typeof PRIORITY_CLASSES)[number][][]>(
      (sets, name) => [...sets, ...sets.map((set) => [...set, name])],
      [[]],
    );
    expect(grants).toHaveLength(16);
    for (const priorityClasses of grants) {
      const tenant = buildTenant(
        tenantSchema.parse({
          name: "shop",
          namespaces: ["shop", "shop-staging"],
          quota: { requestsCpu: "1", requestsMemory: "1Gi", limitsCpu: "1", limitsMemory: "1Gi" },
          priorityClasses,
        }),
      );
      const quotas = tenant.objects.filter(
        (object) => object.kind === "ResourceQuota" && object.metadata.name === "denied-priority-classes",
      );
      expect(quotas.map((quota) => quota.metadata.namespace)).toEqual(["shop", "shop-staging"]);
      for (const quota of quotas) {
        const refused = (names: readonly string[]) => names.map((name) => [name, quotaRefuses(quota, name)]);
        expect(refused(aboveTenants)).toEqual(aboveTenants.map((name) => [name, true]));
        expect(refused(priorityClasses)).toEqual(priorityClasses.map((name) => [name, false]));
      }
    }
  });
});

describe("storage classes", () => {
  it.each(["hcloud-volumes", "local-nvme", "local-volume"] as const)(
    "marks exactly one default: %s",
    (choice) => {
      const model = platform("dev", (config) => {
        config.defaultStorageClass = choice;
      });
      expect(model.storageClasses.filter((entry) => entry.isDefault).map((entry) => entry.name)).toEqual([
        choice,
      ]);
      const csi = model.releases.find((entry) => entry.name === "hcloud-csi")?.values as Values;
      const csiDefault = (csi.storageClasses as unknown as { defaultStorageClass: boolean }[])[0]
        .defaultStorageClass;
      expect(csiDefault).toBe(choice === "hcloud-volumes");
      const localClasses = model.steps
        .flatMap((step) => step.manifests)
        .filter((manifest) => manifest.kind === "StorageClass");
      for (const storageClass of localClasses) {
        expect(storageClass.metadata.annotations?.["storageclass.kubernetes.io/is-default-class"]).toBe(
          String(storageClass.metadata.name === choice),
        );
      }
    },
  );

  it("keeps local-volume data on the node's volume, only on nodes that have one, naming no node", () => {
    const manifests = platform("dev").steps.find((step) => step.name === "local-path")?.manifests ?? [];
    const configMap = manifests.find((manifest) => manifest.kind === "ConfigMap");
    const config = JSON.parse((configMap?.data as Record<string, string>)["config.json"]) as {
      storageClassConfigs: Record<string, { nodePathMap: { node: string; paths: string[] }[] }>;
    };
    expect(config.storageClassConfigs["local-nvme"].nodePathMap).toEqual([
      { node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [LOCAL_NVME_PATH] },
    ]);
    expect(config.storageClassConfigs["local-volume"].nodePathMap).toEqual([
      { node: "DEFAULT_PATH_FOR_NON_LISTED_NODES", paths: [LOCAL_VOLUME_PATH] },
    ]);
    const localVolume = manifests.find(
      (manifest) => manifest.kind === "StorageClass" && manifest.metadata.name === "local-volume",
    );
    expect(localVolume?.allowedTopologies).toEqual([
      { matchLabelExpressions: [{ key: "hetzner-k8s.io/volume", values: ["true"] }] },
    ]);
  });

  it("has no local-volume class when no node has a volume", () => {
    const model = platform("dev", (config) => {
      for (const node of config.nodes) delete node.volumeSizeGb;
    });
    expect(model.storageClasses.map((entry) => entry.name)).toEqual(["hcloud-volumes", "local-nvme"]);
  });
});

describe("Pod Security of the platform's namespaces", () => {
  const ENFORCE = "pod-security.kubernetes.io/enforce";
  const exempt = (
    parse(readFileSync(path.join(SCRIPTS_DIR, "k3s-pod-security.yaml"), "utf8")) as {
      plugins: { configuration: { exemptions: { namespaces: string[] } } }[];
    }
  ).plugins[0].configuration.exemptions.namespaces;

  function namespaces(model: PlatformModel<string>): Manifest[] {
    return [...model.namespaces, ...model.steps.flatMap((step) => step.manifests)].filter(
      (manifest) => manifest.kind === "Namespace",
    );
  }

  it.each(["dev", "prod"] as const)(
    "labels every namespace it creates with its level, privileged only where pods need the host (%s)",
    (stack) => {
      const levels = Object.fromEntries(
        namespaces(platform(stack)).map((manifest) => [
          manifest.metadata.name,
          manifest.metadata.labels?.[ENFORCE],
        ]),
      );
      // Unlabelled, a namespace would fall to the cluster's restricted default.
      expect(levels).toEqual({
        traefik: "baseline",
        "cert-manager": "baseline",
        // Rancher's agents; node-exporter's host network, PID and filesystem; local-path's hostPath helpers.
        "cattle-system": "privileged",
        monitoring: "privileged",
        "local-path-storage": "privileged",
        // kured's host PID and privileged container, with which it reboots its node.
        kured: "privileged",
        // The Trivy operator's scan jobs pull and read images only (model/platform/imageScanning.ts).
        "trivy-system": "baseline",
        // Alloy's read-only hostPath mount of /var/log (model/platform/logging.ts).
        logging: "privileged",
      });
    },
  );

  it("installs every release where the program sets the level or the cluster's configuration exempts it", () => {
    const model = platform("dev");
    const labelled = new Set(namespaces(model).map((manifest) => manifest.metadata.name));
    for (const entry of model.releases) {
      expect([
        entry.name,
        entry.namespace,
        labelled.has(entry.namespace) || exempt.includes(entry.namespace),
      ]).toEqual([entry.name, entry.namespace, true]);
    }
    // The cloud controller and the CSI driver (whose node plugin is privileged) run in kube-system,
    // which k3s creates and the program does not label.
    expect(
      model.releases.filter((entry) => entry.namespace === "kube-system").map((entry) => entry.name),
    ).toEqual(["hcloud-cloud-controller-manager", "hcloud-csi"]);
    expect(exempt).toContain("kube-system");
    // An exemption would override the program's own label, so none of its namespaces is exempt.
    for (const name of labelled) expect([name, exempt.includes(name)]).toEqual([name, false]);
  });
});

describe("network policies of the platform's namespaces", () => {
  type Rule = { from?: Record<string, unknown>[]; ports?: { port: number | string; protocol: string }[] };
  type Spec = {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress?: Rule[];
  };

  function policies(model: PlatformModel<string>): Manifest[] {
    return model.steps
      .flatMap((step) => step.manifests)
      .filter((manifest) => manifest.kind === "NetworkPolicy");
  }
  const where = (manifest: Manifest) => `${manifest.metadata.namespace}/${manifest.metadata.name}`;
  const byName = (name: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
  });
  const spec = (model: PlatformModel<string>, name: string): Spec => {
    const found = policies(model).filter((manifest) => where(manifest) === name);
    expect(found.map(where)).toEqual([name]);
    return found[0].spec as Spec;
  };
  /** The API server on the control-plane nodes' host network: node addresses and flannel's (pod range). */
  const API_SERVER = [{ ipBlock: { cidr: "10.0.0.0/16" } }, { ipBlock: { cidr: "10.42.0.0/16" } }];

  it.each(["dev", "prod"] as const)(
    "deny ingress by default in every namespace the program creates or applies, not in kube-system (%s)",
    (stack) => {
      const model = platform(stack);
      const created = [
        ...model.namespaces,
        ...model.sharedNamespaces,
        ...model.steps.flatMap((step) => step.manifests),
      ]
        .filter((manifest) => manifest.kind === "Namespace")
        .map((manifest) => manifest.metadata.name);
      const denied = policies(model)
        .filter((manifest) => manifest.metadata.name === "default-deny-ingress")
        .map((manifest) => manifest.metadata.namespace);
      expect(denied.sort()).toEqual([...created].sort());
      expect(denied).not.toContain("kube-system");
      for (const manifest of policies(model).filter(
        (entry) => entry.metadata.name === "default-deny-ingress",
      ))
        expect(manifest.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    },
  );

  it("allow exactly these clients, each on its ports", () => {
    const model = platform("dev");
    expect(policies(model).map(where)).toEqual([
      "traefik/default-deny-ingress",
      "traefik/allow-web-from-anywhere",
      "traefik/allow-metrics-from-monitoring",
      "cert-manager/default-deny-ingress",
      "cert-manager/allow-webhook-from-api-server",
      "cert-manager/allow-metrics-from-monitoring",
      "cattle-system/default-deny-ingress",
      "cattle-system/allow-within-cattle-system",
      "cattle-system/allow-rancher-from-traefik",
      "cattle-system/allow-imperative-api-from-api-server",
      "cattle-system/allow-webhook-from-api-server",
      "cattle-system/allow-metrics-from-monitoring",
      "cattle-fleet-system/default-deny-ingress",
      "cattle-fleet-system/allow-metrics-from-monitoring",
      "cattle-turtles-system/default-deny-ingress",
      "monitoring/default-deny-ingress",
      "monitoring/allow-within-monitoring",
      "monitoring/allow-grafana-from-traefik",
      "monitoring/allow-webhook-from-api-server",
      "monitoring/allow-prometheus-from-kured",
      "kured/default-deny-ingress",
      "kured/allow-metrics-from-monitoring",
      "trivy-system/default-deny-ingress",
      "trivy-system/allow-metrics-from-monitoring",
      "logging/default-deny-ingress",
      "logging/allow-push-from-alloy",
      "logging/allow-loki-from-itself",
      "logging/allow-clustering-within-alloy",
      "logging/allow-query-from-grafana",
      "logging/allow-metrics-from-prometheus",
      "logging/allow-alloy-metrics-from-prometheus",
      "local-path-storage/default-deny-ingress",
    ]);
    for (const manifest of policies(model)) {
      const { policyTypes, ingress = [] } = manifest.spec as Spec;
      // Ingress only: the platform's own egress (scrapes, API calls, ACME) stays open.
      expect([where(manifest), policyTypes]).toEqual([where(manifest), ["Ingress"]]);
      expect([where(manifest), ingress.length <= 1]).toEqual([where(manifest), true]);
      expect(manifest.metadata.labels).toEqual({ "app.kubernetes.io/managed-by": "hetzner-k8s" });
      expect(() => validateAgainstSchema(manifest)).not.toThrow();
    }
  });

  it("open Traefik's two entry points to any source (NodePort traffic arrives masqueraded), nothing else of it", () => {
    const model = platform("dev");
    expect(spec(model, "traefik/allow-web-from-anywhere")).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [
        {
          ports: [
            { port: "web", protocol: "TCP" },
            { port: "websecure", protocol: "TCP" },
          ],
        },
      ],
    });
    expect(spec(model, "traefik/allow-metrics-from-monitoring").ingress).toEqual([
      { from: [byName("monitoring")], ports: [{ port: "metrics", protocol: "TCP" }] },
    ]);
  });

  it("keep Prometheus and Alertmanager to their own namespace; Traefik reaches Grafana's port only", () => {
    const model = platform("dev");
    expect(spec(model, "monitoring/allow-within-monitoring").ingress).toEqual([
      { from: [{ podSelector: {} }] },
    ]);
    expect(spec(model, "monitoring/allow-grafana-from-traefik")).toEqual({
      podSelector: { matchLabels: { "app.kubernetes.io/name": "grafana" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [byName("traefik")], ports: [{ port: "grafana", protocol: "TCP" }] }],
    });
    // No other policy of monitoring admits anything from outside the namespace but the API server's
    // webhook calls to the operator and kured's alert queries to Prometheus.
    const outside = policies(model)
      .filter((manifest) => manifest.metadata.namespace === "monitoring")
      .flatMap((manifest) => ((manifest.spec as Spec).ingress ?? []).map((rule) => [where(manifest), rule]));
    expect(outside).toEqual([
      ["monitoring/allow-within-monitoring", { from: [{ podSelector: {} }] }],
      ["monitoring/allow-grafana-from-traefik", expect.anything()],
      [
        "monitoring/allow-webhook-from-api-server",
        { from: API_SERVER, ports: [{ port: "https", protocol: "TCP" }] },
      ],
      [
        "monitoring/allow-prometheus-from-kured",
        { from: [byName("kured")], ports: [{ port: "http-web", protocol: "TCP" }] },
      ],
    ]);
    expect(spec(model, "monitoring/allow-webhook-from-api-server").podSelector).toEqual({
      matchLabels: { app: "kube-prometheus-stack-operator" },
    });
    // Without an ingress there is no Grafana Ingress, and no Traefik to admit.
    const withoutIngress = platform("dev", (config) => {
      config.ingressEnabled = false;
    });
    expect(policies(withoutIngress).map(where)).not.toContain("monitoring/allow-grafana-from-traefik");
    expect(policies(withoutIngress).map(where)).not.toContain("traefik/default-deny-ingress");
  });

  it("admit the API server to the webhooks from the cluster's own ranges, on the webhook ports only", () => {
    const model = platform("dev", (config) => {
      config.networkCidr = "10.1.0.0/16";
      config.nodeSubnetCidr = "10.1.1.0/24";
      config.podCidr = "10.50.0.0/16";
    });
    const ranges = [{ ipBlock: { cidr: "10.1.0.0/16" } }, { ipBlock: { cidr: "10.50.0.0/16" } }];
    expect(spec(model, "cert-manager/allow-webhook-from-api-server")).toEqual({
      podSelector: {
        matchLabels: {
          "app.kubernetes.io/instance": "cert-manager",
          "app.kubernetes.io/component": "webhook",
        },
      },
      policyTypes: ["Ingress"],
      ingress: [{ from: ranges, ports: [{ port: "https", protocol: "TCP" }] }],
    });
    expect(spec(model, "cattle-system/allow-webhook-from-api-server")).toEqual({
      podSelector: { matchLabels: { app: "rancher-webhook" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: ranges, ports: [{ port: 9443, protocol: "TCP" }] }],
    });
    // Every rule with an address block names a port: the pod range holds every pod's address too.
    for (const manifest of policies(model))
      for (const rule of (manifest.spec as Spec).ingress ?? [])
        if (rule.from?.some((peer) => "ipBlock" in peer))
          expect([where(manifest), (rule.ports ?? []).length > 0]).toEqual([where(manifest), true]);
  });

  it("admit Rancher from Traefik and its own namespace, and metrics endpoints from monitoring", () => {
    const model = platform("dev");
    expect(spec(model, "cattle-system/allow-rancher-from-traefik")).toEqual({
      podSelector: { matchLabels: { app: "rancher" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: [byName("traefik")], ports: [{ port: 80, protocol: "TCP" }] }],
    });
    expect(spec(model, "cattle-system/allow-within-cattle-system").ingress).toEqual([
      { from: [{ podSelector: {} }] },
    ]);
    expect(spec(model, "cert-manager/allow-metrics-from-monitoring").ingress).toEqual([
      { from: [byName("monitoring")], ports: [{ port: 9402, protocol: "TCP" }] },
    ]);
    expect(spec(model, "cattle-system/allow-metrics-from-monitoring").ingress).toEqual([
      { from: [byName("monitoring")], ports: [{ port: 80, protocol: "TCP" }] },
    ]);
  });

  it("come right after the namespaces, and every release in an isolated namespace waits for them", () => {
    const model = platform("dev");
    const step = model.steps.find((entry) => entry.name === "network-policies");
    expect(step?.after).toEqual([]);
    const local = model.steps.find((entry) => entry.name === "local-path");
    // local-path-storage comes with its step, which creates its namespace first.
    expect(local?.manifests.filter((manifest) => manifest.kind === "NetworkPolicy").map(where)).toEqual([
      "local-path-storage/default-deny-ingress",
    ]);
    expect(local?.manifests.some((manifest) => manifest.kind === "Namespace")).toBe(true);
    expect(
      Object.fromEntries(
        model.releases.map((entry) => [entry.name, entry.after.includes("network-policies")]),
      ),
    ).toEqual({
      "hcloud-cloud-controller-manager": false,
      "hcloud-csi": false,
      traefik: true,
      "cert-manager": true,
      rancher: true,
      "kube-prometheus-stack": true,
      kured: true,
      "trivy-operator": true,
      loki: true,
      alloy: true,
    });
  });

  it("leave out the namespaces of disabled add-ons", () => {
    const model = platform("dev", (config) => {
      config.rancherEnabled = false;
      config.monitoringEnabled = false;
      config.localPathEnabled = false;
      config.rebootsEnabled = false;
      config.imageScanningEnabled = false;
      config.loggingEnabled = false;
      config.defaultStorageClass = "hcloud-volumes";
    });
    expect([...new Set(policies(model).map((manifest) => manifest.metadata.namespace))]).toEqual([
      "traefik",
      "cert-manager",
    ]);
  });
});

describe("merging operator values", () => {
  it("merges objects key by key, computed values win, lists are replaced whole", () => {
    const operator = { a: { keep: 1, override: 1 }, list: [1, 2], only: "operator" };
    const computed = { a: { override: 2, added: 3 }, list: [9] };
    expect(mergeValues(operator, computed)).toEqual({
      a: { keep: 1, override: 2, added: 3 },
      list: [9],
      only: "operator",
    });
  });
});
