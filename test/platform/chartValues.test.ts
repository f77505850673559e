import { parseStackConfig } from "../../src/config/load";
import type { StackConfig } from "../../src/config/schema";
import { evaluatePlan, type PlannedResource } from "../../src/plan/evaluate";
import { CHARTS } from "../../src/versions";
import { asStackFile, resourcesOfType, shippedConfig } from "../helpers/plan";
import { checkValues, loadFixtures, type ChartValuesFixture } from "./chartValues";
import { BACKUP_SECRET_KEYS, enableBackups } from "../helpers/backups";
import { stackFromConfig } from "../../src/stack";

/**
 * The values every Helm release gets (the operator's charts/<release>/values.yaml merged with what the
 * program computes), taken from the Release inputs of the real program's plan, against what the pinned
 * chart accepts (test/fixtures/chart-values). The shipped stacks alone leave some computed values out
 * (Let's Encrypt, the webhook receiver, no ingress), so edited variants cover those too.
 */

const RELEASE = "kubernetes:helm.sh/v3:Release";

const VARIANTS: [string, "dev" | "prod", ((config: StackConfig) => void) | undefined][] = [
  ["dev", "dev", undefined],
  ["prod", "prod", undefined],
  [
    "prod with Let's Encrypt, an Alertmanager webhook and local NVMe storage",
    "prod",
    (config) => {
      config.ingressDomain = "k8s.example.com";
      config.letsEncryptEmail = "ops@example.com";
      config.alertmanagerWebhookUrl = "https://hooks.example.com/alerts";
      config.defaultStorageClass = "local-nvme";
    },
  ],
  [
    "dev without ingress (so without Rancher)",
    "dev",
    (config) => {
      config.ingressEnabled = false;
      config.rancherEnabled = false;
    },
  ],
  ["prod with application backups", "prod", enableBackups],
];

const fixtures = loadFixtures();

/**
 * A shipped stack's config, edited and validated again as the program would; the webhook URL counts as
 * set with `pulumi config set --secret`, since the program refuses it in plain text.
 */
function variantConfig(stack: "dev" | "prod", edit?: (config: StackConfig) => void): StackConfig {
  const config = structuredClone(shippedConfig(stack));
  edit?.(config);
  return parseStackConfig(asStackFile(config), new Set(["alertmanagerWebhookUrl", ...BACKUP_SECRET_KEYS]));
}

function fixtureFor(release: PlannedResource): ChartValuesFixture {
  const chart = release.inputs.chart;
  const found = typeof chart === "string" ? fixtures.get(chart) : undefined;
  if (!found) throw new Error(`no fixture in test/fixtures/chart-values for chart ${String(chart)}`);
  return found;
}

function valuesOf(release: PlannedResource): Record<string, unknown> {
  const values = release.inputs.values;
  if (typeof values !== "object" || values === null || Array.isArray(values))
    throw new Error(`release ${release.name} has no values map`);
  return values as Record<string, unknown>;
}

describe("Helm values against the pinned charts", () => {
  let releases: Map<string, PlannedResource[]>;

  beforeAll(async () => {
    releases = new Map();
    for (const [name, stack, edit] of VARIANTS)
      releases.set(
        name,
        resourcesOfType(await evaluatePlan(stack, stackFromConfig(variantConfig(stack, edit))), RELEASE),
      );
  });

  it("has a fixture for every pinned chart, read at the pinned version", () => {
    expect([...fixtures.keys()].sort()).toEqual(
      Object.values(CHARTS)
        .map((pin) => pin.chart)
        .sort(),
    );
    for (const pin of Object.values(CHARTS)) {
      const fixture = fixtures.get(pin.chart);
      // A new pin means reading the new chart again, not carrying the old answers over.
      expect({ chart: pin.chart, version: fixture?.version }).toEqual({
        chart: pin.chart,
        version: pin.version,
      });
    }
  });

  it.each(VARIANTS.map(([name]) => name))("every value of the %s releases is one its chart takes", (name) => {
    const planned = releases.get(name) ?? [];
    expect(planned.length).toBeGreaterThan(0);
    for (const release of planned) {
      const fixture = fixtureFor(release);
      expect(release.inputs.version).toBe(fixture.version);
      const { problems } = checkValues(valuesOf(release), fixture);
      expect({ release: release.name, problems }).toEqual({ release: release.name, problems: [] });
    }
  });

  it("lists no path in a fixture that no release sets", () => {
    const used = new Map<string, Set<string>>();
    for (const planned of releases.values()) {
      for (const release of planned) {
        const fixture = fixtureFor(release);
        const seen = used.get(fixture.chart) ?? new Set<string>();
        for (const pattern of checkValues(valuesOf(release), fixture).used) seen.add(pattern);
        used.set(fixture.chart, seen);
      }
    }
    for (const fixture of fixtures.values()) {
      const unused = Object.keys(fixture.paths).filter((pattern) => !used.get(fixture.chart)?.has(pattern));
      expect({ chart: fixture.chart, unused }).toEqual({ chart: fixture.chart, unused: [] });
    }
  });
});

describe("the chart values check", () => {
  const traefik = fixtures.get("traefik");
  const rancher = fixtures.get("rancher");
  const csi = fixtures.get("hcloud-csi");
  if (!traefik || !rancher || !csi) throw new Error("fixtures missing");

  it("rejects a key a closed chart schema does not have, such as the pre-v39 Traefik redirection", () => {
    const { problems } = checkValues(
      { ports: { web: { redirections: { entryPoint: { to: "websecure" } } } } },
      traefik,
    );
    expect(problems).toEqual([
      expect.stringMatching(/^ports\.web\.redirections: .*rejects unknown keys under ports\.web/),
    ]);
  });

  it("rejects a key of a chart without a schema, which Helm would take without a word", () => {
    const { problems } = checkValues({ ingress: { tls: { sorce: "rancher" } } }, rancher);
    expect(problems).toEqual([
      expect.stringMatching(/^ingress\.tls\.sorce: .*even where the chart ignores it/),
    ]);
  });

  it("rejects a wrong type, a value outside the allowed ones and a map where a list belongs", () => {
    expect(checkValues({ replicas: "3" }, rancher).problems).toEqual([
      expect.stringMatching(/^replicas: .*takes integer here, not string/),
    ]);
    expect(checkValues({ deployment: { kind: "Daemonset" } }, traefik).problems).toEqual([
      expect.stringMatching(/^deployment\.kind: "Daemonset" is not one of/),
    ]);
    expect(checkValues({ storageClasses: { name: "hcloud-volumes" } }, csi).problems).toEqual([
      expect.stringMatching(/^storageClasses: .*takes a list here, not object/),
    ]);
    expect(
      checkValues({ storageClasses: [{ name: "hcloud-volumes", reclaimPolicy: "Keep" }] }, csi).problems,
    ).toEqual([expect.stringMatching(/^storageClasses\[0\]\.reclaimPolicy: "Keep" is not one of/)]);
  });

  it("accepts the current Traefik redirection", () => {
    const redirect = { entryPoint: { to: "websecure", scheme: "https", permanent: true } };
    expect(checkValues({ ports: { web: { http: { redirections: redirect } } } }, traefik).problems).toEqual(
      [],
    );
  });
});
