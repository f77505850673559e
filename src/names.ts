/**
 * Names the layers share: the project's own, and the Kubernetes names several add-ons and the tenants
 * agree on. A leaf beside versions.ts: it imports nothing, so any layer may import it.
 */

/** The project's name, and so the namespace of every config key (`hetzner-k8s:nodes`). */
export const PROJECT = "hetzner-k8s";

/** kube-prometheus-stack's namespace: Prometheus, Alertmanager and Grafana run there. */
export const MONITORING_NAMESPACE = "monitoring";

/** kube-state-metrics exports this namespace label, so alerts and dashboards can group by tenant. */
export const TENANT_LABEL = `${PROJECT}.io/tenant`;

/** ConfigMaps with this label are dashboards Grafana's sidecar loads. */
export const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";

/**
 * Ports the cluster uses between nodes only, over the private network, never from the internet: the plan
 * warns about a firewall rule that opens one (plan/render.ts), and the policy pack refuses it
 * (policy/policies/noPublicClusterPorts.ts).
 */
export const PRIVATE_ONLY_PORTS = [
  { service: "etcd", protocol: "tcp", from: 2379, to: 2380 },
  { service: "kubelet", protocol: "tcp", from: 10250, to: 10250 },
  { service: "flannel VXLAN", protocol: "udp", from: 8472, to: 8472 },
  { service: "flannel WireGuard", protocol: "udp", from: 51820, to: 51821 },
  { service: "NodePorts", protocol: "tcp", from: 30000, to: 32767 },
] as const satisfies readonly { service: string; protocol: "tcp" | "udp"; from: number; to: number }[];

export type PrivateOnlyPort = (typeof PRIVATE_ONLY_PORTS)[number];

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

const ALL_PORTS: PortRange = { from: 1, to: 65535 };
const PORT_RANGE = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/;

/**
 * The ports a firewall rule's `port` covers: `"22"`, `"80-85"`, or all of them when it is absent, empty or
 * `"any"` (Hetzner's reading). `undefined` for anything else, which no check can prove harmless.
 */
export function parsePortRange(port: unknown): PortRange | undefined {
  if (port === undefined || port === null) return ALL_PORTS;
  const text = typeof port === "number" ? String(port) : typeof port === "string" ? port.trim() : undefined;
  if (text === undefined) return undefined;
  if (text === "" || text.toLowerCase() === "any") return ALL_PORTS;
  const match = PORT_RANGE.exec(text);
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from > to || to > 65535) return undefined;
  return { from, to };
}

/** Whether a rule's `protocol` lets `protocol` through: its own name, or none/`any` for every protocol. */
export function protocolCovers(ruleProtocol: unknown, protocol: "tcp" | "udp"): boolean {
  if (typeof ruleProtocol !== "string") return true;
  const name = ruleProtocol.trim().toLowerCase();
  return name === "" || name === "any" || name === "all" || name === protocol;
}

/**
 * The cluster-only ports an inbound firewall rule opens, or `"unreadable"` when its port is none of the
 * forms above. One reading for the plan's warning and the policy pack's refusal.
 */
export function privatePortsOpenedBy(rule: {
  direction?: unknown;
  protocol?: unknown;
  port?: unknown;
}): PrivateOnlyPort[] | "unreadable" {
  if (typeof rule.direction === "string" && rule.direction.trim().toLowerCase() !== "in") return [];
  const candidates = PRIVATE_ONLY_PORTS.filter((port) => protocolCovers(rule.protocol, port.protocol));
  if (candidates.length === 0) return [];
  const range = parsePortRange(rule.port);
  if (range === undefined) return "unreadable";
  return candidates.filter((port) => range.from <= port.to && port.from <= range.to);
}

/**
 * Addresses that are not the internet: the private ranges (the cluster's node network and pod range
 * lie in them, a config rule makes sure; Service addresses become a pod's or node's before the policy
 * applies), shared address space, and link-local, which holds
 * Hetzner's metadata service (169.254.169.254: every server's user data and identity). The internet
 * egress rule excepts them all, so it never opens a node, a pod or a Service of the cluster.
 */
export const NON_INTERNET_RANGES = [
  "10.0.0.0/8",
  "172.16.0.0/12",
  "192.168.0.0/16",
  "100.64.0.0/10",
  "169.254.0.0/16",
];
