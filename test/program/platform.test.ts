import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../src/config/errors";
import { parseStackConfig } from "../../src/config/load";
import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { buildPlatformModel } from "../../src/model/platform/platform";
import {
  evaluatePlan,
  evaluateProgram,
  type Evaluation,
  type Plan,
  type PlannedResource,
} from "../../src/plan/evaluate";
import { startRecording, type ResourceRecord } from "../../src/plan/recorder";
import { resolveOutput } from "../../src/plan/values";
import { defineCluster, defineKubernetesLayers } from "../../src/program";
import {
  planStack,
  resourceNamed,
  resourcesOfType,
  shippedConfig,
  shippedRawConfig,
  TYPES,
} from "../helpers/plan";
import { stackFromConfig } from "../../src/stack";

const RELEASE = "kubernetes:helm.sh/v3:Release";
/** Readable stand-ins for what only exists at deployment time, to build the platform model offline. */
const MODEL_DYNAMIC = {
  hostname: (prefix: string) => `${prefix}.203.0.113.9.sslip.io`,
  secret: (name: string) => `<${name}>`,
  hcloudToken: "<token>",
  networkId: "<network>",
  autoscalerClusterConfig: { value: "<cluster-autoscaler config>", digest: "<digest>" },
};
const MODEL_FILES = { rules: "groups: []\n", dashboards: {} };
const PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass";

function release(plan: Plan, name: string): PlannedResource {
  return resourceNamed(plan, RELEASE, name);
}

describe("platform add-ons in the program", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("creates every Kubernetes object through one provider built from the cluster's kubeconfig", () => {
    const [provider] = resourcesOfType(plan, "pulumi:providers:kubernetes");
    expect(provider.secretInputs).toContain("kubeconfig");
    const kubeconfigCommand = plan.resources.find((resource) => resource.name === "kubeconfig");
    expect(provider.dependencies).toContain(kubeconfigCommand?.urn);
    const kubernetesResources = plan.resources.filter((resource) => resource.type.startsWith("kubernetes:"));
    expect(kubernetesResources.length).toBeGreaterThan(20);
    for (const resource of kubernetesResources)
      expect([resource.name, resource.options.provider]).toEqual([resource.name, provider.urn]);
  });

  it("names the cluster to its provider, so a new API address updates it instead of replacing every object", () => {
    const [provider] = resourcesOfType(plan, "pulumi:providers:kubernetes");
    expect(provider.inputs.clusterIdentifier).toBe("dev");
  });

  it("reaches a firewalled API through the first control-plane node's address, and gives users the hostname", async () => {
    const prod = await planStack("prod", (config) => {
      config.privateNodes = false;
    });
    const [provider] = resourcesOfType(prod, "pulumi:providers:kubernetes");
    const server = (name: string) => resourceNamed(prod, TYPES.server, name);
    // The hostname's DNS records cannot exist before the servers: the provider must not wait for them.
    expect(provider.dependencies).toContain(server("cp-1-server").urn);
    expect(provider.dependencies).not.toContain(server("cp-2-server").urn);
    expect(prod.outputs.apiEndpoint).toMatchObject({
      known: true,
      value: "https://api.prod.example.com:6443",
    });
  });

  it("reaches the firewalled API of private nodes (the shipped prod) through the gateway's address", async () => {
    const prod = await planStack("prod");
    const [provider] = resourcesOfType(prod, "pulumi:providers:kubernetes");
    expect(provider.dependencies).toContain(resourceNamed(prod, TYPES.server, "gateway-server").urn);
    expect(provider.dependencies).not.toContain(resourceNamed(prod, TYPES.server, "cp-1-server").urn);
    expect(prod.outputs.apiEndpoint).toMatchObject({ value: "https://api.prod.example.com:6443" });
  });

  it("installs pinned charts from their repositories, waiting with a bounded timeout", () => {
    const rancher = release(plan, "rancher");
    expect(rancher.inputs).toMatchObject({
      chart: "rancher",
      version: "2.14.4",
      namespace: "cattle-system",
      repositoryOpts: { repo: "https://releases.rancher.com/server-charts/stable" },
      timeout: 900,
      atomic: true,
    });
    for (const entry of resourcesOfType(plan, RELEASE))
      expect(entry.inputs.version).toMatch(/^v?\d+\.\d+\.\d+$/);
  });

  it("merges the operator's values file with the computed values", () => {
    const values = release(plan, "traefik").inputs.values as Record<string, Record<string, unknown>>;
    // From charts/traefik/values.yaml ...
    expect(values.ports.web).toMatchObject({
      http: { redirections: { entryPoint: { to: "websecure" } } },
      nodePort: 30080,
    });
    // ... and from the program.
    expect(values.service).toEqual({ spec: { type: "NodePort" } });
  });

  it("orders releases and objects by what they need", () => {
    const depends = (resource: PlannedResource, on: PlannedResource) =>
      resource.dependencies.includes(on.urn);
    const ccm = release(plan, "hcloud-cloud-controller-manager");
    const hcloudSecret = resourceNamed(plan, "kubernetes:core/v1:Secret", "kube-system/hcloud");
    expect(depends(ccm, hcloudSecret)).toBe(true);
    expect(depends(release(plan, "rancher"), release(plan, "cert-manager"))).toBe(true);
    expect(depends(release(plan, "kube-prometheus-stack"), release(plan, "hcloud-csi"))).toBe(true);
    const rule = resourcesOfType(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")[0];
    expect(depends(rule, release(plan, "kube-prometheus-stack"))).toBe(true);
    for (const issuer of resourcesOfType(plan, "kubernetes:cert-manager.io/v1:ClusterIssuer")) {
      expect(depends(issuer, release(plan, "cert-manager"))).toBe(true);
    }
  });

  it("keeps the Hetzner token, Rancher's and Grafana's passwords and the webhook secret", () => {
    expect(resourceNamed(plan, "kubernetes:core/v1:Secret", "kube-system/hcloud").secretInputs).toEqual([
      "stringData",
    ]);
    expect(release(plan, "rancher").secretInputs).toContain("values.bootstrapPassword");
    expect(release(plan, "kube-prometheus-stack").secretInputs).toContain("values.grafana.adminPassword");
    expect(plan.outputs.rancherBootstrapPassword).toMatchObject({ secret: true, value: "[secret]" });
    expect(plan.outputs.grafanaAdminPassword).toMatchObject({ secret: true, value: "[secret]" });
  });

  it("loads the cluster's alert rules and dashboards", () => {
    const [rule] = resourcesOfType(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule");
    const groups = (rule.inputs.spec as { groups: { name: string }[] }).groups;
    expect(groups.length).toBeGreaterThan(0);
    const dashboards = resourcesOfType(plan, "kubernetes:core/v1:ConfigMap").filter(
      (configMap) =>
        (configMap.inputs.metadata as { labels?: Record<string, string> }).labels?.grafana_dashboard === "1",
    );
    expect(dashboards.map((dashboard) => dashboard.name).sort()).toEqual([
      "monitoring/dashboard-image-vulnerabilities",
      "monitoring/dashboard-logs",
      "monitoring/dashboard-resource-pool",
      "monitoring/dashboard-tenant-usage",
    ]);
  });
});

describe("platform toggles", () => {
  it("removes Rancher and monitoring when switched off", async () => {
    const plan = await planStack("dev", (config) => {
      config.rancherEnabled = false;
      config.monitoringEnabled = false;
    });
    const releases = resourcesOfType(plan, RELEASE).map((entry) => entry.name);
    expect(releases).not.toContain("rancher");
    expect(releases).not.toContain("kube-prometheus-stack");
    expect(resourcesOfType(plan, "kubernetes:monitoring.coreos.com/v1:PrometheusRule")).toEqual([]);
    expect(plan.outputs.rancherUrl).toBeUndefined();
    expect(plan.outputs.grafanaAdminPassword).toBeUndefined();
  });

  it("uses the cluster's own domain for Rancher and Grafana when one is set", async () => {
    const plan = await planStack("dev", (config) => {
      config.ingressDomain = "k8s.example.com";
    });
    expect(plan.outputs.rancherUrl).toEqual({
      secret: false,
      known: true,
      value: "https://rancher.k8s.example.com",
    });
    expect(plan.outputs.grafanaUrl).toEqual({
      secret: false,
      known: true,
      value: "https://grafana.k8s.example.com",
    });
    expect((release(plan, "rancher").inputs.values as Record<string, unknown>).hostname).toBe(
      "rancher.k8s.example.com",
    );
  });
});

describe("the platform's priority class in the program", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("is created by the platform, before every release whose pods run at it", () => {
    const priorityClass = resourceNamed(plan, PRIORITY_CLASS, "hetzner-k8s-platform");
    const [platform] = resourcesOfType(plan, "hetzner-k8s:platform:Platform");
    expect(priorityClass.parent).toBe(platform.urn);
    expect(priorityClass.inputs).toMatchObject({
      value: 100_000_000,
      preemptionPolicy: "PreemptLowerPriority",
    });
    for (const name of ["traefik", "cert-manager", "rancher", "kube-prometheus-stack"]) {
      const entry = release(plan, name);
      expect([name, JSON.stringify(entry.inputs.values)]).toEqual([
        name,
        expect.stringContaining('"priorityClassName":"hetzner-k8s-platform"'),
      ]);
      expect([name, entry.dependencies]).toEqual([name, expect.arrayContaining([priorityClass.urn])]);
    }
  });

  // pulumi-kubernetes plans a PriorityClass's new value as an update, which the API server refuses (value
  // and preemptionPolicy are immutable): every class of the program is replaced instead, deleted first
  // since its name stays (see IMMUTABLE_FIELDS in src/kubernetes/manifests.ts).
  it("is replaced, not updated, when its value or preemption policy changes, as every class of the program is", () => {
    const classes = resourcesOfType(plan, PRIORITY_CLASS);
    expect(classes.map((entry) => entry.name).sort()).toEqual([
      "default",
      "hetzner-k8s-platform",
      "high",
      "low",
      "platform-critical",
    ]);
    for (const entry of classes)
      expect([entry.name, entry.options.replaceOnChanges, entry.options.deleteBeforeReplace]).toEqual([
        entry.name,
        ["value", "preemptionPolicy"],
        true,
      ]);
  });

  it("reaches each release merged with the operator's values file, whose own keys stay beside it", () => {
    const values = (name: string) =>
      release(plan, name).inputs.values as Record<string, Record<string, unknown>>;
    expect(values("traefik").priorityClassName).toBe("hetzner-k8s-platform");
    expect(values("cert-manager").global).toEqual({ priorityClassName: "hetzner-k8s-platform" });
    expect(values("kube-prometheus-stack").prometheus.prometheusSpec).toMatchObject({
      priorityClassName: "hetzner-k8s-platform",
      // The operator's own prometheusSpec values stay beside it.
      resources: { requests: { cpu: "200m", memory: "1Gi" } },
    });
    expect(values("hcloud-csi")).toMatchObject({
      controller: { priorityClassName: "system-cluster-critical", replicaCount: 1 },
      node: { priorityClassName: "system-node-critical" },
    });
  });
});

/** A value as registered, with the SDK's secret and output wrappers removed, and whether one was secret. */
function reveal(raw: unknown): { value: unknown; secret: boolean } {
  if (Array.isArray(raw)) {
    const items = raw.map(reveal);
    return { value: items.map((item) => item.value), secret: items.some((item) => item.secret) };
  }
  if (typeof raw !== "object" || raw === null) return { value: raw, secret: false };
  const marked = raw as Record<string, unknown>;
  const sig = marked[pulumi.runtime.specialSigKey];
  if (sig === pulumi.runtime.specialSecretSig) return { value: reveal(marked.value).value, secret: true };
  if (sig === pulumi.runtime.specialOutputValueSig) {
    const inner = reveal(marked.value);
    return { value: inner.value, secret: marked.secret === true || inner.secret };
  }
  const entries = Object.entries(marked).map(([key, item]) => [key, reveal(item)] as const);
  return {
    value: Object.fromEntries(entries.map(([key, item]) => [key, item.value])),
    secret: entries.some(([, item]) => item.secret),
  };
}

const PROGRAM_TOKEN = "(the program's hcloud:token)";

/** The stack config with clusterHcloudToken set as `pulumi config set --secret` would (or not at all). */
function configWithClusterToken(token?: string): StackConfig {
  const raw = shippedRawConfig("dev");
  if (token !== undefined) raw["hetzner-k8s:clusterHcloudToken"] = token;
  return parseStackConfig(raw, new Set(["clusterHcloudToken"]));
}

/**
 * Every registration of the whole program, as in a preview where only the network exists already (so the
 * kube-system/hcloud Secret, which names it, is known and can be read).
 */
async function registrations(config: StackConfig): Promise<ResourceRecord[]> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: args.type === TYPES.network ? "4711" : undefined, state: {} }),
      call: (args) => args.inputs,
    },
    PROJECT,
    "dev",
    true,
  );
  const records = startRecording();
  const outputs = defineCluster(stackFromConfig(config), { hcloudToken: pulumi.secret(PROGRAM_TOKEN) }, {});
  for (const value of Object.values(outputs)) if (value !== undefined) await resolveOutput(value);
  await pulumi.runtime.disconnect();
  return records;
}

function hcloudSecret(records: ResourceRecord[]): { value: unknown; secret: boolean } {
  const found = records.find(
    (record) => record.type === "kubernetes:core/v1:Secret" && record.name === "kube-system/hcloud",
  );
  if (!found) throw new Error("no kube-system/hcloud Secret");
  return reveal(found.rawInputs.stringData);
}

describe("the platform's network policies in the program", () => {
  const NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy";
  const NAMESPACE = "kubernetes:core/v1:Namespace";
  const NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch";
  /** The namespaces the platform creates, and Rancher's, which it applies as patches. */
  const platformNamespaces = () => {
    const [platform] = resourcesOfType(plan, "hetzner-k8s:platform:Platform");
    return [...resourcesOfType(plan, NAMESPACE), ...resourcesOfType(plan, NAMESPACE_PATCH)].filter(
      (entry) => entry.parent === platform.urn,
    );
  };
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });
  const platformPolicies = () => {
    const [platform] = resourcesOfType(plan, "hetzner-k8s:platform:Platform");
    return resourcesOfType(plan, NETWORK_POLICY).filter((entry) => entry.parent === platform.urn);
  };

  it("are created by the platform as typed NetworkPolicies, a default deny in each namespace it creates", () => {
    const policies = platformPolicies();
    expect(policies.map((entry) => entry.name)).toEqual(
      expect.arrayContaining([
        "traefik/default-deny-ingress",
        "traefik/allow-web-from-anywhere",
        "cert-manager/default-deny-ingress",
        "cert-manager/allow-webhook-from-api-server",
        "cattle-system/default-deny-ingress",
        "monitoring/default-deny-ingress",
        "monitoring/allow-within-monitoring",
        "local-path-storage/default-deny-ingress",
      ]),
    );
    // Exactly the model's: the platform's network-policy step and local-path's own (with its namespace).
    const config = shippedConfig("dev");
    const model = buildPlatformModel(config, buildClusterModel(config), MODEL_DYNAMIC, MODEL_FILES);
    const modelled = model.steps
      .flatMap((step) => step.manifests)
      .filter((entry) => entry.kind === "NetworkPolicy");
    expect(modelled.length).toBeGreaterThanOrEqual(20);
    expect(policies).toHaveLength(modelled.length);
    const namespaces = platformNamespaces();
    expect(namespaces.map((entry) => `${entry.name}/default-deny-ingress`).sort()).toEqual(
      policies
        .filter((entry) => entry.name.endsWith("/default-deny-ingress"))
        .map((entry) => entry.name)
        .sort(),
    );
  });

  it("each wait for their namespace, and every release in an isolated namespace waits for them", () => {
    const namespaces = new Map(platformNamespaces().map((entry) => [entry.name, entry.urn]));
    const policies = platformPolicies();
    for (const policy of policies) {
      const namespace = policy.name.split("/")[0];
      expect([policy.name, policy.dependencies]).toEqual([
        policy.name,
        expect.arrayContaining([namespaces.get(namespace)]),
      ]);
    }
    const released = policies.filter((entry) => !entry.name.startsWith("local-path-storage/"));
    for (const name of ["traefik", "cert-manager", "rancher", "kube-prometheus-stack"]) {
      const entry = release(plan, name);
      const namespace = entry.inputs.namespace as string;
      const own = released.filter((policy) => policy.name.startsWith(`${namespace}/`));
      expect(own.length).toBeGreaterThan(0);
      expect([name, entry.dependencies]).toEqual([
        name,
        expect.arrayContaining(own.map((policy) => policy.urn)),
      ]);
    }
    // The cloud controller (kube-system, left to k3s) does not wait for them.
    const ccm = release(plan, "hcloud-cloud-controller-manager");
    expect(ccm.dependencies.filter((urn) => released.some((policy) => policy.urn === urn))).toEqual([]);
  });

  it("apply Rancher's own namespaces as patches, which create them when missing and never delete them", () => {
    const patches = resourcesOfType(plan, NAMESPACE_PATCH);
    expect(patches.map((entry) => entry.name)).toEqual(["cattle-fleet-system", "cattle-turtles-system"]);
    for (const patch of patches) {
      expect(patch.inputs.metadata).toEqual({
        name: patch.name,
        labels: { "app.kubernetes.io/managed-by": "hetzner-k8s" },
      });
      expect(patch.options.retainOnDelete).toBe(false);
    }
    // Rancher creates its namespaces only when they are missing, after its policies exist.
    const rancher = release(plan, "rancher");
    for (const name of [
      "cattle-fleet-system/default-deny-ingress",
      "cattle-turtles-system/default-deny-ingress",
    ])
      expect(rancher.dependencies).toContain(resourceNamed(plan, NETWORK_POLICY, name).urn);
  });

  it("admit the API server to the webhooks from the stack's own node and pod ranges", () => {
    const config = shippedConfig("dev");
    const policy = resourceNamed(plan, NETWORK_POLICY, "cert-manager/allow-webhook-from-api-server");
    expect((policy.inputs.spec as { ingress: { from: unknown[] }[] }).ingress[0].from).toEqual([
      { ipBlock: { cidr: config.networkCidr } },
      { ipBlock: { cidr: config.podCidr } },
    ]);
  });
});

describe("the Hetzner token of the cloud controller and CSI driver", () => {
  it("is the program's own token while the stack sets no clusterHcloudToken", async () => {
    expect(configWithClusterToken().clusterHcloudToken).toBe("");
    expect(hcloudSecret(await registrations(configWithClusterToken()))).toEqual({
      value: { token: PROGRAM_TOKEN, network: "4711" },
      secret: true,
    });
  });

  it("is clusterHcloudToken when set, a secret, and the program's token reaches nothing in the cluster", async () => {
    const records = await registrations(configWithClusterToken("cluster-scoped-token"));
    expect(hcloudSecret(records)).toEqual({
      value: { token: "cluster-scoped-token", network: "4711" },
      secret: true,
    });
    const holding = records.filter((record) =>
      JSON.stringify(reveal(record.rawInputs).value).includes(PROGRAM_TOKEN),
    );
    expect(holding.map((record) => `${record.type} ${record.name}`)).toEqual([]);
  });

  it("never shows in the offline plan", async () => {
    const plan = await evaluatePlan("dev", stackFromConfig(configWithClusterToken("cluster-scoped-token")));
    expect(resourceNamed(plan, "kubernetes:core/v1:Secret", "kube-system/hcloud").secretInputs).toEqual([
      "stringData",
    ]);
    expect(JSON.stringify(plan)).not.toContain("cluster-scoped-token");
  });
});

/** The program's Kubernetes layers alone, as the real test tier runs them, evaluated under the plan's mocks. */
function kubernetesLayers(options: {
  ownProvider?: boolean;
  builtInKindsOnly?: boolean;
}): Promise<Evaluation> {
  const config = shippedConfig("dev");
  return evaluateProgram("dev", (opts) => {
    const provider = options.ownProvider
      ? new k8s.Provider("given", { kubeconfig: pulumi.secret("apiVersion: v1") })
      : undefined;
    const { tenants } = defineKubernetesLayers(
      config,
      buildClusterModel(config),
      {
        kubeconfig: pulumi.secret("apiVersion: v1"),
        apiServerUrl: "https://203.0.113.9:6443",
        hcloudToken: pulumi.secret("token"),
        networkId: "4711",
        ingressIpv4: "203.0.113.80",
        nodePublicIpv4: [],
        registered: new Map(),
        provider,
        builtInKindsOnly: options.builtInKindsOnly,
      },
      opts,
    );
    return { tenantKubeconfigs: tenants.kubeconfigs };
  });
}

/** Kinds that come from charts: releases and the custom resources their definitions bring. */
const FROM_CHARTS = [
  RELEASE,
  "kubernetes:cert-manager.io/v1:Certificate",
  "kubernetes:cert-manager.io/v1:ClusterIssuer",
  "kubernetes:monitoring.coreos.com/v1:PrometheusRule",
];

const ofType = (evaluation: Evaluation, type: string) =>
  evaluation.resources.filter((resource) => resource.type === type);

const kubernetesObjects = (resources: PlannedResource[]) =>
  resources
    .filter((resource) => resource.type.startsWith("kubernetes:"))
    .map((resource) => `${resource.type} ${resource.name}`)
    .sort();

describe("the Kubernetes layers on their own (defineKubernetesLayers)", () => {
  let full: Plan;
  beforeAll(async () => {
    full = await planStack("dev");
  });

  it("declare the same platform, node metadata and tenants as the whole program", async () => {
    const alone = await kubernetesLayers({});
    expect(
      alone.resources
        .filter((resource) => resource.type.startsWith("hetzner-k8s:"))
        .map((resource) => resource.urn),
    ).toEqual([
      "urn:pulumi:dev::hetzner-k8s::hetzner-k8s:k3s:NodeMetadata::node-metadata",
      "urn:pulumi:dev::hetzner-k8s::hetzner-k8s:platform:Platform::platform",
      "urn:pulumi:dev::hetzner-k8s::hetzner-k8s:tenants:Tenants::tenants",
      "urn:pulumi:dev::hetzner-k8s::hetzner-k8s:tenants:Tenants$hetzner-k8s:tenants:Tenant::team-a",
      "urn:pulumi:dev::hetzner-k8s::hetzner-k8s:tenants:Tenants$hetzner-k8s:tenants:Tenant::team-b",
    ]);
    expect(kubernetesObjects(alone.resources)).toEqual(kubernetesObjects(full.resources));
    expect(ofType(alone, "pulumi:providers:kubernetes").map((entry) => entry.urn)).toEqual([
      "urn:pulumi:dev::hetzner-k8s::hetzner-k8s:platform:Platform$pulumi:providers:kubernetes::cluster",
    ]);
  });

  it("install through a provider they are given instead of building one", async () => {
    const alone = await kubernetesLayers({ ownProvider: true });
    const providers = ofType(alone, "pulumi:providers:kubernetes");
    expect(providers.map((entry) => entry.urn)).toEqual([
      "urn:pulumi:dev::hetzner-k8s::pulumi:providers:kubernetes::given",
    ]);
    const objects = alone.resources.filter((resource) => resource.type.startsWith("kubernetes:"));
    expect(objects.length).toBeGreaterThan(20);
    for (const resource of objects)
      expect([resource.name, resource.options.provider]).toEqual([resource.name, providers[0].urn]);
  });

  it("create only objects of built-in kinds when asked: no release, no custom resource, no release password", async () => {
    const alone = await kubernetesLayers({ ownProvider: true, builtInKindsOnly: true });
    expect(kubernetesObjects(alone.resources)).toEqual(
      kubernetesObjects(full.resources.filter((resource) => !FROM_CHARTS.includes(resource.type))),
    );
    expect(ofType(alone, "random:index/randomPassword:RandomPassword")).toEqual([]);
    for (const type of FROM_CHARTS) expect(ofType(alone, type)).toEqual([]);
  });
});
