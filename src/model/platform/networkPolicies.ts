import type { StackConfig } from "../../config/schema";
import type { ClusterModel } from "../cluster";
import { backupNetworkPolicies } from "./backupNetworkPolicies";
import type { Manifest } from "./common";
import { imageScanningNetworkPolicies } from "./imageScanning";
import { loggingNetworkPolicies } from "./logging";
import { allow, byNamespace, defaultDenyIngress, tcp, type Peer } from "./policyBuilders";
import { MONITORING_NAMESPACE } from "./monitoring";
import { KURED_NAMESPACE } from "./reboots";
import { LOCAL_PATH_NAMESPACE } from "./storage";

/**
 * Ingress isolation of the namespaces the platform layer creates, and of Rancher's own that it applies
 * (RANCHER_NAMESPACES). Each gets a default-deny ingress policy and one policy per client that needs in,
 * so that no tenant pod (nor any other pod) reaches Alertmanager's silence API, Prometheus' view of every
 * tenant's metrics, Grafana, Rancher or the webhooks. Egress of the platform's pods stays open: Prometheus
 * scrapes every namespace and the add-ons talk to the API server and the internet (ACME, chart and image
 * sources).
 *
 * kube-system is left alone: k3s owns it and re-applies its own add-ons there (CoreDNS, metrics-server)
 * on every start, with ports that follow k3s releases; CoreDNS must admit every pod of the cluster and
 * metrics-server the API server. Tenants cannot reach it anyway but for DNS: their egress policy
 * (model/tenants.ts) admits only CoreDNS there.
 *
 * The cluster's network policy controller (kube-router, embedded in k3s) admits traffic from a pod's
 * own node by itself, so kubelet probes need no rule. Host-network pods (node-exporter: hostNetwork true
 * in prometheus-node-exporter 4.56.1, values.yaml) are outside every NetworkPolicy.
 *
 * A policy's port is matched against the selected pod's container ports (by name or number), never a
 * Service's: each one below is a container port of the pods it selects, read at the pinned versions
 * (versions.ts, and what Rancher 2.14.4 installs by itself: build.yaml) in the files named beside it.
 * test/fixtures/platform-pods.json records those ports and labels, and a test holds every allowance to it.
 */

/** Every pod of the policy's own namespace. */
const ownNamespace: Peer = { podSelector: {} };

/**
 * Where the API server's calls to a webhook's or an aggregated API's pod come from. It runs on the
 * control-plane nodes' host network: a call to a pod on another node leaves through flannel's interface
 * and carries that interface's address, which lies in the pod range (x.y.N.0 of the node's pod subnet);
 * a call routed by a node address carries the node's private address, in the network. A node's calls to
 * its own pods are admitted by the controller without a rule. The pod range also holds every pod's
 * address, which is why these peers only ever open the port the API server calls, and tenants' egress
 * policies keep tenant pods away from the platform's namespaces.
 */
function apiServerPeers(cluster: ClusterModel): Peer[] {
  return [{ ipBlock: { cidr: cluster.networkCidr } }, { ipBlock: { cidr: cluster.podCidr } }];
}

function traefik(): Manifest[] {
  const namespace = "traefik";
  return [
    defaultDenyIngress(namespace),
    // The ingress load balancer reaches Traefik through its NodePorts. kube-proxy forwards a NodePort
    // connection (externalTrafficPolicy Cluster) to a Traefik pod on any node and masquerades it: the pod
    // sees the load balancer's private address, or the forwarding node's flannel address in the pod
    // range. Neither is a pod a selector could name, and these ports are public by design: any source,
    // on the two entry points only (not the dashboard/ping port "traefik", not "metrics"). The chart
    // names each container port after its entry point: web 8000, websecure 8443, traefik 8080, metrics
    // 9100 (traefik chart 41.3.0: values.yaml `ports`, templates/_podtemplate.tpl and _helpers.tpl's
    // traefik.portname).
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
    // start-up check among them): on its container port "https", webhook.securePort 10250; the webhook's
    // pods carry the instance (release name) and component labels (cert-manager chart v1.21.1:
    // values.yaml, templates/webhook-deployment.yaml).
    allow("allow-webhook-from-api-server", namespace, {
      pods: { "app.kubernetes.io/instance": "cert-manager", "app.kubernetes.io/component": "webhook" },
      from: apiServerPeers(cluster),
      ports: [tcp("https")],
    }),
    // Controller, CA injector and webhook serve metrics on container port 9402 ("http-metrics"; the
    // chart's prometheus.enabled default) for Prometheus (cert-manager chart v1.21.1: templates/
    // deployment.yaml, cainjector-deployment.yaml, webhook-deployment.yaml).
    allow("allow-metrics-from-monitoring", namespace, {
      from: [byNamespace(MONITORING_NAMESPACE)],
      ports: [tcp(9402)],
    }),
  ];
}

/** cert-manager labels every HTTP-01 solver pod with it (cert-manager v1.21.1: pkg/apis/acme/v1/types.go). */
export const ACME_SOLVER_LABEL = "acme.cert-manager.io/http01-solver";

/**
 * With Let's Encrypt, cert-manager answers each HTTP-01 challenge from a solver pod it starts in the
 * namespace of the Certificate (the Issuer's for Rancher's own, Grafana's Ingress for Grafana's), and
 * Traefik routes the challenge path to it: without this, a platform namespace's default deny would fail
 * every issuance and renewal there. The solver listens on its container port "http", 8089 (cert-manager
 * v1.21.1: pkg/issuer/acme/http/pod.go and http.go). Tenants' namespaces admit Traefik already.
 */
function allowAcmeSolvers(config: StackConfig, namespace: string): Manifest[] {
  if (config.letsEncryptEmail === "" || !config.ingressEnabled) return [];
  return [
    allow("allow-acme-solver-from-traefik", namespace, {
      pods: { [ACME_SOLVER_LABEL]: "true" },
      from: [byNamespace("traefik")],
      ports: [tcp("http")],
    }),
  ];
}

/**
 * Rancher's pods carry the label app: rancher (the release's full name) and declare the container ports
 * 80, 443, 444 and 6666 without names (rancher chart 2.14.4: templates/deployment.yaml, _helpers.tpl).
 */
const RANCHER_PODS = { app: "rancher" };

function rancher(config: StackConfig, cluster: ClusterModel): Manifest[] {
  const namespace = "cattle-system";
  return [
    defaultDenyIngress(namespace),
    // Rancher's pods among themselves, and its agents for this cluster (cattle-cluster-agent and the
    // shell, helm-operation and upgrade pods Rancher starts here) calling Rancher. Agents of downstream
    // clusters arrive through the ingress like every browser, so through Traefik below.
    allow("allow-within-cattle-system", namespace, { from: [ownNamespace] }),
    // Rancher's Ingress: Traefik forwards to the rancher Service's port 80 (ingress.servicePort), whose
    // target is container port 80 (rancher chart 2.14.4: templates/ingate/ingress.yaml, service.yaml).
    allow("allow-rancher-from-traefik", namespace, {
      pods: RANCHER_PODS,
      from: [byNamespace("traefik")],
      ports: [tcp(80)],
    }),
    // Rancher 2.14 serves its imperative API (ext.cattle.io) as an aggregated API: the API server calls
    // the Rancher pods themselves on container port 6666 (the chart sets IMPERATIVE_API_DIRECT, so no proxy
    // pod sits between), and Rancher exits when no such call arrives within five minutes of its start
    // (rancher v2.14.4: pkg/ext/extension_apiserver.go, pkg/ext/rdp.go, pkg/rancher/rancher.go
    // checkAPIAggregationOrDie; chart/templates/deployment.yaml).
    allow("allow-imperative-api-from-api-server", namespace, {
      pods: RANCHER_PODS,
      from: apiServerPeers(cluster),
      ports: [tcp(6666)],
    }),
    // The API server calls rancher-webhook (which Rancher installs here) for Rancher's own objects and
    // RBAC, on its container port "https", 9443; its pods carry app: rancher-webhook (rancher-webhook
    // chart 0.10.9, which Rancher 2.14.4 installs, build.yaml webhookVersion: templates/deployment.yaml,
    // values.yaml).
    allow("allow-webhook-from-api-server", namespace, {
      pods: { app: "rancher-webhook" },
      from: apiServerPeers(cluster),
      ports: [tcp(9443)],
    }),
    // Rancher serves /metrics (token-authenticated) on its http port.
    allow("allow-metrics-from-monitoring", namespace, {
      pods: RANCHER_PODS,
      from: [byNamespace(MONITORING_NAMESPACE)],
      ports: [tcp(80)],
    }),
    // Rancher's own certificate, when it comes from Let's Encrypt (ingress.tls.source letsEncrypt: an
    // Issuer in this namespace, rancher chart 2.14.4 templates/ingate/issuer-letsEncrypt.yaml).
    ...allowAcmeSolvers(config, namespace),
  ];
}

function monitoring(config: StackConfig, cluster: ClusterModel): Manifest[] {
  const namespace = MONITORING_NAMESPACE;
  return [
    defaultDenyIngress(namespace),
    // Prometheus scrapes its own namespace (itself, Alertmanager, Grafana, kube-state-metrics, the
    // operator) and sends alerts to Alertmanager; Grafana queries both; Alertmanager replicas gossip.
    // Any port, so the ports the operator gives Prometheus and Alertmanager are not named here; nothing
    // outside the namespace reaches Alertmanager's or Prometheus' API.
    allow("allow-within-monitoring", namespace, { from: [ownNamespace] }),
    // Grafana's Ingress (when the stack has one): Traefik to Grafana's container port "grafana" (3000,
    // the chart's podPortName and service.targetPort), on the pods labelled app.kubernetes.io/name:
    // grafana (grafana chart 12.11.1, kube-prometheus-stack 88.5.3's dependency: values.yaml,
    // templates/_pod.tpl, _helpers.tpl). Prometheus and Alertmanager have no Ingress and no
    // authentication of their own, so Traefik gets nothing else here.
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
    // validation) on the operator's container port "https", tls.internalPort 10250; the operator serves
    // it itself (admissionWebhooks.deployment.enabled false), on pods labelled app:
    // kube-prometheus-stack-operator (kube-prometheus-stack 88.5.3: values.yaml, templates/
    // prometheus-operator/deployment.yaml and _prometheus-operator.tpl).
    allow("allow-webhook-from-api-server", namespace, {
      pods: { app: "kube-prometheus-stack-operator" },
      from: apiServerPeers(cluster),
      ports: [tcp("https")],
    }),
    // kured asks Prometheus for active alerts before each reboot (configuration.prometheusUrl, reboots.ts),
    // through its Service to the Prometheus pods' container port "http-web", 9090: the operator names the
    // port after prometheusSpec.portName and labels the pods app.kubernetes.io/name: prometheus
    // (kube-prometheus-stack 88.5.3: values.yaml; prometheus-operator v0.93: pkg/prometheus/common.go
    // MakeContainerPorts, pkg/prometheus/server/operator.go makeSelectorLabels). Without it every query
    // fails and kured, which treats a failed query as an alert, would never reboot a node.
    ...(config.rebootsEnabled
      ? [
          allow("allow-prometheus-from-kured", namespace, {
            pods: { "app.kubernetes.io/name": "prometheus" },
            from: [byNamespace(KURED_NAMESPACE)],
            ports: [tcp("http-web")],
          }),
        ]
      : []),
    // Grafana's certificate, when the cluster issuer is Let's Encrypt.
    ...allowAcmeSolvers(config, namespace),
  ];
}

/**
 * kured serves nothing but its metrics, on container port "metrics" (configuration.metricsPort 8080; kured
 * chart 6.1.0: templates/daemonset.yaml), for Prometheus. It calls the API server and Prometheus itself,
 * and platform egress is open.
 */
function kured(config: StackConfig): Manifest[] {
  const namespace = KURED_NAMESPACE;
  return [
    defaultDenyIngress(namespace),
    ...(config.monitoringEnabled
      ? [
          allow("allow-metrics-from-monitoring", namespace, {
            from: [byNamespace(MONITORING_NAMESPACE)],
            ports: [tcp("metrics")],
          }),
        ]
      : []),
  ];
}

/**
 * Policies of the namespaces the releases install into (PlatformModel.namespaces) and of Rancher's own
 * (rancherNamespaces), created right after them; the releases wait for them, so every add-on starts
 * isolated and its own start-up checks (the webhooks' among them) prove its allowances.
 */
export function platformNetworkPolicies(config: StackConfig, cluster: ClusterModel): Manifest[] {
  return [
    ...(config.ingressEnabled ? traefik() : []),
    ...certManager(cluster),
    ...(config.rancherEnabled ? [...rancher(config, cluster), ...rancherNamespacePolicies()] : []),
    ...(config.monitoringEnabled ? monitoring(config, cluster) : []),
    ...(config.rebootsEnabled ? kured(config) : []),
    ...imageScanningNetworkPolicies(config),
    ...backupNetworkPolicies(config, cluster),
    ...loggingNetworkPolicies(config),
  ];
}

/**
 * Namespaces Rancher creates at runtime for what it installs by itself, whose pods a policy of ours
 * can isolate. The program applies them before Rancher starts (with its label and no Pod Security level:
 * the servers' admission configuration exempts them, and an exemption ignores labels), so their pods
 * never run open; Rancher creates a namespace only when it is missing (rancher v2.14.4:
 * pkg/catalogv2/helmop/operation.go createNamespace), and the program never deletes them.
 * - cattle-fleet-system: Fleet's controllers (fleet 0.15.5, which Rancher 2.14.4 installs, build.yaml
 *   fleetVersion). No webhook; each serves metrics on its container port "metrics" (fleet-controller
 *   8080, gitjob and helmops 8081: charts/fleet/templates/deployment*.yaml, values.yaml metrics.enabled).
 *   gitjob's receiver of Git webhooks (Service gitjob, port 80) gets nothing: give it a policy of your
 *   own if you publish it through an Ingress.
 * - cattle-turtles-system: Rancher Turtles (0.26.4, build.yaml turtlesVersion) runs one controller that
 *   serves no webhook (charts/rancher-turtles has none) and declares no port; nothing connects to it.
 * Left alone, and why:
 * - cattle-fleet-local-system (Fleet's agent for this cluster): Fleet deploys an allow-all policy of its
 *   own there with the agent (fleet 0.15.5: internal/cmd/controller/agentmanagement/agent/manifest.go,
 *   default-allow-all), and policies add up: a deny beside it would admit exactly as much.
 * - cattle-capi-system: the Turtles chart creates it itself (templates/core-provider.yaml), and Helm
 *   refuses to install over a namespace another owner created; the Cluster API controller's admission and
 *   conversion webhooks live there.
 * - cattle-provisioning-capi-system: Rancher 2.14 uninstalls the chart there and deletes the namespace
 *   (pkg/controllers/dashboard/systemcharts/controller.go).
 * Tenants reach none of these: their egress admits no namespace but tenants' and CoreDNS.
 */
export const RANCHER_NAMESPACES = ["cattle-fleet-system", "cattle-turtles-system"] as const;

function rancherNamespacePolicies(): Manifest[] {
  const [fleet, turtles] = RANCHER_NAMESPACES;
  return [
    defaultDenyIngress(fleet),
    allow("allow-metrics-from-monitoring", fleet, {
      from: [byNamespace(MONITORING_NAMESPACE)],
      ports: [tcp("metrics")],
    }),
    defaultDenyIngress(turtles),
  ];
}

/**
 * local-path-storage, created with its own namespace in the local-path step: the provisioner and its
 * helper pods only call the API server and serve nothing, so nothing may connect to them.
 */
export function localPathNetworkPolicies(): Manifest[] {
  return [defaultDenyIngress(LOCAL_PATH_NAMESPACE)];
}
