import { NETWORK_ZONES, type Location, type NetworkZone } from "../config/catalogue";
import type { StackConfig } from "../config/schema";
import { buildAutoscaling, type AutoscalingModel } from "./autoscaling";
import { buildCloudInit } from "./cloudInit";
import { buildK3sModel, type K3sModel } from "./k3s";
import { buildGateway, nodeNetworkingOf, type GatewayModel, type NodeNetworking } from "./gateway";
import {
  buildFirewalls,
  buildLoadBalancers,
  KUBE_API_PORT,
  type FirewallModel,
  type LoadBalancerModel,
} from "./network";
import { buildNodePools, type NodePoolModel } from "./nodePools";
import { buildNode, type NodeModel } from "./nodes";
import { platformSettingsOf, type PlatformSettings } from "./platform/settings";
import { buildPool, type PoolModel } from "./pool";
import { buildTenant, type TenantModel } from "./tenants";

/** The desired cluster, computed from validated config alone. No Pulumi here: the plan and console reuse it. */
export interface ClusterModel {
  name: string;
  location: Location;
  networkZone: NetworkZone;
  networkCidr: string;
  nodeSubnetCidr: string;
  podCidr: string;
  serviceCidr: string;
  image: string;
  apiExposure: StackConfig["apiExposure"];
  nodes: NodeModel[];
  /** The pools the nodes from `<pool>-1` on come from, and the autoscaled ones. */
  nodePools: NodePoolModel[];
  /** The autoscaled pools, whose servers the cluster-autoscaler creates (model/autoscaling.ts). */
  autoscaling: AutoscalingModel;
  firewalls: FirewallModel[];
  /** The bastion and NAT server of a cluster with private nodes (model/gateway.ts). */
  gateway?: GatewayModel;
  /** Whether the nodes have public addresses, and a private node's default route. */
  networking: NodeNetworking;
  loadBalancers: LoadBalancerModel[];
  /** Names of the spread placement groups in use, sorted. */
  placementGroups: string[];
  cloudInit: string;
  k3s: K3sModel;
  tenants: TenantModel[];
  pool: PoolModel;
  /** What the platform component decides by (model/platform/settings.ts). */
  platform: PlatformSettings;
}

export function buildClusterModel(config: StackConfig): ClusterModel {
  const location = config.location as Location;
  const nodes = config.nodes.map((node) => buildNode(config, node));
  const loadBalancers = buildLoadBalancers(config);
  const api = loadBalancers.find((lb) => lb.name === "api");
  if (!api) throw new Error("the API load balancer is missing from the model");
  const k3s = buildK3sModel(config, nodes, api.privateIp);
  const autoscaling = buildAutoscaling(config, k3s.apiPrivateUrl);
  const gateway = buildGateway(config, api.privateIp, KUBE_API_PORT);
  const networking = nodeNetworkingOf(config);
  return {
    name: config.clusterName,
    location,
    networkZone: NETWORK_ZONES[location],
    networkCidr: config.networkCidr,
    nodeSubnetCidr: config.nodeSubnetCidr,
    podCidr: config.podCidr,
    serviceCidr: config.serviceCidr,
    image: config.serverImage,
    apiExposure: config.apiExposure,
    nodes,
    nodePools: buildNodePools(config),
    autoscaling,
    firewalls: buildFirewalls(config),
    ...(gateway && { gateway }),
    networking,
    loadBalancers,
    placementGroups: [
      ...new Set([
        ...nodes.map((node) => node.placementGroup),
        ...autoscaling.pools.map((pool) => pool.placementGroup),
      ]),
    ].sort(),
    cloudInit: buildCloudInit(config.sshPublicKeys, undefined, networking.privateRoute),
    k3s,
    tenants: config.tenants.map((tenant) =>
      buildTenant(tenant, { imageScanning: config.imageScanningEnabled }),
    ),
    pool: buildPool(config),
    platform: platformSettingsOf(config),
  };
}
