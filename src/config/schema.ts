import { z } from "zod";
import { VERSIONS } from "../versions";
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
    });

export const taintSchema = z.strictObject({
  key: labelKey,
  value: labelValue.optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

export const nodeSchema = z.strictObject({
  /** Stable identity: the server is `<clusterName>-<name>`, and everything else derives from it. */
  name: dnsLabel(40),
  /** Fixed per node, never derived from list position. */
  role: z.enum(["control-plane", "worker"], { error: 'must be "control-plane" or "worker"' }),
  serverType: z.string(),
  /** The node's address in the node subnet; required (validation suggests the next free one). */
  privateIp: z.string().optional(),
  /** Defaults to the cluster's location; must be in the same network zone. */
  location: z.string().optional(),
  /** Size of the node's own Hetzner volume; no volume when omitted. */
  volumeSizeGb: z.number().int("must be a whole number of GB").optional(),
  labels: z.record(labelKey, labelValue).optional(),
  taints: z.array(taintSchema).optional(),
  /** Hetzner delete/rebuild protection. @default true for control-plane nodes, false for workers */
  deleteProtection: z.boolean().optional(),
});

/** Every top-level key, with defaults. Pulumi.yaml declares the same keys and defaults (tested). */
export const stackConfigSchema = z.strictObject({
  clusterName: dnsLabel(20),
  location: z.string().default("fsn1"),
  networkCidr: z.string().default("10.0.0.0/16"),
  nodeSubnetCidr: z.string().default("10.0.1.0/24"),
  podCidr: z.string().default("10.42.0.0/16"),
  serviceCidr: z.string().default("10.43.0.0/16"),
  sshAllowedSources: requiredList("the addresses allowed to reach SSH, e.g. 203.0.113.7/32"),
  apiAllowedSources: requiredList("the addresses allowed to reach the Kubernetes API, e.g. 203.0.113.7/32"),
  /** Allow 0.0.0.0/0 or ::/0 for SSH: open to the whole internet only as a written decision. */
  sshAllowAnywhere: z.boolean().default(false),
  apiExposure: z
    .enum(["load-balancer", "firewalled"], { error: 'must be "load-balancer" or "firewalled"' })
    .default("load-balancer"),
  loadBalancerType: z.string().default("lb11"),
  ingressEnabled: z.boolean().default(true),
  serverImage: z.string().min(1).default(VERSIONS.serverImage),
  sshPublicKeys: z.array(z.string()).default([]),
  k3sVersion: z.string().default(VERSIONS.k3s),
  flannelBackend: z
    .enum(["vxlan", "wireguard-native"], { error: 'must be "vxlan" or "wireguard-native"' })
    .default("vxlan"),
  /** Extra DNS name for the API, added to the certificate; empty for none. */
  apiHostname: z.string().default(""),
  etcdSnapshotSchedule: z.string().default("0 */6 * * *"),
  etcdSnapshotRetention: z
    .number()
    .int("must be a whole number")
    .min(1, "must keep at least 1 snapshot")
    .default(28),
  /** S3-compatible storage for etcd snapshots (e.g. Hetzner Object Storage); off while the bucket is empty. */
  etcdS3Endpoint: z.string().default(""),
  etcdS3Bucket: z.string().default(""),
  etcdS3Region: z.string().default(""),
  etcdS3Folder: z.string().default(""),
  /** Secrets: set with `pulumi config set --secret`. */
  etcdS3AccessKey: z.string().default(""),
  etcdS3SecretKey: z.string().default(""),
  /** Drain a removed node (bounded, respecting PodDisruptionBudgets) before its server is destroyed. */
  drainOnRemoval: z.boolean().default(true),
  drainTimeoutSeconds: z
    .number()
    .int("must be a whole number of seconds")
    .min(30, "must be at least 30")
    .default(600),
  /** Platform add-ons (Kubernetes layer). */
  defaultStorageClass: z
    .enum(["hcloud-volumes", "local-nvme", "local-volume"], {
      error: 'must be "hcloud-volumes", "local-nvme" or "local-volume"',
    })
    .default("hcloud-volumes"),
  hcloudCsiEnabled: z.boolean().default(true),
  /**
   * Secret: the Hetzner API token the cloud controller and CSI driver get inside the cluster (Secret
   * kube-system/hcloud); empty: the program's own token (hcloud:token). One of its own can be rotated and
   * revoked without the program's.
   */
  clusterHcloudToken: z.string().default(""),
  localPathEnabled: z.boolean().default(true),
  /** Base domain for Rancher and Grafana (rancher.<domain>); empty: <name>.<ingress address>.sslip.io. */
  ingressDomain: z.string().default(""),
  /** With ingressDomain, certificates come from Let's Encrypt for this account; empty: a self-signed CA. */
  letsEncryptEmail: z.string().default(""),
  rancherEnabled: z.boolean().default(true),
  monitoringEnabled: z.boolean().default(true),
  prometheusRetention: z.string().default("15d"),
  prometheusStorageGb: z
    .number()
    .int("must be a whole number of GB")
    .min(10, "must be at least 10")
    .default(50),
  /** Secret: an Alertmanager webhook receiver (e.g. a chat or paging integration). */
  alertmanagerWebhookUrl: z.string().default(""),
  /** Multi-tenancy: the tenants and how far the resource pool may be overcommitted. */
  tenants: z.array(tenantSchema).default([]),
  overcommit: overcommitSchema.default(overcommitSchema.parse({})),
  nodes: z.array(nodeSchema, {
    error: (issue) => (issue.input === undefined ? "required: the list of nodes" : undefined),
  }),
});

/** Keys whose values are credentials: they must be set as Pulumi secrets and stay secret everywhere. */
export const SECRET_CONFIG_KEYS = [
  "etcdS3AccessKey",
  "etcdS3SecretKey",
  "alertmanagerWebhookUrl",
  "clusterHcloudToken",
] as const;

/** Structured keys, which Pulumi.yaml cannot declare with a type (pulumi/pulumi#11321); described there in comments. */
export const STRUCTURED_CONFIG_KEYS = ["nodes", "tenants", "overcommit"] as const;

export type StackConfig = z.infer<typeof stackConfigSchema>;
export type NodeConfig = z.infer<typeof nodeSchema>;
export type Taint = z.infer<typeof taintSchema>;
export type StackConfigKey = keyof StackConfig;
export const STACK_CONFIG_KEYS = Object.keys(stackConfigSchema.shape) as StackConfigKey[];
