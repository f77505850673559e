import type { StackConfig } from "../../config/schema";
import type { ClusterModel } from "../cluster";
import { NON_INTERNET_RANGES } from "../../names";
import { CLUSTER_DNS, INTERNET_CIDR } from "../tenants";
import { VELERO_NAMESPACE } from "./backups";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { manifestOf, metadata, type Manifest } from "./common";
import { MONITORING_NAMESPACE } from "./monitoring";
import { allow, byNamespace, defaultDenyIngress, tcp } from "./policyBuilders";

/**
 * Isolation of Velero's namespace (backups.ts). Ingress: nothing but Prometheus to the metrics port. The
 * server and the node agents both declare container port "http-monitoring", 8085, when metrics are on,
 * and carry app.kubernetes.io/name and instance "velero" (velero chart 11.4.0: templates/deployment.yaml,
 * node-agent-daemonset.yaml; test/fixtures/platform-pods.json).
 *
 * Egress, unlike the other platform namespaces, is held to what Velero needs, because its pods hold the
 * bucket's key and read every volume on their node: DNS, the API server, and HTTPS to the internet for the
 * S3 endpoint (a rule checks that the endpoint is https on 443; Hetzner's endpoints are public addresses
 * that can change, so no narrower block can name them). The API server is the servers' private address
 * on 6443: the `kubernetes` Service's endpoints are each server's advertise-address, its private IP
 * (model/k3s.ts), and a policy sees a Service connection after it was sent to the endpoint. This covers the
 * server, the node agents, the chart's CRD upgrade job and the repository maintenance jobs Velero starts.
 */
export const VELERO_EGRESS_POLICY = "velero-egress";
/** kube-apiserver's port on the servers (k3s's default https-listen-port). */
export const API_SERVER_PORT = 6443;

export function backupNetworkPolicies(config: StackConfig, cluster: ClusterModel): Manifest[] {
  if (!config.backupsEnabled) return [];
  const namespace = VELERO_NAMESPACE;
  return [
    defaultDenyIngress(namespace),
    ...(config.monitoringEnabled
      ? [
          allow("allow-metrics-from-monitoring", namespace, {
            from: [byNamespace(MONITORING_NAMESPACE)],
            ports: [tcp("http-monitoring")],
          }),
        ]
      : []),
    manifestOf<INetworkPolicy>({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata(VELERO_EGRESS_POLICY, namespace),
      spec: {
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          {
            to: [
              {
                namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": CLUSTER_DNS.namespace } },
                podSelector: { matchLabels: CLUSTER_DNS.podLabels },
              },
            ],
            ports: [
              { protocol: "UDP", port: 53 },
              { protocol: "TCP", port: 53 },
            ],
          },
          {
            to: [{ ipBlock: { cidr: cluster.networkCidr } }],
            ports: [{ protocol: "TCP", port: API_SERVER_PORT }],
          },
          {
            to: [{ ipBlock: { cidr: INTERNET_CIDR, except: NON_INTERNET_RANGES } }],
            ports: [{ protocol: "TCP", port: 443 }],
          },
        ],
      },
    }),
  ];
}
