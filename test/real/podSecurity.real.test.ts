import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { SCRIPTS_DIR } from "../../src/remote/remoteScript";
import { buildClusterModel } from "../../src/model/cluster";
import type { Manifest } from "../../src/model/platform/common";
import { MONITORING_NAMESPACE } from "../../src/model/platform/monitoring";
import { buildTenant } from "../../src/model/tenants";
import { shippedConfig } from "../helpers/plan";
import { Kubectl, type KubectlResult } from "./harness/kubectl";
import { modelManifests } from "./harness/live";
import { pod, waitFor } from "./harness/workloads";

/**
 * The API server's Pod Security admission configuration (scripts/k3s-pod-security.yaml, which the tier's
 * API server runs with, as the program's servers do), through the real API: a namespace without labels
 * enforces restricted, the exempt system namespaces admit what their components need, and a namespace
 * labelled by the program keeps its own level. Its namespaces are its own (psa-*), made from the model's
 * manifests under other names, so no other file's stack sees them.
 */

const admin = Kubectl.admin();
const config = shippedConfig("dev");

const exempt = (
  parse(readFileSync(path.join(SCRIPTS_DIR, "k3s-pod-security.yaml"), "utf8")) as {
    plugins: { configuration: { exemptions: { namespaces: string[] } } }[];
  }
).plugins[0].configuration.exemptions.namespaces;

/** Namespace manifests of a dev tenant, as the program labels them, for a tenant of this file's own. */
function tenantNamespace(index: number, name: string): Manifest {
  const tenant = { ...structuredClone(config.tenants[index]), name, namespaces: [name], users: [] };
  return buildTenant(tenant).namespaceManifests[0];
}

/** The platform's monitoring namespace (node-exporter needs the host), under another name. */
function monitoringLabelled(name: string): Manifest {
  const monitoring = modelManifests(buildClusterModel(config), config).find(
    (manifest) => manifest.kind === "Namespace" && manifest.metadata.name === MONITORING_NAMESPACE,
  );
  if (!monitoring) throw new Error("the dev stack's platform has no monitoring namespace");
  return { ...monitoring, metadata: { ...monitoring.metadata, name } };
}

const UNLABELLED = "psa-unlabelled";
const RESTRICTED_TENANT = tenantNamespace(0, "psa-restricted");
const BASELINE_TENANT = tenantNamespace(1, "psa-baseline");
const HOST_ACCESS = monitoringLabelled("psa-host-access");
/** Namespaces this file creates and deletes again: its own, and the exempt ones not there yet. */
const own = new Set([UNLABELLED, ...[RESTRICTED_TENANT, BASELINE_TENANT, HOST_ACCESS].map(nameOf)]);
/** Pods admitted in namespaces that stay (default, kube-system), deleted at the end. */
const podsElsewhere: [string, string][] = [];

function nameOf(manifest: Manifest): string {
  return manifest.metadata.name;
}

function createPod(name: string, namespace: string, security: Parameters<typeof pod>[3] = {}): KubectlResult {
  const result = admin.create(pod(name, namespace, undefined, security));
  if (result.status === 0 && !own.has(namespace)) podsElsewhere.push([namespace, name]);
  return result;
}

async function namespaceReady(namespace: string): Promise<void> {
  // The ServiceAccount admission plugin refuses pods until the token controller made the default account.
  await waitFor(
    `the default ServiceAccount of ${namespace}`,
    () => admin.run(["-n", namespace, "get", "serviceaccount", "default"]).status === 0,
  );
}

const refusal = (level: string) => new RegExp(`forbidden: violates PodSecurity "${level}:latest"`);
const warning = /Warning: would violate PodSecurity "restricted:latest"/;

beforeAll(async () => {
  admin.ok(["create", "namespace", UNLABELLED]);
  for (const manifest of [RESTRICTED_TENANT, BASELINE_TENANT, HOST_ACCESS])
    admin.ok(["create", "-f", "-"], JSON.stringify(manifest));
  for (const namespace of exempt) {
    if (admin.run(["get", "namespace", namespace]).status === 0) continue;
    // A label that the exemption must override.
    admin.ok(
      ["create", "-f", "-"],
      JSON.stringify({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: namespace, labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
      }),
    );
    own.add(namespace);
  }
  for (const namespace of new Set([...own, "default", ...exempt])) await namespaceReady(namespace);
});

afterAll(() => {
  for (const [namespace, name] of podsElsewhere)
    admin.run(["-n", namespace, "delete", "pod", name, "--ignore-not-found", "--wait=false"]);
  for (const namespace of own)
    admin.run(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
});

describe("a namespace without Pod Security labels", () => {
  it.each([UNLABELLED, "default"])("refuses a privileged pod (%s)", (namespace) => {
    const result = createPod("privileged", namespace, { privileged: true });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(refusal("restricted"));
    expect(result.stderr).toMatch(
      /privileged \(container "app" must not set securityContext\.privileged=true\)/,
    );
  });

  it.each([UNLABELLED, "default"])(
    "refuses a pod that baseline admits but restricted does not (%s)",
    (namespace) => {
      const result = createPod("as-root", namespace, { runAsNonRoot: false });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(refusal("restricted"));
      expect(result.stderr).toMatch(/runAsNonRoot != true/);
    },
  );

  it.each([UNLABELLED, "default"])(
    "admits a pod that meets restricted, without a warning (%s)",
    (namespace) => {
      const result = createPod("restricted", namespace);
      expect(result).toMatchObject({ status: 0 });
      expect(result.stderr).not.toMatch(warning);
    },
  );

  it("warns when a workload's pods would break restricted (enforcement then refuses the pods themselves)", () => {
    const template = pod("web", UNLABELLED, undefined, { runAsNonRoot: false }) as { spec: object };
    const deployment = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      metadata: { name: "web", namespace: UNLABELLED },
      spec: {
        replicas: 1,
        selector: { matchLabels: { app: "web" } },
        template: { metadata: { labels: { app: "web" } }, spec: template.spec },
      },
    };
    const result = admin.create(deployment);
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(warning);
  });
});

describe("the exempt namespaces", () => {
  it("are kube-system and Rancher's own, none of which the program creates", () => {
    const created = modelManifests(buildClusterModel(config), config)
      .filter((manifest) => manifest.kind === "Namespace")
      .map(nameOf);
    expect(exempt).toContain("kube-system");
    for (const namespace of exempt)
      expect([namespace, created.includes(namespace)]).toEqual([namespace, false]);
  });

  it("admit a privileged pod without a warning, whatever their labels say", () => {
    for (const namespace of exempt) {
      const result = createPod("privileged", namespace, { privileged: true });
      expect([namespace, result.status, result.stderr]).toEqual([
        namespace,
        0,
        expect.not.stringMatching(warning),
      ]);
    }
  });
});

describe("a namespace labelled by the program keeps its own level", () => {
  it("a restricted tenant's refuses a pod running as root and admits one that meets restricted", () => {
    const namespace = nameOf(RESTRICTED_TENANT);
    expect(RESTRICTED_TENANT.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
    expect(createPod("as-root", namespace, { runAsNonRoot: false }).stderr).toMatch(refusal("restricted"));
    expect(createPod("restricted", namespace)).toMatchObject({ status: 0 });
  });

  it("a baseline tenant's admits a pod running as root, which the default would refuse, and refuses a privileged one", () => {
    const namespace = nameOf(BASELINE_TENANT);
    expect(BASELINE_TENANT.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("baseline");
    const root = createPod("as-root", namespace, { runAsNonRoot: false });
    expect(root.status).toBe(0);
    // Its warn label is restricted, as the program sets it.
    expect(root.stderr).toMatch(warning);
    const privileged = createPod("privileged", namespace, { privileged: true });
    expect(privileged.status).not.toBe(0);
    expect(privileged.stderr).toMatch(refusal("baseline"));
  });

  it("the monitoring namespace's labels admit a privileged pod, with the program's restricted warning", () => {
    expect(HOST_ACCESS.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("privileged");
    const result = createPod("privileged", nameOf(HOST_ACCESS), { privileged: true });
    expect(result.status).toBe(0);
    expect(result.stderr).toMatch(warning);
  });
});
