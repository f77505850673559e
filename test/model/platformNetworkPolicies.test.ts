import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { StackConfig } from "../../src/config/schema";
import { SCRIPTS_DIR } from "../../src/remote/remoteScript";
import { buildClusterModel } from "../../src/model/cluster";
import type { Manifest } from "../../src/model/platform/common";
import { ACME_SOLVER_LABEL, RANCHER_NAMESPACES } from "../../src/model/platform/networkPolicies";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";
import { CHARTS } from "../../src/versions";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";
import { loadFixtures } from "../platform/chartValues";

/**
 * The platform's NetworkPolicy allowances held to the pods the pinned charts run: the selectors, the
 * container ports (a policy's port must be the pod's, by name or number, never a Service's), and what
 * Rancher needs that no chart value shows (its imperative API, Let's Encrypt's challenges, its own
 * namespaces).
 */

const FILES = { rules: "groups: []\n", dashboards: {} };
const DYNAMIC = {
  hostname: (prefix: string) => `${prefix}.203.0.113.9.sslip.io`,
  secret: (name: string) => `<${name}>`,
  hcloudToken: "<token>",
  networkId: "<network>",
  autoscalerClusterConfig: { value: "<cluster-autoscaler config>", digest: "<digest>" },
};

function platform(edit?: (config: StackConfig) => void): PlatformModel<string> {
  const config = structuredClone(shippedConfig("dev"));
  edit?.(config);
  return buildPlatformModel(config, buildClusterModel(config), DYNAMIC, FILES);
}

const letsEncrypt = (config: StackConfig) => {
  config.ingressDomain = "example.com";
  config.letsEncryptEmail = "ops@example.com";
};

type Port = { port: number | string; protocol: string };
type Rule = { from?: Record<string, unknown>[]; ports?: Port[] };
type Spec = { podSelector: { matchLabels?: Record<string, string> }; ingress?: Rule[] };

const policies = (model: PlatformModel<string>) =>
  model.steps.flatMap((step) => step.manifests).filter((manifest) => manifest.kind === "NetworkPolicy");
const where = (manifest: Manifest) => `${manifest.metadata.namespace}/${manifest.metadata.name}`;
const named = (model: PlatformModel<string>, name: string) => {
  const found = policies(model).filter((manifest) => where(manifest) === name);
  expect(found.map(where)).toEqual([name]);
  return found[0].spec as Spec;
};
const byName = (name: string) => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});
/** The API server on the control-plane nodes' host network: node addresses and flannel's (pod range). */
const API_SERVER = [{ ipBlock: { cidr: "10.0.0.0/16" } }, { ipBlock: { cidr: "10.42.0.0/16" } }];

interface FixturePod {
  pod: string;
  source: string;
  labels: Record<string, string>;
  ports: { name?: string; port: number; protocol: string }[];
}
interface PodsFixture {
  sources: Record<string, { version: string; tag: string; commit: string; files: string[] }>;
  namespaces: Record<string, FixturePod[]>;
}
const FIXTURE = JSON.parse(
  readFileSync(path.resolve(__dirname, "../fixtures/platform-pods.json"), "utf8"),
) as PodsFixture;

describe("Rancher's imperative API", () => {
  it("admits the API server to the Rancher pods on 6666, which Rancher 2.14 exits without", () => {
    expect(named(platform(), "cattle-system/allow-imperative-api-from-api-server")).toEqual({
      podSelector: { matchLabels: { app: "rancher" } },
      policyTypes: ["Ingress"],
      ingress: [{ from: API_SERVER, ports: [{ port: 6666, protocol: "TCP" }] }],
    });
  });
});

describe("Let's Encrypt's HTTP-01 challenges in the platform's namespaces", () => {
  const solvers = (model: PlatformModel<string>) =>
    policies(model)
      .filter((manifest) => manifest.metadata.name === "allow-acme-solver-from-traefik")
      .map(where);

  it("admit Traefik to cert-manager's solver pods where the platform's certificates come from Let's Encrypt", () => {
    const model = platform(letsEncrypt);
    expect(solvers(model)).toEqual([
      "cattle-system/allow-acme-solver-from-traefik",
      "monitoring/allow-acme-solver-from-traefik",
    ]);
    for (const name of solvers(model))
      expect(named(model, name)).toEqual({
        podSelector: { matchLabels: { [ACME_SOLVER_LABEL]: "true" } },
        policyTypes: ["Ingress"],
        ingress: [{ from: [byName("traefik")], ports: [{ port: "http", protocol: "TCP" }] }],
      });
  });

  it("admit nothing of the kind with the cluster's own CA, or without an ingress to answer through", () => {
    expect(solvers(platform())).toEqual([]);
    expect(
      solvers(
        platform((config) => {
          letsEncrypt(config);
          config.ingressEnabled = false;
        }),
      ),
    ).toEqual([]);
  });
});

describe("Rancher's own namespaces", () => {
  const exempt = (
    parse(readFileSync(path.join(SCRIPTS_DIR, "k3s-pod-security.yaml"), "utf8")) as {
      plugins: { configuration: { exemptions: { namespaces: string[] } } }[];
    }
  ).plugins[0].configuration.exemptions.namespaces;

  it("are applied with the program's label only, and no Pod Security level, which their exemption overrides", () => {
    const model = platform();
    expect(model.sharedNamespaces.map((manifest) => manifest.metadata.name)).toEqual([
      "cattle-fleet-system",
      "cattle-turtles-system",
    ]);
    for (const manifest of model.sharedNamespaces) {
      expect(manifest).toEqual({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: manifest.metadata.name, labels: { "app.kubernetes.io/managed-by": "hetzner-k8s" } },
      });
      expect(exempt).toContain(manifest.metadata.name);
      expect(model.namespaces.map((entry) => entry.metadata.name)).not.toContain(manifest.metadata.name);
    }
    const withoutRancher = platform((config) => {
      config.rancherEnabled = false;
    });
    expect(withoutRancher.sharedNamespaces).toEqual([]);
  });

  it("deny ingress but Prometheus to Fleet's metrics; Turtles gets nothing", () => {
    const model = platform();
    expect(
      policies(model)
        .filter((manifest) => RANCHER_NAMESPACES.some((name) => name === manifest.metadata.namespace))
        .map(where),
    ).toEqual([
      "cattle-fleet-system/default-deny-ingress",
      "cattle-fleet-system/allow-metrics-from-monitoring",
      "cattle-turtles-system/default-deny-ingress",
    ]);
    expect(named(model, "cattle-fleet-system/allow-metrics-from-monitoring")).toEqual({
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [byName("monitoring")], ports: [{ port: "metrics", protocol: "TCP" }] }],
    });
    for (const manifest of policies(model)) expect(() => validateAgainstSchema(manifest)).not.toThrow();
  });

  it("leave alone those a policy of ours cannot hold or must not create (see RANCHER_NAMESPACES)", () => {
    const touched = new Set([
      ...platform().sharedNamespaces.map((manifest) => manifest.metadata.name),
      ...policies(platform()).map((manifest) => manifest.metadata.namespace),
    ]);
    for (const name of ["cattle-fleet-local-system", "cattle-capi-system", "cattle-provisioning-capi-system"])
      expect([name, touched.has(name)]).toEqual([name, false]);
  });
});

describe("every allowance against the pinned charts' pods (test/fixtures/platform-pods.json)", () => {
  it("was read at the versions the program pins", () => {
    const versions = Object.fromEntries(
      Object.entries(FIXTURE.sources).map(([name, source]) => [name, source.version]),
    );
    expect(versions).toMatchObject({
      traefik: CHARTS.traefik.version,
      "cert-manager": CHARTS.certManager.version,
      rancher: CHARTS.rancher.version,
      "kube-prometheus-stack": CHARTS.kubePrometheusStack.version,
      kured: CHARTS.kured.version,
    });
    const grafana = loadFixtures()
      .get("kube-prometheus-stack")
      ?.source.subcharts?.find((subchart) => subchart.chart === "grafana");
    expect(FIXTURE.sources.grafana).toMatchObject({ version: grafana?.version, commit: grafana?.commit });
    for (const pods of Object.values(FIXTURE.namespaces))
      for (const pod of pods) expect([pod.pod, pod.source in FIXTURE.sources]).toEqual([pod.pod, true]);
  });

  it.each([
    ["the dev stack", () => undefined],
    ["Let's Encrypt", letsEncrypt],
  ])("select pods of their namespace and name those pods' container ports (%s)", (_, edit) => {
    for (const manifest of policies(platform(edit))) {
      const spec = manifest.spec as Spec;
      if (!spec.ingress) continue;
      const namespace = manifest.metadata.namespace ?? "";
      const wanted = Object.entries(spec.podSelector.matchLabels ?? {});
      const selected = (FIXTURE.namespaces[namespace] ?? []).filter((pod) =>
        wanted.every(([key, value]) => pod.labels[key] === value),
      );
      expect([where(manifest), selected.length > 0]).toEqual([where(manifest), true]);
      for (const { port, protocol } of spec.ingress.flatMap((rule) => rule.ports ?? [])) {
        const served = selected.some((pod) =>
          pod.ports.some(
            (entry) =>
              (typeof port === "number" ? entry.port === port : entry.name === port) &&
              entry.protocol === protocol,
          ),
        );
        expect([where(manifest), port, served]).toEqual([where(manifest), port, true]);
      }
    }
  });

  it("would catch a Service's port in place of the pod's", () => {
    // Rancher's Service listens on 80 and 443 and targets the pods' 80 and 443; Grafana's Service listens
    // on 80 (http-web) and targets the pod's "grafana" (3000); rancher-webhook's on 443 for the pod's 9443.
    const grafana = FIXTURE.namespaces.monitoring.find((pod) => pod.pod === "grafana");
    expect(grafana?.ports.some((entry) => entry.port === 80 || entry.name === "http-web")).toBe(false);
    const webhook = FIXTURE.namespaces["cattle-system"].find((pod) => pod.pod === "rancher-webhook");
    expect(webhook?.ports.map((entry) => entry.port)).toEqual([9443]);
  });
});
