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
