import { readFileSync } from "node:fs";
import * as path from "node:path";
import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import type { Manifest } from "../../src/model/platform/common";
import {
  VELERO_CREDENTIALS_KEY,
  VELERO_CREDENTIALS_SECRET,
  VELERO_NAMESPACE,
  veleroCredentialsFile,
} from "../../src/model/platform/backups";
import { VELERO_EGRESS_POLICY } from "../../src/model/platform/backupNetworkPolicies";
import { NON_INTERNET_RANGES } from "../../src/names";
import { buildPlatformModel, type PlatformModel } from "../../src/model/platform/platform";
import { PLATFORM_PRIORITY_CLASS } from "../../src/model/platform/priority";
import { CHARTS, IMAGES } from "../../src/versions";
import { enableBackups } from "../helpers/backups";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";

/** Application backups (Velero) in the platform model: the release, its Secret, location, schedules and isolation. */

const FILES = { rules: "groups: []\n", dashboards: {} };
const DYNAMIC = {
  hostname: (prefix: string) => `${prefix}.203.0.113.9.sslip.io`,
  secret: (name: string) => `<${name}>`,
  hcloudToken: "<token>",
  networkId: "<network>",
  autoscalerClusterConfig: { value: "<cluster-autoscaler config>", digest: "<digest>" },
  backupCredentials: "<backup credentials>",
};

function config(stack: "dev" | "prod", edit?: (config: StackConfig) => void): StackConfig {
  const result = structuredClone(shippedConfig(stack));
  enableBackups(result);
  edit?.(result);
  return result;
}

function platform(stack: "dev" | "prod", edit?: (config: StackConfig) => void): PlatformModel<string> {
  const stackConfig = config(stack, edit);
  return buildPlatformModel(stackConfig, buildClusterModel(stackConfig), DYNAMIC, FILES);
}

const velero = (model: PlatformModel<string>) => {
  const found = model.releases.find((release) => release.name === "velero");
  if (!found) throw new Error("no velero release");
  return found;
};
const step = (model: PlatformModel<string>, name: string) => {
  const found = model.steps.find((entry) => entry.name === name);
  if (!found) throw new Error(`no step ${name}`);
  return found;
};
const ofKind = (model: PlatformModel<string>, kind: string) =>
  model.steps.flatMap((entry) => entry.manifests).filter((manifest) => manifest.kind === kind);
const inVelero = (manifests: Manifest[]) =>
  manifests.filter((manifest) => manifest.metadata.namespace === VELERO_NAMESPACE);

describe("backups switched off (the default)", () => {
  it("install nothing of Velero", () => {
    const stackConfig = shippedConfig("dev");
    const model = buildPlatformModel(stackConfig, buildClusterModel(stackConfig), DYNAMIC, FILES);
    expect(model.releases.map((release) => release.name)).not.toContain("velero");
    expect(model.namespaces.map((namespace) => namespace.metadata.name)).not.toContain(VELERO_NAMESPACE);
    expect(
      model.steps
        .flatMap((entry) => entry.manifests)
        .filter((m) => m.metadata.namespace === VELERO_NAMESPACE),
    ).toEqual([]);
  });
});

describe("the Velero release", () => {
  it("is pinned, with the AWS plugin, the program's Secret, the node agent and file-system backup", () => {
    const release = velero(platform("dev"));
    expect(release.chart).toEqual(CHARTS.velero);
    expect(release.namespace).toBe(VELERO_NAMESPACE);
    expect(release.values).toMatchObject({
      initContainers: [
        {
          name: "velero-plugin-for-aws",
          image: IMAGES.veleroPluginForAws,
          volumeMounts: [{ mountPath: "/target", name: "plugins" }],
        },
      ],
      credentials: { useSecret: true, existingSecret: VELERO_CREDENTIALS_SECRET },
      backupsEnabled: false,
      snapshotsEnabled: false,
      deployNodeAgent: true,
      configuration: {
        uploaderType: "kopia",
        defaultVolumesToFsBackup: true,
        defaultBackupStorageLocation: "default",
        defaultBackupTTL: "720h0m0s",
      },
      priorityClassName: PLATFORM_PRIORITY_CLASS,
      nodeAgent: { priorityClassName: PLATFORM_PRIORITY_CLASS, tolerations: [{ operator: "Exists" }] },
    });
  });

  it("never holds the credentials in its values", () => {
    const text = JSON.stringify(velero(platform("dev")).values);
    expect(text).not.toContain("access-key-id");
    expect(text).not.toContain("secret-access-key");
  });

  it("scrapes with monitoring, and waits for the class, the Secret, kube-prometheus-stack and its policies", () => {
    const release = velero(platform("dev"));
    expect(release.values.metrics).toEqual({
      enabled: true,
      serviceMonitor: { enabled: true },
      nodeAgentPodMonitor: { enabled: true },
    });
    expect(release.after).toEqual(
      expect.arrayContaining([
        "network-policies",
        "priority-class",
        "backup-credentials",
        "kube-prometheus-stack",
      ]),
    );
    const without = velero(
      platform("dev", (edited) => {
        edited.monitoringEnabled = false;
      }),
    );
    expect(without.values.metrics).toEqual({
      enabled: true,
      serviceMonitor: { enabled: false },
      nodeAgentPodMonitor: { enabled: false },
    });
    expect(without.after).not.toContain("kube-prometheus-stack");
  });

  it("runs in a namespace of its own at Pod Security privileged, for the node agent's hostPath mounts", () => {
    const namespace = platform("dev").namespaces.find((entry) => entry.metadata.name === VELERO_NAMESPACE);
    expect(namespace?.metadata.labels).toMatchObject({ "pod-security.kubernetes.io/enforce": "privileged" });
  });
});

describe("the credentials", () => {
  it("are an AWS credentials file under the key the chart mounts, in a Secret made before the release", () => {
    expect(veleroCredentialsFile("AK", "SK")).toBe(
      "[default]\naws_access_key_id=AK\naws_secret_access_key=SK\n",
    );
    const credentials = step(platform("dev"), "backup-credentials");
    expect(credentials.after).toEqual([]);
    expect(credentials.manifests).toEqual([
      {
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: VELERO_CREDENTIALS_SECRET,
          namespace: VELERO_NAMESPACE,
          labels: { "app.kubernetes.io/managed-by": "hetzner-k8s" },
        },
        type: "Opaque",
        stringData: { [VELERO_CREDENTIALS_KEY]: "<backup credentials>" },
      },
    ]);
  });

  it("must be given to the model when backups are on", () => {
    const stackConfig = config("dev");
    const { backupCredentials: _dropped, ...withoutCredentials } = DYNAMIC;
    expect(_dropped).toBeDefined();
    expect(() =>
      buildPlatformModel(stackConfig, buildClusterModel(stackConfig), withoutCredentials, FILES),
    ).toThrow(/backup credentials/);
  });
});

describe("the storage location and schedules", () => {
  it("write to the bucket under the cluster's name, path-style, without the upload checksum Ceph refuses", () => {
    const objects = step(platform("dev"), "backup-objects");
    expect(objects.after).toEqual(["velero"]);
    const [location] = ofKind(platform("dev"), "BackupStorageLocation");
    expect(location.spec).toEqual({
      provider: "aws",
      default: true,
      accessMode: "ReadWrite",
      objectStorage: { bucket: "cluster-backups", prefix: "dev" },
      config: {
        region: "fsn1",
        s3Url: "https://fsn1.your-objectstorage.com",
        s3ForcePathStyle: "true",
        checksumAlgorithm: "",
      },
    });
  });

  it("back up the whole cluster on backupSchedule, kept backupRetentionDays", () => {
    const model = platform("dev", (edited) => {
      edited.backupSchedule = "30 1 * * *";
      edited.backupRetentionDays = 14;
    });
    const cluster = ofKind(model, "Schedule").find((manifest) => manifest.metadata.name === "cluster");
    expect(cluster?.spec).toEqual({
      schedule: "30 1 * * *",
      skipImmediately: true,
      template: {
        includedNamespaces: ["*"],
        storageLocation: "default",
        ttl: "336h0m0s",
        defaultVolumesToFsBackup: true,
        snapshotVolumes: false,
      },
    });
  });

  it("add a schedule per tenant that asks for one, over exactly its namespaces", () => {
    const model = platform("prod", (edited) => {
      const [payments, analytics] = edited.tenants;
      payments.backup = { schedule: "0 * * * *", retentionDays: 7 };
      analytics.backup = { schedule: "0 4 * * *" };
    });
    const schedules = ofKind(model, "Schedule");
    expect(schedules.map((manifest) => manifest.metadata.name)).toEqual([
      "cluster",
      "tenant-payments",
      "tenant-analytics",
    ]);
    const [, payments, analytics] = schedules;
    expect(payments.metadata.labels).toMatchObject({ "hetzner-k8s.io/tenant": "payments" });
    expect(payments.spec).toMatchObject({
      schedule: "0 * * * *",
      template: { includedNamespaces: ["payments", "payments-staging"], ttl: "168h0m0s" },
    });
    // Without a retention of its own, the tenant's backups are kept as long as the cluster's.
    expect(analytics.spec).toMatchObject({
      schedule: "0 4 * * *",
      template: { includedNamespaces: ["analytics"], ttl: "720h0m0s" },
    });
  });

  it("are valid Velero objects, and the rest valid Kubernetes objects", () => {
    const model = platform("prod", (edited) => {
      edited.tenants[0].backup = { schedule: "0 * * * *" };
    });
    const objects = inVelero(model.steps.flatMap((entry) => entry.manifests));
    expect(objects.map((manifest) => manifest.kind).sort()).toEqual([
      "BackupStorageLocation",
      "NetworkPolicy",
      "NetworkPolicy",
      "NetworkPolicy",
      "Schedule",
      "Schedule",
      "Secret",
    ]);
    for (const manifest of [...objects, ...model.namespaces])
      expect(() => validateAgainstSchema(manifest)).not.toThrow();
    expect(() =>
      validateAgainstSchema({
        ...objects.find((manifest) => manifest.kind === "Schedule"),
        spec: { schedule: "@daily", template: { ttl: 1 } },
      }),
    ).toThrow();
  });
});

interface FixturePod {
  pod: string;
  labels: Record<string, string>;
  ports: { name?: string; port: number; protocol: string }[];
}
const FIXTURE = JSON.parse(
  readFileSync(path.resolve(__dirname, "../fixtures/platform-pods.json"), "utf8"),
) as {
  sources: Record<string, { version: string }>;
  namespaces: Record<string, FixturePod[]>;
};

describe("Velero's network policies", () => {
  type Spec = {
    podSelector: { matchLabels?: Record<string, string> };
    policyTypes: string[];
    ingress?: { from?: unknown[]; ports?: { port: number | string; protocol: string }[] }[];
    egress?: { to?: unknown[]; ports?: { port: number | string; protocol: string }[] }[];
  };
  const policies = (model: PlatformModel<string>) => inVelero(ofKind(model, "NetworkPolicy"));

  it("deny ingress but Prometheus to the metrics port, and come with the platform's other policies", () => {
    const model = platform("dev");
    expect(policies(model).map((manifest) => manifest.metadata.name)).toEqual([
      "default-deny-ingress",
      "allow-metrics-from-monitoring",
      VELERO_EGRESS_POLICY,
    ]);
    expect(step(model, "network-policies").manifests).toEqual(expect.arrayContaining(policies(model)));
    expect(
      policies(
        platform("dev", (edited) => {
          edited.monitoringEnabled = false;
        }),
      ).map((manifest) => manifest.metadata.name),
    ).toEqual(["default-deny-ingress", VELERO_EGRESS_POLICY]);
  });

  it("admit only DNS, the API server and HTTPS to the internet (the S3 endpoint) out", () => {
    const egress = policies(platform("dev")).find(
      (manifest) => manifest.metadata.name === VELERO_EGRESS_POLICY,
    );
    expect(egress?.spec).toEqual({
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
              podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { to: [{ ipBlock: { cidr: "10.0.0.0/16" } }], ports: [{ protocol: "TCP", port: 6443 }] },
        {
          to: [{ ipBlock: { cidr: "0.0.0.0/0", except: NON_INTERNET_RANGES } }],
          ports: [{ protocol: "TCP", port: 443 }],
        },
      ],
    });
  });

  it("name container ports of the pinned chart's pods (test/fixtures/platform-pods.json)", () => {
    expect(FIXTURE.sources.velero.version).toBe(CHARTS.velero.version);
    const pods = FIXTURE.namespaces[VELERO_NAMESPACE];
    expect(pods.map((pod) => pod.pod)).toEqual(["velero", "node-agent"]);
    for (const manifest of policies(platform("dev"))) {
      const spec = manifest.spec as Spec;
      for (const rule of spec.ingress ?? []) {
        const selected = pods.filter((pod) =>
          Object.entries(spec.podSelector.matchLabels ?? {}).every(
            ([label, value]) => pod.labels[label] === value,
          ),
        );
        expect([manifest.metadata.name, selected.length > 0]).toEqual([manifest.metadata.name, true]);
        for (const { port, protocol } of rule.ports ?? [])
          for (const pod of selected)
            expect([
              pod.pod,
              port,
              pod.ports.some(
                (entry) =>
                  (typeof port === "number" ? entry.port === port : entry.name === port) &&
                  entry.protocol === protocol,
              ),
            ]).toEqual([pod.pod, port, true]);
      }
    }
  });
});
