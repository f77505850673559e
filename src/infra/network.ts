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
  labels: Record<string, string>;
}

/** The private network every node and load balancer is attached to. */
export class ClusterNetwork extends pulumi.ComponentResource {
  readonly network: hcloud.Network;
  readonly subnet: hcloud.NetworkSubnet;

  constructor(name: string, args: ClusterNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:infra:ClusterNetwork", name, {}, opts);
    ({ network: this.network, subnet: this.subnet } = createNetwork(name, args, this));
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
  return { network, subnet };
}
