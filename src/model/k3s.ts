import { parseK3sVersion, supportsConcurrentServerJoins } from "../config/k3sRules";
import type { StackConfig, Taint } from "../config/schema";
import { anonymousHealthChecks, KUBE_API_PORT } from "./network";
import type { NodeModel } from "./nodes";
import { KUBELET_RESERVE } from "./pool";

const MIB = 2 ** 20;

/** How each node runs k3s, computed from config and the node models alone. */

/** Name of a node's command that keeps its taints current (see K3sNodeModel.taints). */
export function taintsCommandName(nodeName: string): string {
  return `${nodeName}-taints`;
}

/** Whether a command name is one of taintsCommandName's. */
export function isTaintsCommandName(name: string): boolean {
  return name.endsWith("-taints");
}

/**
 * Name of the command that formats (if blank), mounts and grows a node's own volume whenever the volume
 * appears, is replaced or grows; only nodes with a volume have one.
 */
export function volumeCommandName(nodeName: string): string {
  return `${nodeName}-prepare-volume`;
}

/** Whether a command name is one of volumeCommandName's. */
export function isVolumeCommandName(name: string): boolean {
  return name.endsWith("-prepare-volume");
}

export type K3sRole = "server" | "agent";

export interface K3sNodeModel {
  name: string;
  serverName: string;
  privateIp: string;
  role: K3sRole;
  /** The one server that runs `cluster-init`; every other node joins through the API load balancer. */
  initializesCluster: boolean;
  /**
   * Content of /etc/rancher/k3s/config.yaml, except what only the cloud or the node knows: the API load
   * balancer's public address (added to tls-san) and the private interface (found on the node by its IP).
   */
  config: Record<string, unknown>;
  /**
   * Taints the node registers with (k3s applies them only at registration), and for the initial server
   * `cluster-init`. Only the bootstrap writes them; afterwards `taints` keeps the taints current and the
   * Kubernetes layer the labels, so editing either restarts nothing.
   */
  registration: Record<string, unknown>;
  /**
   * config.yaml as the bootstrap writes it: `config` with the registration settings, and on the initial
   * server `cluster-init` instead of `server` (there is nothing to join yet). Every later write is
   * `config`, the same for every server whoever initialized the cluster, so removing the first
   * control-plane node restarts no other.
   */
  bootstrapConfig: Record<string, unknown>;
  /**
   * The node's taints as `key[=value]:Effect`, kept current after registration by apply-node-taints.sh,
   * which changes them one at a time and leaves every taint it did not set alone.
   */
  taints: string[];
  /** Nodes whose bootstrap must have finished before this node's starts. */
  joinsAfter: string[];
  /** The node whose reconfiguration must finish before this one's: changes roll one node at a time. */
  rollsAfter?: string;
  /** A control-plane node that drains and deletes this node before its server is destroyed. */
  drainFrom?: string;
}

export interface K3sModel {
  version: string;
  concurrentServerJoins: boolean;
  /** Servers answer /livez and /readyz anonymously (see anonymousHealthChecks). */
  anonymousHealthChecks: boolean;
  /** The address joining nodes and in-cluster clients use: the API load balancer's private IP. */
  apiPrivateUrl: string;
  nodes: K3sNodeModel[];
  snapshotsToS3: boolean;
}

export const K3S_PATHS = {
  token: "/etc/rancher/k3s/token",
  auditPolicy: "/etc/rancher/k3s/audit-policy.yaml",
  authenticationConfig: "/etc/rancher/k3s/authentication-config.yaml",
  podSecurity: "/etc/rancher/k3s/pod-security.yaml",
  auditLog: "/var/log/kubernetes/audit/audit.log",
} as const;

/**
 * k3s add-ons the platform layer replaces with its own (Hetzner CCM/CSI, local-path, ingress). k3s's
 * metrics-server stays: it serves metrics.k8s.io, which horizontal pod autoscaling and kubectl top read.
 */
const DISABLED_COMPONENTS = ["servicelb", "local-storage", "traefik"];

/** Taints as k3s's node-taint takes them, `key[=value]:Effect`. */
export function k3sTaints(taints: readonly Taint[]): string[] {
  return taints.map((taint) => `${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`);
}

/** `system-reserved=cpu=250m,memory=512Mi` and its kube-reserved sibling for a node's role. */
export function kubeletReservations(role: NodeModel["role"]): string[] {
  const reserve = KUBELET_RESERVE[role];
  const amounts = (part: { cpu: number; memory: number }) =>
    `cpu=${Math.round(part.cpu * 1000)}m,memory=${Math.round(part.memory / MIB)}Mi`;
  return [`system-reserved=${amounts(reserve.system)}`, `kube-reserved=${amounts(reserve.kube)}`];
}

/** Settings every node shares, servers and agents alike. */
function agentSettings(node: NodeModel): Record<string, unknown> {
  return { "node-name": node.serverName, "node-ip": node.privateIp, ...sharedAgentSettings(node.role) };
}

/**
 * What an agent's config.yaml says whatever its name and address; an autoscaled node adds those two
 * itself once it knows them (model/autoscaling.ts).
 */
export function sharedAgentSettings(role: NodeModel["role"]): Record<string, unknown> {
  return {
    "token-file": K3S_PATHS.token,
    // The Hetzner cloud controller (platform layer) sets provider IDs and addresses; the reservations
    // are the pool's (model/pool.ts), so quotas promise only what pods can really get.
    "kubelet-arg": ["cloud-provider=external", ...kubeletReservations(role)],
    // Metrics bind on every interface; the firewall keeps them off the public one.
    "kube-proxy-arg": ["metrics-bind-address=0.0.0.0:10249"],
  };
}

/**
 * The taints a node registers with, so no workload lands on it before they apply. Labels are not here:
 * a label set at registration is co-owned by k3s's field manager, so removing it from the program's
 * NodePatch would not remove it from the Node (seen in the real tier); the NodePatch alone sets them.
 */
function registrationSettings(node: NodeModel): Record<string, unknown> {
  return node.taints.length > 0 ? { "node-taint": k3sTaints(node.taints) } : {};
}

/** Settings that must be identical on every server (k3s refuses a join otherwise) plus per-server ones. */
function serverSettings(config: StackConfig, node: NodeModel, staticSans: string[]): Record<string, unknown> {
  const s3 = config.etcdS3Bucket !== "";
  return {
    "advertise-address": node.privateIp,
    "tls-san": staticSans,
    "cluster-cidr": config.podCidr,
    "service-cidr": config.serviceCidr,
    "flannel-backend": config.flannelBackend,
    disable: DISABLED_COMPONENTS,
    "disable-cloud-controller": true,
    "secrets-encryption": true,
    "write-kubeconfig-mode": "0600",
    "kube-apiserver-arg": [
      ...(anonymousHealthChecks(config) ? [`authentication-config=${K3S_PATHS.authenticationConfig}`] : []),
      // Pod Security for namespaces without labels of their own (scripts/k3s-pod-security.yaml): k3s has
      // no setting for it, and leaves such namespaces privileged.
      `admission-control-config-file=${K3S_PATHS.podSecurity}`,
      `audit-policy-file=${K3S_PATHS.auditPolicy}`,
      `audit-log-path=${K3S_PATHS.auditLog}`,
      "audit-log-maxage=30",
      "audit-log-maxbackup=10",
      "audit-log-maxsize=100",
    ],
    "etcd-expose-metrics": true,
    "kube-controller-manager-arg": ["bind-address=0.0.0.0"],
    "kube-scheduler-arg": ["bind-address=0.0.0.0"],
    "etcd-snapshot-schedule-cron": config.etcdSnapshotSchedule,
    "etcd-snapshot-retention": config.etcdSnapshotRetention,
    ...(s3 && {
      "etcd-s3": true,
      "etcd-s3-endpoint": config.etcdS3Endpoint,
      "etcd-s3-bucket": config.etcdS3Bucket,
      ...(config.etcdS3Region && { "etcd-s3-region": config.etcdS3Region }),
      ...(config.etcdS3Folder && { "etcd-s3-folder": config.etcdS3Folder }),
    }),
  };
}

export function buildK3sModel(config: StackConfig, nodes: NodeModel[], apiPrivateIp: string): K3sModel {
  const version = parseK3sVersion(config.k3sVersion);
  const concurrentServerJoins = version !== undefined && supportsConcurrentServerJoins(version);
  const apiPrivateUrl = `https://${apiPrivateIp}:${KUBE_API_PORT}`;
  const servers = nodes.filter((node) => node.role === "control-plane");
  const agents = nodes.filter((node) => node.role === "worker");
  const [initial] = servers;
  const staticSans = [apiPrivateIp, ...(config.apiHostname ? [config.apiHostname] : [])];
  // Servers roll before agents, each in list order.
  const rollOrder = [...servers, ...agents];

  const k3sNodes = rollOrder.map((node, index): K3sNodeModel => {
    const isServer = node.role === "control-plane";
    const initializesCluster = node === initial;
    const previousServer = servers[servers.indexOf(node) - 1];
    const joinsAfter = initializesCluster
      ? []
      : isServer && !concurrentServerJoins && previousServer
        ? [previousServer.name]
        : [initial.name];
    const settings = {
      ...agentSettings(node),
      server: apiPrivateUrl,
      ...(isServer && serverSettings(config, node, staticSans)),
    };
    const registration = {
      ...(initializesCluster && { "cluster-init": true }),
      ...registrationSettings(node),
    };
    const initialSettings: Record<string, unknown> = { ...settings };
    delete initialSettings.server;
    return {
      name: node.name,
      serverName: node.serverName,
      privateIp: node.privateIp,
      role: isServer ? "server" : "agent",
      initializesCluster,
      config: settings,
      registration,
      bootstrapConfig: { ...(initializesCluster ? initialSettings : settings), ...registration },
      taints: k3sTaints(node.taints),
      joinsAfter,
      rollsAfter: rollOrder[index - 1]?.name,
      drainFrom: servers.find((server) => server !== node)?.name,
    };
  });
  // Keep the stack file's order for everything that lists nodes.
  const byName = new Map(k3sNodes.map((node) => [node.name, node]));
  return {
    version: config.k3sVersion,
    concurrentServerJoins,
    anonymousHealthChecks: anonymousHealthChecks(config),
    apiPrivateUrl,
    nodes: nodes.map((node) => {
      const found = byName.get(node.name);
      if (!found) throw new Error(`k3s model: no entry for node ${node.name}`);
      return found;
    }),
    snapshotsToS3: config.etcdS3Bucket !== "",
  };
}
