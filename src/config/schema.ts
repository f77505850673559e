import { z } from "zod";
import { IMAGE_SCANNING_DB_DEFAULTS, VERSIONS } from "../versions";
import { overcommitSchema, tenantSchema } from "./tenantSchema";

/**
 * The shape of the stack config (`hetzner-k8s:*` keys). Structure and defaults live here;
 * rules that relate several values (catalogue, CIDRs, addresses, quorum) live in `rules.ts`.
 */

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .regex(
      DNS_LABEL,
      "must be a DNS-1123 label (lower-case letters, digits and '-', alphanumeric at both ends)",
    );

// Kubernetes label syntax: optional DNS prefix, a name of up to 63 characters, and a value.
const LABEL_KEY =
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
const labelKey = z.string().regex(LABEL_KEY, "must be a Kubernetes label key (prefix/name)");
const labelValue = z.string().regex(LABEL_VALUE, "must be a Kubernetes label value (at most 63 characters)");

const requiredList = (hint: string) =>
  z
    .array(z.string(), { error: (issue) => (issue.input === undefined ? `required: ${hint}` : undefined) })
    .min(1, {
      error: `must list at least one source: ${hint}`,
    })
    .describe("a list of addresses or CIDRs");

export const taintSchema = z.strictObject({
  key: labelKey,
  value: labelValue.optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

/** What a node and a node pool (for each of its nodes) both say: where it runs, its volume, labels and taints. */
const placementAndMetadata = {
  /** Defaults to the cluster's location; must be in the same network zone. */
  location: z.string().optional(),
  /** Size of the node's own Hetzner volume; no volume when omitted. */
  volumeSizeGb: z.number().int("must be a whole number of GB").optional(),
  labels: z.record(labelKey, labelValue).describe("a mapping of label keys to values").optional(),
  taints: z
    .array(taintSchema.describe("a taint {key, value, effect}"))
    .describe("a list of taints")
    .optional(),
};

export const nodeSchema = z.strictObject({
  /** Stable identity: the server is `<clusterName>-<name>`, and everything else derives from it. */
  name: dnsLabel(40),
  /** Fixed per node, never derived from list position. */
  role: z.enum(["control-plane", "worker"], { error: 'must be "control-plane" or "worker"' }),
  serverType: z.string(),
  /** The node's address in the node subnet; required (validation suggests the next free one). */
  privateIp: z.string().optional(),
  ...placementAndMetadata,
  /** Hetzner delete/rebuild protection. @default true for control-plane nodes, false for workers */
  deleteProtection: z.boolean().optional(),
});

/** Where a node or a pool runs, as the schema documents its default: its own location, else the cluster's. */
export function locationOf(config: { location: string }, entry: { location?: string }): string {
  return entry.location ?? config.location;
}

/** A node's volume in GB as a deployment records it: 0 for none. */
export function volumeSizeOf(node: { volumeSizeGb?: number }): number {
  return node.volumeSizeGb ?? 0;
}

/** A node's delete protection as the schema documents its default: on for control-plane nodes only. */
export function deleteProtectionOf(
  node: Pick<z.infer<typeof nodeSchema>, "role" | "deleteProtection">,
): boolean {
  return node.deleteProtection ?? node.role === "control-plane";
}

/**
 * A pool of interchangeable worker nodes: `count` nodes named `<name>-1` to `<name>-<count>`, node i at
 * the i-th address of `ipRange`. Raising the count adds the next ones; lowering it removes the highest
 * (drained first, like any removed node); no other node moves. Expanded into nodes by nodePools.ts.
 */
export const nodePoolSchema = z.strictObject({
  /** Names the pool's nodes; 36 characters leave room for `-<index>` within a node name's 40. */
  name: dnsLabel(36),
  /** How many nodes the program keeps; an autoscaled pool has `autoscaling` instead (nodePools.ts). */
  count: z.number().int("must be a whole number of nodes").min(0, "must be 0 or more").optional(),
  /**
   * Marks the pool autoscaled: the cluster-autoscaler creates and deletes its servers between min and max
   * (model/autoscaling.ts). Its ipRange is then a Hetzner subnet of its own, outside nodeSubnetCidr.
   */
  autoscaling: z
    .strictObject({
      min: z.number().int("must be a whole number of nodes").min(0, "must be 0 or more"),
      max: z.number().int("must be a whole number of nodes").min(1, "must be 1 or more"),
    })
    .describe("a mapping with min and max")
    .optional(),
  serverType: z.string(),
  /**
   * A CIDR inside nodeSubnetCidr that only this pool's nodes take addresses from; for an autoscaled pool a
   * CIDR inside networkCidr and outside nodeSubnetCidr, which becomes the pool's own Hetzner subnet.
   */
  ipRange: z.string({
    error: (issue) =>
      issue.input === undefined ? "required: the pool's own CIDR inside nodeSubnetCidr" : undefined,
  }),
  ...placementAndMetadata,
  /** Hetzner delete/rebuild protection of every node of the pool. @default false */
  deleteProtection: z.boolean().optional(),
});

/**
 * The default reboot window: weekday nights, 02:00 to 05:00 UTC (03:00 to 06:00 in Central Europe, where
 * most Hetzner locations are), so that someone is at work the morning after a reboot. The values are
 * kured's own vocabulary (days su mo tu we th fr sa); platformRules.ts checks each one.
 */
export const REBOOT_WINDOW_DEFAULT: {
  days: readonly string[];
  start: string;
  end: string;
  timeZone: string;
} = {
  days: ["mo", "tu", "we", "th", "fr"],
  start: "02:00",
  end: "05:00",
  timeZone: "UTC",
};

export const rebootWindowSchema = z.strictObject({
  /** Days a reboot may start on (kured --reboot-days). */
  days: z
    .array(z.string())
    .describe("a list of days (su, mo, tu, we, th, fr, sa)")
    .default(() => [...REBOOT_WINDOW_DEFAULT.days]),
  /** HH:MM; a reboot starts at or after it (kured --start-time). */
  start: z.string().default(REBOOT_WINDOW_DEFAULT.start),
  /** HH:MM; no reboot starts after it; before start, the window runs past midnight (kured --end-time). */
  end: z.string().default(REBOOT_WINDOW_DEFAULT.end),
  /** IANA time zone of start and end, e.g. Europe/Berlin (kured --time-zone). */
  timeZone: z.string().default(REBOOT_WINDOW_DEFAULT.timeZone),
});

/**
 * Every top-level key, with defaults; Pulumi.yaml declares the same keys and defaults (tested). What each key
 * means is said once, for people: its `description` in Pulumi.yaml, which `pulumi config` shows and the
 * README's table follows (test/config/pulumiYaml.test.ts holds every key to one there, and this schema to
 * none of its own). Comments here say only where a key's rules live.
 */
export const stackConfigSchema = z.strictObject({
  clusterName: dnsLabel(20),
  location: z.string().default("fsn1"),
  networkCidr: z.string().default("10.0.0.0/16"),
  nodeSubnetCidr: z.string().default("10.0.1.0/24"),
  podCidr: z.string().default("10.42.0.0/16"),
  serviceCidr: z.string().default("10.43.0.0/16"),
  sshAllowedSources: requiredList("the addresses allowed to reach SSH, e.g. 203.0.113.7/32"),
  apiAllowedSources: requiredList("the addresses allowed to reach the Kubernetes API, e.g. 203.0.113.7/32"),
  sshAllowAnywhere: z.boolean().default(false),
  apiExposure: z
    .enum(["load-balancer", "firewalled"], { error: 'must be "load-balancer" or "firewalled"' })
    .default("load-balancer"),
  loadBalancerType: z.string().default("lb11"),
  // The gateway and what it does: model/gateway.ts.
  privateNodes: z.boolean().default(false),
  gatewayServerType: z.string().default("cx23"),
  ingressEnabled: z.boolean().default(true),
  serverImage: z.string().min(1).default(VERSIONS.serverImage),
  sshPublicKeys: z.array(z.string()).describe("a list of SSH public keys").default([]),
  k3sVersion: z.string().default(VERSIONS.k3s),
  flannelBackend: z
    .enum(["vxlan", "wireguard-native"], { error: 'must be "vxlan" or "wireguard-native"' })
    .default("vxlan"),
  apiHostname: z.string().default(""),
  etcdSnapshotSchedule: z.string().default("0 */6 * * *"),
  etcdSnapshotRetention: z
    .number()
    .int("must be a whole number")
    .min(1, "must keep at least 1 snapshot")
    .default(28),
  etcdS3Endpoint: z.string().default(""),
  etcdS3Bucket: z.string().default(""),
  etcdS3Region: z.string().default(""),
  etcdS3Folder: z.string().default(""),
  etcdS3AccessKey: z.string().default(""),
  etcdS3SecretKey: z.string().default(""),
  drainOnRemoval: z.boolean().default(true),
  drainTimeoutSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(30, "must be at least 30")
    .default(600),
  // --- platform add-ons (the Kubernetes layer) ---
  defaultStorageClass: z
    .enum(["hcloud-volumes", "local-nvme", "local-volume"], {
      error: 'must be "hcloud-volumes", "local-nvme" or "local-volume"',
    })
    .default("hcloud-volumes"),
  hcloudCsiEnabled: z.boolean().default(true),
  clusterHcloudToken: z.string().default(""),
  localPathEnabled: z.boolean().default(true),
  ingressDomain: z.string().default(""),
  letsEncryptEmail: z.string().default(""),
  rancherEnabled: z.boolean().default(true),
  monitoringEnabled: z.boolean().default(true),
  prometheusRetention: z.string().default("15d"),
  prometheusStorageGb: z
    .number()
    .int("must be a whole number of GB")
    .min(10, "must be at least 10")
    .default(50),
  alertmanagerWebhookUrl: z.string().default(""),
  // Rules: loggingRules.ts.
  loggingEnabled: z.boolean().default(true),
  logRetention: z.string().default("7d"),
  logStorageGb: z.number().int("must be a whole number of GB").min(10, "must be at least 10").default(20),
  rebootsEnabled: z.boolean().default(true),
  // Its default: REBOOT_WINDOW_DEFAULT.
  rebootWindow: rebootWindowSchema
    .describe("a mapping {days, start, end, timeZone}")
    .default(() => ({ ...REBOOT_WINDOW_DEFAULT, days: [...REBOOT_WINDOW_DEFAULT.days] })),
  imageScanningEnabled: z.boolean().default(true),
  imageScanningDbRepository: z.string().default(IMAGE_SCANNING_DB_DEFAULTS.db),
  imageScanningJavaDbRepository: z.string().default(IMAGE_SCANNING_DB_DEFAULTS.javaDb),
  // Rules: backupRules.ts.
  backupsEnabled: z.boolean().default(false),
  backupS3Endpoint: z.string().default(""),
  backupS3Bucket: z.string().default(""),
  backupS3Region: z.string().default(""),
  backupS3AccessKey: z.string().default(""),
  backupS3SecretKey: z.string().default(""),
  backupSchedule: z.string().default("0 3 * * *"),
  backupRetentionDays: z
    .number()
    .int("must be a whole number of days")
    .min(1, "must keep a backup at least 1 day")
    .default(30),
  // --- multi-tenancy ---
  tenants: z
    .array(tenantSchema.describe("a tenant (a mapping with name, quota, ...)"))
    .describe("a list of tenants")
    .default([]),
  overcommit: overcommitSchema
    .describe("a mapping {cpu, memory, storage}")
    .default(overcommitSchema.parse({})),
  nodes: z
    .array(nodeSchema.describe("a node (a mapping with name, role, serverType, privateIp, ...)"), {
      error: (issue) => (issue.input === undefined ? "required: the list of nodes" : undefined),
    })
    .describe("a list of nodes"),
  // Expanded into nodes after the explicit ones (nodePools.ts).
  nodePools: z
    .array(nodePoolSchema.describe("a node pool (a mapping with name, count, serverType, ipRange, ...)"))
    .describe("a list of node pools")
    .default([]),
});

/** Keys whose values are credentials: they must be set as Pulumi secrets and stay secret everywhere. */
export const SECRET_CONFIG_KEYS = [
  "etcdS3AccessKey",
  "etcdS3SecretKey",
  "alertmanagerWebhookUrl",
  "clusterHcloudToken",
  "backupS3AccessKey",
  "backupS3SecretKey",
] as const;

/** Structured keys, which Pulumi.yaml cannot declare with a type (pulumi/pulumi#11321); described there in comments. */
export const STRUCTURED_CONFIG_KEYS = [
  "nodes",
  "nodePools",
  "tenants",
  "overcommit",
  "rebootWindow",
] as const;

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type NodeConfig = z.infer<typeof nodeSchema>;
export type NodePoolConfig = z.infer<typeof nodePoolSchema>;
export type Taint = z.infer<typeof taintSchema>;
export type StackConfigKey = keyof StackConfig;
export const STACK_CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as StackConfigKey[];
