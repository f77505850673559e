import { serverSizeOf, type Location } from "../config/catalogue";
import { PROJECT } from "../names";
import { parseCidr, parseIpv4, type Cidr } from "../config/ipv4";
import { poolOf } from "../config/nodePools";
import {
  deleteProtectionOf,
  locationOf,
  type NodeConfig,
  type StackConfig,
  type Taint,
} from "../config/schema";

export type NodeRole = "control-plane" | "worker";

/** A node as the cluster will run it: everything here derives from the node's own config entry. */
export interface NodeModel {
  /** Stable identity from the stack file. */
  name: string;
  /** Hetzner server name, also the Kubernetes node name. */
  serverName: string;
  role: NodeRole;
  serverType: string;
  location: Location;
  privateIp: string;
  volumeSizeGb?: number;
  /** Labels on the Hetzner server; the firewall and load balancers select nodes by them. */
  hetznerLabels: Record<string, string>;
  /** Kubernetes node labels (from config, plus the role). */
  kubernetesLabels: Record<string, string>;
  taints: Taint[];
  /** Spread placement group (at most ten servers each, see placementGroupFor). */
  placementGroup: string;
  deleteProtection: boolean;
  /** The node pool it belongs to (its name is `<pool>-<index>`); absent for a node the stack lists itself. */
  pool?: string;
  capacity: { vcpus: number; memoryGb: number; diskGb: number };
}

export function subnetOf(config: StackConfig): Cidr {
  const subnet = parseCidr(config.nodeSubnetCidr);
  if (typeof subnet === "string") throw new Error(`unvalidated config: ${subnet}`);
  return subnet;
}

/** The selector that matches every server of the cluster (firewall, ingress load balancer). */
export function clusterSelector(clusterName: string): string {
  return `cluster=${clusterName}`;
}

export function controlPlaneSelector(clusterName: string): string {
  return `${clusterSelector(clusterName)},role=control-plane`;
}

/**
 * Control-plane nodes share one spread group (at most nine of them, so it never overflows). Workers are
 * grouped by the tens digit of their address in the subnet: ten addresses, so never more than ten servers
 * in a group, and a node's group depends on its own address alone, so removing a node moves no other.
 */
export function placementGroupFor(role: NodeRole, privateIp: number, subnet: Cidr): string {
  if (role === "control-plane") return "control-plane";
  return `workers-${Math.floor((privateIp - subnet.base) / 10)}`;
}

export function buildNode(config: StackConfig, node: NodeConfig): NodeModel {
  const subnet = subnetOf(config);
  const privateIp = node.privateIp ?? "";
  const ip = parseIpv4(privateIp);
  if (ip === undefined) throw new Error(`unvalidated config: node ${node.name} has no private IP`);
  const serverType = serverSizeOf(node.serverType);
  if (!serverType)
    throw new Error(`unvalidated config: node ${node.name} has unknown server type ${node.serverType}`);
  const location = locationOf(config, node) as Location;
  const pool = poolOf(config, node.name)?.name;
  return {
    name: node.name,
    serverName: `${config.clusterName}-${node.name}`,
    role: node.role,
    serverType: node.serverType,
    location,
    privateIp,
    volumeSizeGb: node.volumeSizeGb,
    hetznerLabels: {
      cluster: config.clusterName,
      node: node.name,
      role: node.role,
      "managed-by": PROJECT,
      ...(pool !== undefined && { pool }),
    },
    kubernetesLabels: {
      ...node.labels,
      [`${PROJECT}.io/node`]: node.name,
      [`${PROJECT}.io/role`]: node.role,
      // topology.kubernetes.io/region and zone are the Hetzner cloud controller's (location, datacenter).
      // The local-volume storage class schedules only onto nodes with a volume of their own.
      ...(node.volumeSizeGb !== undefined && { [`${PROJECT}.io/volume`]: "true" }),
      ...(pool !== undefined && { [`${PROJECT}.io/pool`]: pool }),
    },
    taints: node.taints ?? [],
    placementGroup: placementGroupFor(node.role, ip, subnet),
    deleteProtection: deleteProtectionOf(node),
    ...(pool !== undefined && { pool }),
    capacity: { vcpus: serverType.vcpus, memoryGb: serverType.memoryGb, diskGb: serverType.diskGb },
  };
}
