import { z } from "zod";

/**
 * The shape of `hetzner-k8s:tenants`: teams or people sharing the cluster, each in namespaces of its own
 * with quotas, limits, users and isolation. Rules relating values live in tenantRules.ts.
 */

const dnsLabel = z
  .string()
  .max(63, "must be at most 63 characters")
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label (lower-case letters, digits and '-')");

/**
 * A hostname a tenant may serve and get certificates for: a lower-case DNS name of two labels or more, or
 * one whose first label is "*" (one label, as Ingress and TLS wildcards match). A last label of digits
 * alone would make an IPv4 address, which is no hostname to an Ingress or a certificate's dnsNames.
 */
const LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?";
export const TENANT_HOSTNAME = new RegExp(`^(?=.{1,253}$)(\\*\\.)?${LABEL}(\\.${LABEL})+$`);
const hostname = z
  .string()
  .regex(
    TENANT_HOSTNAME,
    'must be a lower-case DNS name such as "shop.example.com", or one with a leading wildcard label such as "*.team-a.example.com"',
  )
  .refine((name) => !/\.[0-9]+$/.test(name), "is an IP address, not a hostname");

const quantity = z
  .union([z.string(), z.number()])
  .describe('a quantity such as "2", 0.5 or "512Mi"')
  .transform(String);
const names = z.array(dnsLabel).describe("a list of names (DNS labels)");

export const PRIORITY_CLASSES = ["platform-critical", "high", "default", "low"] as const;

export const quotaSchema = z.strictObject({
  requestsCpu: quantity,
  requestsMemory: quantity,
  limitsCpu: quantity,
  limitsMemory: quantity,
  /** Total of the tenant's persistent volume claims. */
  storage: quantity.default("0"),
  persistentVolumeClaims: z.number().int().min(0).default(0),
  pods: z.number().int().min(0).default(50),
  services: z.number().int().min(0).default(10),
  /**
   * LoadBalancer Services buy Hetzner load balancers: none unless granted. Each brings five node ports
   * (NODE_PORTS_PER_LOAD_BALANCER), which Kubernetes counts for a LoadBalancer Service's ports.
   */
  loadBalancers: z.number().int().min(0).default(0),
  /** NodePorts open a port on every node: none unless granted. */
  nodePorts: z.number().int().min(0).default(0),
});

export const containerLimitsSchema = z.strictObject({
  defaultRequestCpu: quantity.default("100m"),
  defaultRequestMemory: quantity.default("128Mi"),
  defaultLimitCpu: quantity.default("500m"),
  defaultLimitMemory: quantity.default("512Mi"),
  maxCpu: quantity.default("2"),
  maxMemory: quantity.default("4Gi"),
});

export const tenantBackupSchema = z.strictObject({
  /** 5-field cron schedule (UTC) of the tenant's backups. */
  schedule: z.string(),
  /** Days each of them is kept. @default backupRetentionDays */
  retentionDays: z.number().int("must be a whole number of days").min(1, "must be at least 1").optional(),
});

export const tenantSchema = z.strictObject({
  name: dnsLabel,
  /** Namespaces of the tenant. @default [name] */
  namespaces: names.min(1, "must list at least one namespace").optional(),
  /** People or systems that get a kubeconfig for the tenant's namespaces. */
  users: names.default([]),
  /** Applied to each of the tenant's namespaces. */
  quota: quotaSchema.describe("a mapping of quota values (requestsCpu, requestsMemory, ...)"),
  limits: containerLimitsSchema
    .describe("a mapping of container defaults and maxima")
    .default(containerLimitsSchema.parse({})),
  priorityClasses: z
    .array(z.enum(PRIORITY_CLASSES))
    .describe("a list of priority classes")
    .default(["default", "low"]),
  podSecurity: z
    .enum(["restricted", "baseline"], { error: 'must be "restricted" or "baseline"' })
    .default("restricted"),
  /**
   * Hostnames the tenant alone may serve through the ingress (Ingress rules and TLS hosts) and get
   * certificates for (cert-manager Certificates): nothing else is admitted in its namespaces.
   * @default [] (no Ingress host and no certificate)
   */
  hostnames: z.array(hostname).describe("a list of hostnames").optional(),
  /** Other namespaces whose pods may connect to this tenant's pods (ingress and monitoring always may). */
  allowFrom: names.default([]),
  /**
   * Whether the tenant's pods may open connections to the internet (every address outside the private
   * and link-local ranges, which hold the cluster's nodes and pods and Hetzner's metadata service). Most workloads call external APIs, so it is on unless switched off for the tenant.
   * DNS, the tenant's own namespaces and other tenants' (whose ingress policies decide) are always allowed.
   * @default true
   */
  egressInternet: z.boolean().default(true),
  /**
   * Removing a tenant keeps its namespaces (and their data) unless this was set, and applied, first.
   * @default false
   */
  allowDeletion: z.boolean().default(false),
  /**
   * A backup schedule of the tenant's own (with backupsEnabled), on top of the cluster-wide one that
   * covers every namespace: its namespaces only, e.g. more often or kept longer. Rules in backupRules.ts.
   */
  backup: tenantBackupSchema.describe("a mapping {schedule, retentionDays}").optional(),
});

export const overcommitSchema = z.strictObject({
  cpu: z.number().min(1, "must be at least 1 (no undercommit)").max(10).default(1),
  memory: z.number().min(1, "must be at least 1 (no undercommit)").max(10).default(1),
  storage: z.number().min(1, "must be at least 1 (no undercommit)").max(10).default(1),
});

export type TenantConfig = z.infer<typeof tenantSchema>;

/** A tenant's namespaces: the ones it lists, or one of its own name (the default `namespaces` documents). */
export function tenantNamespaces(tenant: TenantConfig): string[] {
  return tenant.namespaces ?? [tenant.name];
}
export type QuotaConfig = z.infer<typeof quotaSchema>;
export type OvercommitConfig = z.infer<typeof overcommitSchema>;
