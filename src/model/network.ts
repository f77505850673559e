import { formatIpv4 } from "../config/ipv4";
import { parseK3sVersion, supportsAnonymousHealthChecks } from "../config/k3sRules";
import { LOAD_BALANCER_HOSTS } from "../config/nodeAddresses";
import type { StackConfig } from "../config/schema";
import { gatewaySelector } from "./gateway";
import { clusterSelector, controlPlaneSelector, subnetOf } from "./nodes";

/** What the firewalls and load balancers expose: pure data the components turn into Hetzner resources. */

export interface FirewallRuleModel {
  description: string;
  protocol: "tcp" | "udp" | "icmp";
  port?: string;
  sourceIps: string[];
}

/** The Hetzner SSH key of the program's own provisioning key. */
export function provisionerKeyName(clusterName: string): string {
  return `${clusterName}-provisioner`;
}

/** A spread placement group's Hetzner name (model/nodes.ts placementGroupFor, autoscaled pools' own). */
export function placementGroupName(clusterName: string, group: string): string {
  return `${clusterName}-${group}`;
}

/** A firewall's Hetzner name (the cluster-autoscaler names the nodes' firewall for the servers it creates). */
export function firewallName(clusterName: string, name: FirewallModel["name"]): string {
  return `${clusterName}-${name}`;
}

export interface FirewallModel {
  /** Short name: the Hetzner firewall is `<cluster>-<name>` (firewallName). */
  name: string;
  /** Hetzner label selector of the servers it applies to. */
  selector: string;
  inbound: FirewallRuleModel[];
}

export interface LoadBalancerServiceModel {
  name: string;
  listenPort: number;
  destinationPort: number;
  /**
   * How the load balancer decides that a target is up: an open TCP port, or an HTTPS request answered with
   * 2xx. The API service asks /readyz where the servers answer it anonymously: k3s's supervisor listens on
   * 6443 before the API server and etcd are ready, and a join or roll through the load balancer must not
   * reach such a server.
   */
  healthCheck: { protocol: "tcp" } | { protocol: "https"; path: string };
}

export interface LoadBalancerModel {
  name: "api" | "ingress";
  type: string;
  privateIp: string;
  /** A private-only load balancer has no public address at all. */
  publicInterface: boolean;
  targetSelector: string;
  services: LoadBalancerServiceModel[];
}

const ANYWHERE = ["0.0.0.0/0", "::/0"];
export const KUBE_API_PORT = 6443;
/** The ingress controller (platform layer) listens on these NodePorts; only the load balancer reaches them. */
export const INGRESS_NODE_PORTS = { http: 30080, https: 30443 } as const;

/**
 * Public exposure of the nodes. Node-to-node and load-balancer traffic uses the private network, which
 * Hetzner firewalls do not filter, so etcd, kubelet, flannel and NodePorts never need a public rule. With
 * private nodes the nodes have no public interface and admit nothing; the gateway takes SSH (and a
 * firewalled API) in their place.
 */
export function buildFirewalls(config: StackConfig): FirewallModel[] {
  const icmp: FirewallRuleModel = {
    description: "ICMP (ping, path MTU discovery)",
    protocol: "icmp",
    sourceIps: ANYWHERE,
  };
  const ssh: FirewallRuleModel = {
    description: "SSH from the configured sources",
    protocol: "tcp",
    port: "22",
    sourceIps: config.sshAllowedSources,
  };
  const api: FirewallRuleModel = {
    description: "Kubernetes API from the configured sources",
    protocol: "tcp",
    port: String(KUBE_API_PORT),
    sourceIps: config.apiAllowedSources,
  };
  const firewalled = config.apiExposure === "firewalled";
  const nodes: FirewallModel = {
    name: "nodes",
    selector: clusterSelector(config.clusterName),
    // Kept with private nodes: the cluster-autoscaler attaches it by name, and a public interface someone
    // adds by hand would be closed.
    inbound: config.privateNodes ? [] : [icmp, ssh],
  };
  if (config.privateNodes) {
    const gateway: FirewallModel = {
      name: "gateway",
      selector: gatewaySelector(config.clusterName),
      inbound: [icmp, ssh, ...(firewalled ? [api] : [])],
    };
    return [nodes, gateway];
  }
  if (!firewalled) return [nodes];
  return [nodes, { name: "api", selector: controlPlaneSelector(config.clusterName), inbound: [api] }];
}

/**
 * The API load balancer always exists (joins and in-cluster clients use its private address); it is public
 * only with apiExposure "load-balancer", because Hetzner load balancers cannot filter by source address.
 * Ingress gets its own load balancer so that 6443 only ever reaches control-plane nodes.
 */
/** Whether the servers answer /livez and /readyz anonymously (see supportsAnonymousHealthChecks). */
export function anonymousHealthChecks(config: StackConfig): boolean {
  const version = parseK3sVersion(config.k3sVersion);
  return version !== undefined && supportsAnonymousHealthChecks(version);
}

export function buildLoadBalancers(config: StackConfig): LoadBalancerModel[] {
  const subnet = subnetOf(config);
  const api: LoadBalancerModel = {
    name: "api",
    type: config.loadBalancerType,
    privateIp: formatIpv4(subnet.base + LOAD_BALANCER_HOSTS.api),
    publicInterface: config.apiExposure === "load-balancer",
    targetSelector: controlPlaneSelector(config.clusterName),
    services: [
      {
        name: "kube-api",
        listenPort: KUBE_API_PORT,
        destinationPort: KUBE_API_PORT,
        healthCheck: anonymousHealthChecks(config)
          ? { protocol: "https", path: "/readyz" }
          : { protocol: "tcp" },
      },
    ],
  };
  if (!config.ingressEnabled) return [api];
  const ingress: LoadBalancerModel = {
    name: "ingress",
    type: config.loadBalancerType,
    privateIp: formatIpv4(subnet.base + LOAD_BALANCER_HOSTS.ingress),
    publicInterface: true,
    targetSelector: clusterSelector(config.clusterName),
    services: [
      {
        name: "http",
        listenPort: 80,
        destinationPort: INGRESS_NODE_PORTS.http,
        healthCheck: { protocol: "tcp" },
      },
      {
        name: "https",
        listenPort: 443,
        destinationPort: INGRESS_NODE_PORTS.https,
        healthCheck: { protocol: "tcp" },
      },
    ],
  };
  return [api, ingress];
}
