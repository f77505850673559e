import { NON_INTERNET_RANGES } from "../names";
import { cidrContains, parseCidr } from "./ipv4";
import type { ConfigProblem } from "./errors";
import { formatBytes, formatCores } from "../units";
import { parseQuantity } from "./quantity";
import type { StackConfig } from "./schema";
import { tenantNamespaces, type TenantConfig } from "./tenantSchema";

/** Rules for tenants: names, namespaces, quantities, limits, and the promise against the pool. */

/** Namespaces of Kubernetes and of the platform layer; no tenant may take them. */
export const RESERVED_NAMESPACES = [
  "default",
  "kube-system",
  "kube-public",
  "kube-node-lease",
  "cert-manager",
  "monitoring",
  "traefik",
  "local-path-storage",
  "cattle-system",
  // Rancher keeps its local cluster's projects here.
  "local",
  // Tenant users' ServiceAccounts and tokens (TENANT_USERS_NAMESPACE of the tenant model).
  "tenant-users",
];
const RESERVED_PREFIXES = ["kube-", "cattle-", "fleet-", "cluster-fleet-", "rancher-"];

export function isReservedNamespace(name: string): boolean {
  return RESERVED_NAMESPACES.includes(name) || RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix));
}

type Problems = ConfigProblem[];
type Kind = "cpu" | "bytes";

export function checkTenants(config: StackConfig): ConfigProblem[] {
  const problems: Problems = [];
  const tenantIndex = new Map<string, number>();
  const namespaceOwner = new Map<string, string>();
  config.tenants.forEach((tenant, index) => {
    const at = (...path: (string | number)[]) => ["tenants", index, ...path];
    const first = tenantIndex.get(tenant.name);
    if (first !== undefined)
      problems.push({
        path: at("name"),
        message: `duplicate tenant "${tenant.name}" (also tenants[${first}])`,
      });
    else tenantIndex.set(tenant.name, index);

    tenantNamespaces(tenant).forEach((namespace, namespaceIndex) => {
      const path = tenant.namespaces ? at("namespaces", namespaceIndex) : at("name");
      if (isReservedNamespace(namespace)) {
        problems.push({
          path,
          message: `namespace "${namespace}" is reserved for the system and the platform`,
        });
        return;
      }
      const owner = namespaceOwner.get(namespace);
      if (owner !== undefined) {
        problems.push({ path, message: `namespace "${namespace}" already belongs to tenant ${owner}` });
        return;
      }
      namespaceOwner.set(namespace, tenant.name);
    });
    const seenUsers = new Set<string>();
    tenant.users.forEach((user, userIndex) => {
      if (seenUsers.has(user))
        problems.push({ path: at("users", userIndex), message: `duplicate user "${user}"` });
      seenUsers.add(user);
    });
    problems.push(...checkQuantities(tenant, at));
  });
  problems.push(...checkHostnames(config));
  problems.push(...checkEgressInternet(config));
  return problems;
}

/**
 * A tenant's internet egress admits every address but NON_INTERNET_RANGES: the node network and the pod
 * range must lie in them, or that rule would open the nodes or every pod to the tenant. The service range
 * need not: kube-proxy turns a Service address into a pod's or node's before the policy is applied.
 */
function checkEgressInternet(config: StackConfig): Problems {
  const index = config.tenants.findIndex((tenant) => tenant.egressInternet);
  if (index < 0) return [];
  const ranges = NON_INTERNET_RANGES.map(parseCidr).filter((range) => typeof range !== "string");
  const keys = ["networkCidr", "podCidr"] as const;
  return keys.flatMap((key) => {
    const cidr = parseCidr(config[key]);
    // A malformed range is the network rules' to report.
    if (typeof cidr === "string" || ranges.some((range) => cidrContains(range, cidr))) return [];
    return [
      {
        path: ["tenants", index, "egressInternet"],
        message:
          `${key} ${config[key]} is outside the private ranges (${NON_INTERNET_RANGES.join(", ")}) that ` +
          `tenants' internet egress excepts: move it into one, or set egressInternet false for every tenant`,
      },
    ];
  });
}

/**
 * Where the platform serves behind the ingress: `<prefix>.<ingressDomain>`, or without a domain
 * `<prefix>.<ingress address>.sslip.io`. Reserved even while an add-on is disabled, so that enabling it
 * later takes no tenant's hostname.
 */
export const PLATFORM_HOSTNAME_PREFIXES = ["rancher", "grafana"];

/**
 * A tenant that lists no hostnames gets `*.<tenant>.<ingressDomain>` when the cluster has a domain: a zone
 * of its own that no other tenant's default can meet (tenant names are unique) and no platform name sits
 * in. Without a domain there is nothing it could own, and it serves no hostname until it lists some.
 */
export function withDefaultHostnames(config: StackConfig): StackConfig {
  if (!config.ingressDomain) return config;
  const tenants = config.tenants.map((tenant) =>
    tenant.hostnames ? tenant : { ...tenant, hostnames: [`*.${tenant.name}.${config.ingressDomain}`] },
  );
  return { ...config, tenants };
}

/** The zone a name sits in: "shop.example.com" and "*.example.com" both sit in "example.com". */
const parentOf = (name: string) => name.slice(name.indexOf(".") + 1);

/**
 * Whether two tenant hostnames can name the same host. A wildcard covers exactly one label, as Ingress
 * and TLS wildcards do: "*.example.com" covers "shop.example.com" but neither "example.com" nor
 * "a.shop.example.com", so "*.example.com" and "*.shop.example.com" never meet.
 */
export function hostnamesOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const wildcard = (name: string) => name.startsWith("*.");
  if (wildcard(a) === wildcard(b)) return false;
  return parentOf(a) === parentOf(b);
}

const SSLIP = /^(\*|[a-z0-9-]+)\.((?:[0-9]{1,3}\.){3}[0-9]{1,3})\.sslip\.io$/;

/** The platform hostname a tenant hostname is or covers, if any. */
function platformHostnameOf(config: StackConfig, hostname: string): string | undefined {
  const named = [
    ...(config.ingressDomain
      ? PLATFORM_HOSTNAME_PREFIXES.map((prefix) => `${prefix}.${config.ingressDomain}`)
      : []),
    ...(config.apiHostname ? [config.apiHostname] : []),
  ].find((name) => hostnamesOverlap(hostname, name));
  if (named !== undefined || config.ingressDomain) return named;
  // Without a domain the platform's names hang off the ingress address, which only Hetzner assigns:
  // every address's are reserved.
  const sslip = SSLIP.exec(hostname);
  if (!sslip) return undefined;
  if (sslip[1] === "*") return `${PLATFORM_HOSTNAME_PREFIXES[0]}.${sslip[2]}.sslip.io`;
  return PLATFORM_HOSTNAME_PREFIXES.includes(sslip[1]) ? hostname : undefined;
}

/**
 * Each hostname has one owner: no tenant may list a platform hostname, or one that overlaps another
 * tenant's, since the admission policy of each tenant admits exactly its own list.
 */
function checkHostnames(config: StackConfig): Problems {
  const problems: Problems = [];
  // Claims so far: names, the zones wildcards cover, and the names in each zone. The first tenant to
  // list a hostname keeps it.
  const exact = new Map<string, string>();
  const wildcards = new Map<string, string>();
  const exactIn = new Map<string, Map<string, string>>();
  const claimsOn = (hostname: string): [string, string | undefined][] => {
    const zone = parentOf(hostname);
    return hostname.startsWith("*.")
      ? [[hostname, wildcards.get(zone)], ...(exactIn.get(zone) ?? [])]
      : [
          [hostname, exact.get(hostname)],
          [`*.${zone}`, wildcards.get(zone)],
        ];
  };
  const claim = (hostname: string, tenant: string) => {
    const zone = parentOf(hostname);
    if (hostname.startsWith("*.")) {
      if (!wildcards.has(zone)) wildcards.set(zone, tenant);
      return;
    }
    if (!exact.has(hostname)) exact.set(hostname, tenant);
    const names = exactIn.get(zone) ?? new Map<string, string>();
    if (!names.has(hostname)) names.set(hostname, tenant);
    exactIn.set(zone, names);
  };
  const problemOf = (hostname: string, tenant: string, seen: Set<string>): string | undefined => {
    if (seen.has(hostname)) return `duplicate hostname "${hostname}"`;
    const platform = platformHostnameOf(config, hostname);
    if (platform === hostname) return `"${hostname}" is a hostname of the platform`;
    if (platform !== undefined) return `"${hostname}" covers the platform's hostname ${platform}`;
    const taken = claimsOn(hostname).find(([, owner]) => owner !== undefined && owner !== tenant);
    if (!taken) return undefined;
    const [name, owner] = taken;
    return name === hostname
      ? `hostname "${hostname}" already belongs to tenant ${owner}`
      : `hostname "${hostname}" overlaps "${name}" of tenant ${owner}`;
  };
  config.tenants.forEach((tenant, index) => {
    const seen = new Set<string>();
    (tenant.hostnames ?? []).forEach((hostname, hostnameIndex) => {
      const message = problemOf(hostname, tenant.name, seen);
      seen.add(hostname);
      if (message !== undefined)
        problems.push({ path: ["tenants", index, "hostnames", hostnameIndex], message });
      else claim(hostname, tenant.name);
    });
  });
  return problems;
}

function checkQuantities(
  tenant: TenantConfig,
  at: (...path: (string | number)[]) => (string | number)[],
): Problems {
  const problems: Problems = [];
  const read = (group: "quota" | "limits", key: string, kind: Kind): number | undefined => {
    const text = (tenant[group] as Record<string, unknown>)[key] as string;
    const value = parseQuantity(text);
    if (value === undefined) {
      const example = kind === "cpu" ? '"500m" or "2"' : '"512Mi" or "8Gi"';
      problems.push({
        path: at(group, key),
        message: `"${text}" is not a Kubernetes quantity (e.g. ${example})`,
      });
    }
    return value;
  };
  const notAbove = (group: "quota" | "limits", lower: string, upper: string, kind: Kind) => {
    const low = read(group, lower, kind);
    const high = read(group, upper, kind);
    // Relative tolerance: "13m" and "0.013" are the same quantity, not in binary floating point.
    if (low !== undefined && high !== undefined && low - high > 1e-9 * Math.max(1, Math.abs(high))) {
      const format = kind === "cpu" ? formatCores : formatBytes;
      problems.push({
        path: at(group, lower),
        message: `${format(low)} is above ${upper} (${format(high)})`,
      });
    }
  };
  notAbove("quota", "requestsCpu", "limitsCpu", "cpu");
  notAbove("quota", "requestsMemory", "limitsMemory", "bytes");
  read("quota", "storage", "bytes");
  notAbove("limits", "defaultRequestCpu", "defaultLimitCpu", "cpu");
  notAbove("limits", "defaultLimitCpu", "maxCpu", "cpu");
  notAbove("limits", "defaultRequestMemory", "defaultLimitMemory", "bytes");
  notAbove("limits", "defaultLimitMemory", "maxMemory", "bytes");
  // Deduplicate: a malformed value is reported once even when two comparisons read it.
  return problems.filter(
    (problem, index) =>
      problems.findIndex((other) => JSON.stringify(other) === JSON.stringify(problem)) === index,
  );
}
