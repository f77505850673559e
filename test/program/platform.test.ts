import type { Plan, PlannedResource } from "../../src/plan/evaluate";
import { planStack, resourceNamed, resourcesOfType } from "../helpers/plan";

const RELEASE = "kubernetes:helm.sh/v3:Release";

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
      redirections: { entryPoint: { to: "websecure" } },
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
