import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";

export interface ClusterNetworkArgs {
  /** Prefix of Hetzner names, usually the cluster name. */
  clusterName: string;
  networkZone: string;
  /** @default "10.0.0.0/16" in the stack config */
  networkCidr: string;
  /** Cloud subnet the nodes and load balancers live in. */
  nodeSubnetCidr: string;
  /** The autoscaled pools' own subnets, by pool name (model/autoscaling.ts). */
  poolSubnets: { pool: string; ipRange: string }[];
  labels: Record<string, string>;
}

/** The private network every node and load balancer is attached to, with its subnets. */
export class ClusterNetwork extends pulumi.ComponentResource {
  readonly network: hcloud.Network;
  readonly subnet: hcloud.NetworkSubnet;
  readonly poolSubnets: hcloud.NetworkSubnet[];

  constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:infra:ClusterNetwork", name, {}, opts);
    ({
      network: this.network,
      subnet: this.subnet,
      poolSubnets: this.poolSubnets,
    } = createNetwork(name, args, this));
    this.registerOutputs({ networkId: this.network.id });
  }
}

function createNetwork(name: string, args: ClusterNetworkArgs, parent: pulumi.Resource) {
  const network = new hcloud.Network(
    name,
    { name: args.clusterName, ipRange: args.networkCidr, labels: args.labels },
    { parent },
  );
  const subnet = new hcloud.NetworkSubnet(
    `${name}-nodes`,
    {
      networkId: network.id.apply(Number),
      type: "cloud",
      networkZone: args.networkZone,
      ipRange: args.nodeSubnetCidr,
    },
    { parent },
  );
  // Where Hetzner picks the addresses of an autoscaled pool's servers: never in the nodes' own subnet.
  const poolSubnets = args.poolSubnets.map(
    (pool) =>
      new hcloud.NetworkSubnet(
        `${name}-pool-${pool.pool}`,
        {
          networkId: network.id.apply(Number),
          type: "cloud",
          networkZone: args.networkZone,
          ipRange: pool.ipRange,
        },
        { parent },
      ),
  );
  return { network, subnet, poolSubnets };
}
