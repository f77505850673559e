import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { entryOf } from "../lookup";
import { PROJECT } from "../names";
import type { ClusterModel } from "../model/cluster";
import { placementGroupName, provisionerKeyName } from "../model/network";
import { ClusterFirewalls } from "./firewalls";
import { GatewayServer } from "./gateway";
import { ClusterLoadBalancer } from "./loadBalancer";
import { ClusterNetwork } from "./network";
import { NodeServer } from "./node";

export interface HetznerInfrastructureArgs {
  model: ClusterModel;
}

/** The Hetzner Cloud layer: network, firewalls, placement groups, load balancers, servers and volumes. */
export class HetznerInfrastructure extends pulumi.ComponentResource {
  readonly nodes: Map<string, NodeServer>;
  readonly loadBalancers: Map<string, ClusterLoadBalancer>;
  readonly network: hcloud.Network;
  /** The autoscaled pools' subnets, which the cluster-autoscaler attaches their servers to. */
  readonly poolSubnets: hcloud.NetworkSubnet[];
  /** With private nodes: the bastion and NAT server. */
  readonly gateway?: GatewayServer;
  /** The key the program itself uses to reach the nodes over SSH. */
  readonly sshPrivateKey: pulumi.Output<string>;

  constructor(name: string, args: HetznerInfrastructureArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:infra:HetznerInfrastructure", name, {}, opts);
    const created = createInfrastructure(args.model, this);
    this.nodes = created.nodes;
    this.loadBalancers = created.loadBalancers;
    this.network = created.network;
    this.poolSubnets = created.poolSubnets;
    this.sshPrivateKey = created.sshPrivateKey;
    this.gateway = created.gateway;
    this.registerOutputs({
      networkId: this.network.id,
      serverIds: Object.fromEntries([...this.nodes].map(([node, server]) => [node, server.server.id])),
      sshPrivateKey: this.sshPrivateKey,
      ...(this.gateway && { gatewayIpv4: this.gateway.server.ipv4Address }),
    });
  }
}

function createInfrastructure(model: ClusterModel, parent: pulumi.Resource) {
  const labels = { cluster: model.name, "managed-by": PROJECT };
  const key = new tls.PrivateKey("provisioner-ssh", { algorithm: "ED25519" }, { parent });
  const sshKey = new hcloud.SshKey(
    "provisioner-ssh",
    { name: provisionerKeyName(model.name), publicKey: key.publicKeyOpenssh, labels },
    { parent },
  );
  const { network, subnet, poolSubnets } = new ClusterNetwork(
    "network",
    {
      clusterName: model.name,
      networkZone: model.networkZone,
      networkCidr: model.networkCidr,
      nodeSubnetCidr: model.nodeSubnetCidr,
      poolSubnets: model.autoscaling.pools.map((pool) => ({ pool: pool.name, ipRange: pool.subnet })),
      labels,
    },
    { parent },
  );
  const { firewalls } = new ClusterFirewalls(
    "firewalls",
    { clusterName: model.name, firewalls: model.firewalls, labels },
    { parent },
  );
  const placementGroups = new Map(
    model.placementGroups.map((group) => [
      group,
      new hcloud.PlacementGroup(
        `placement-${group}`,
        { name: placementGroupName(model.name, group), type: "spread", labels },
        { parent },
      ),
    ]),
  );
  const loadBalancers = new Map(
    model.loadBalancers.map((lb) => [
      lb.name,
      new ClusterLoadBalancer(
        `lb-${lb.name}`,
        { clusterName: model.name, location: model.location, model: lb, subnet, labels },
        { parent },
      ),
    ]),
  );
  const sshPrivateKey = pulumi.secret(key.privateKeyOpenssh);
  const gateway = model.gateway
    ? new GatewayServer(
        "gateway",
        { model: model.gateway, image: model.image, sshKey, network, subnet, firewalls, sshPrivateKey },
        { parent },
      )
    : undefined;
  const nodes = new Map(
    model.nodes.map((node) => [
      node.name,
      new NodeServer(
        node.name,
        {
          node,
          image: model.image,
          userData: model.cloudInit,
          sshKey,
          network,
          subnet,
          placementGroup: entryOf(placementGroups, node.placementGroup, "the placement groups", parent),
          firewalls,
          publicAddresses: model.networking.publicAddresses,
          after: gateway?.ready ?? [],
        },
        { parent },
      ),
    ]),
  );
  return {
    nodes,
    loadBalancers,
    network,
    poolSubnets,
    sshPrivateKey,
    gateway,
  };
}
