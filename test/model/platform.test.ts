import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";
import { LOCAL_NVME_PATH, LOCAL_VOLUME_PATH } from "../../src/model/platform/storage";
import { mergeValues } from "../../src/model/platform/values";
import { CHARTS } from "../../src/versions";
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
      config.defaultStorageClass = "hcloud-volumes";
    });
    expect(model.releases.map((entry) => entry.name)).toEqual([
      "hcloud-cloud-controller-manager",
      "cert-manager",
    ]);
    expect(model.steps.map((step) => step.name)).toEqual(["hcloud-secret", "cluster-issuers"]);
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
