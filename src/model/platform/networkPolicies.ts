import type { StackConfig } from "../../config/schema";
import type { ClusterModel } from "../cluster";
import { metadata, type Manifest } from "./common";
import { MONITORING_NAMESPACE } from "./monitoring";
import { LOCAL_PATH_NAMESPACE } from "./storage";

/**
 * Ingress isolation of the namespaces the platform layer creates and owns. Each gets a default-deny
 * ingress policy and one policy per client that needs in, so that no tenant pod (nor any other pod)
 * reaches Alertmanager's silence API, Prometheus' view of every tenant's metrics, Grafana, Rancher or
 * the webhooks. Egress of the platform's pods stays open: Prometheus scrapes every namespace and the
 * add-ons talk to the API server and the internet (ACME, chart and image sources).
 *
 * kube-system is left alone: k3s owns it and re-applies its own add-ons there (CoreDNS, metrics-server)
 * on every start, with ports that follow k3s releases; CoreDNS must admit every pod of the cluster and
 * metrics-server the API server. Tenants cannot reach it anyway but for DNS: their egress policy
 * (model/tenants.ts) admits only CoreDNS there.
 *
 * The cluster's network policy controller (kube-router, embedded in k3s) admits traffic from a pod's
 * own node by itself, so kubelet probes need no rule. Host-network pods (node-exporter) are outside
 * every NetworkPolicy.
 */

export const DEFAULT_DENY_INGRESS = "default-deny-ingress";

type Peer = Record<string, unknown>;
interface Port {
  /** A number, or the name of a container port: the chart's own name follows its port if an operator moves it. */
  port: number | string;
  protocol: "TCP" | "UDP";
}

const tcp = (port: number | string): Port => ({ port, protocol: "TCP" });

const byNamespace = (name: string): Peer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});
/** Every pod of the policy's own namespace. */
const ownNamespace: Peer = { podSelector: {} };

/**
 * Where the API server's calls to a webhook pod come from. It runs on the control-plane nodes' host
 * network: a call to a pod on another node leaves through flannel's interface and carries that
 * interface's address, which lies in the pod range (x.y.N.0 of the node's pod subnet); a call routed
 * by a node address carries the node's private address, in the network. A node's calls to its own
 * pods are admitted by the controller without a rule. The pod range also holds every pod's address,
 * which is why these peers only ever open a webhook's port, and tenants' egress policies keep tenant
 * pods away from the platform's namespaces.
 */
function apiServerPeers(cluster: ClusterModel): Peer[] {
  return [{ ipBlock: { cidr: cluster.networkCidr } }, { ipBlock: { cidr: cluster.podCidr } }];
}

function policy(name: string, namespace: string, spec: Record<string, unknown>): Manifest {
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(name, namespace),
    spec: { podSelector: {}, policyTypes: ["Ingress"], ...spec },
  };
}

/** Selects every pod and admits nothing: each allowance below adds exactly one client. */
export function defaultDenyIngress(namespace: string): Manifest {
  return policy(DEFAULT_DENY_INGRESS, namespace, {});
}

function allow(
  name: string,
  namespace: string,
  rule: { pods?: Record<string, string>; from?: Peer[]; ports?: Port[] },
): Manifest {
  return policy(name, namespace, {
    podSelector: rule.pods ? { matchLabels: rule.pods } : {},
    ingress: [{ ...(rule.from && { from: rule.from }), ...(rule.ports && { ports: rule.ports }) }],
  });
}

function traefik(): Manifest[] {
  const namespace = "traefik";
  return [
    defaultDenyIngress(namespace),
    // The ingress load balancer reaches Traefik through its NodePorts. kube-proxy forwards a NodePort
    // connection (externalTrafficPolicy Cluster) to a Traefik pod on any node and masquerades it: the pod
    // sees the load balancer's private address, or the forwarding node's flannel address in the pod
    // range. Neither is a pod a selector could name, and these ports are public by design: any source,
    // on the two entry points only (not the dashboard/ping port "traefik", not "metrics").
    allow("allow-web-from-anywhere", namespace, { ports: [tcp("web"), tcp("websecure")] }),
    // Prometheus scrapes Traefik's metrics entry point when an operator enables its ServiceMonitor.
    allow("allow-metrics-from-monitoring", namespace, {
      from: [byNamespace(MONITORING_NAMESPACE)],
      ports: [tcp("metrics")],
    }),
  ];
}

function certManager(cluster: ClusterModel): Manifest[] {
  const namespace = "cert-manager";
  return [
    defaultDenyIngress(namespace),
    // The API server calls the webhook for every cert-manager object anyone creates (the release's own
    // start-up check among them): on its secure port, named "https" (10250).
    allow("allow-webhook-from-api-server", namespace, {
      pods: { "app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/component": "webhook" },
      from: apiServerPeers(cluster),
      ports: [tcp("https")],
    }),
    // Controller, CA injector and webhook serve metrics on 9402 for Prometheus.
    allow("allow-metrics-from-monitoring", namespace, {
      from: [byNamespace(MONITORING_NAMESPACE)],
      ports: [tcp(9402)],
    }),
  ];
}

function rancher(cluster: ClusterModel): Manifest[] {
  const namespace = "cattle-system";
  return [
    defaultDenyIngress(namespace),
    // Rancher's pods among themselves, and its agents for this cluster (cattle-cluster-agent and the
    // shell, helm-operation and upgrade pods Rancher starts here) calling Rancher. Agents of downstream
    // clusters arrive through the ingress like every browser, so through Traefik below.
    allow("allow-within-cattle-system", namespace, { from: [ownNamespace] }),
    // Rancher's Ingress: Traefik forwards to the rancher Service's http port, Rancher's container port 80.
    allow("allow-rancher-from-traefik", namespace, {
      pods: { app: "rancher" },
      from: [byNamespace("traefik")],
      ports: [tcp(80)],
    }),
    // The API server calls rancher-webhook (installed by Rancher into this namespace) for Rancher's
    // own objects and RBAC, on its container port 9443.
    allow("allow-webhook-from-api-server", namespace, {
      pods: { app: "rancher-webhook" },
      from: apiServerPeers(cluster),
      ports: [tcp(9443)],
    }),
    // Rancher serves /metrics (token-authenticated) on its http port.
    allow("allow-metrics-from-monitoring", namespace, {
      pods: { app: "rancher" },
      from: [byNamespace(MONITORING_NAMESPACE)],
      ports: [tcp(80)],
    }),
  ];
}

function monitoring(config: StackConfig, cluster: ClusterModel): Manifest[] {
  const namespace = MONITORING_NAMESPACE;
  return [
    defaultDenyIngress(namespace),
    // Prometheus scrapes its own namespace (itself, Alertmanager, Grafana, kube-state-metrics, the
    // operator) and sends alerts to Alertmanager; Grafana queries both; Alertmanager replicas gossip
    // on 9094 (TCP and UDP). Nothing outside reaches Alertmanager's or Prometheus' API.
    allow("allow-within-monitoring", namespace, { from: [ownNamespace] }),
    // Grafana's Ingress (when the stack has one): Traefik to Grafana's container port, named "grafana"
    // (3000). Prometheus and Alertmanager have no Ingress and no authentication of their own, so Traefik
    // gets nothing else here.
    ...(config.ingressEnabled
      ? [
          allow("allow-grafana-from-traefik", namespace, {
            pods: { "app.kubernetes.io/name": "grafana" },
            from: [byNamespace("traefik")],
            ports: [tcp("grafana")],
          }),
        ]
      : []),
    // The API server calls the operator's admission webhook (PrometheusRule and Alertmanager config
    // validation) on the operator's port named "https" (10250).
    allow("allow-webhook-from-api-server", namespace, {
      pods: { app: "kube-prometheus-stack-operator" },
      from: apiServerPeers(cluster),
      ports: [tcp("https")],
    }),
  ];
}

/**
 * Policies of the namespaces the releases install into (PlatformModel.namespaces), created right after
 * them; the releases wait for them, so every add-on starts isolated and its own start-up checks (the
 * webhooks' among them) prove its allowances.
 */
export function platformNetworkPolicies(config: StackConfig, cluster: ClusterModel): Manifest[] {
  return [
    ...(config.ingressEnabled ? traefik() : []),
    ...certManager(cluster),
    ...(config.rancherEnabled ? rancher(cluster) : []),
    ...(config.monitoringEnabled ? monitoring(config, cluster) : []),
  ];
}

/**
 * local-path-storage, created with its own namespace in the local-path step: the provisioner and its
 * helper pods only call the API server and serve nothing, so nothing may connect to them.
 */
export function localPathNetworkPolicies(): Manifest[] {
  return [defaultDenyIngress(LOCAL_PATH_NAMESPACE)];
}
