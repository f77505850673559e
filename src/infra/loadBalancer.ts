import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { LoadBalancerModel } from "../model/network";

export interface ClusterLoadBalancerArgs {
  clusterName: string;
  location: string;
  model: LoadBalancerModel;
  subnet: hcloud.NetworkSubnet;
  labels: Record<string, string>;
}

/** A Hetzner load balancer on the private network, forwarding TCP to the nodes its selector matches. */
export class ClusterLoadBalancer extends pulumi.ComponentResource {
  readonly loadBalancer: hcloud.LoadBalancer;
  /** Public IPv4, or undefined for a private-only load balancer. */
  readonly publicIpv4: pulumi.Output<string | undefined>;
  readonly privateIp: string;

  constructor(name: string, args: ClusterLoadBalancerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:infra:ClusterLoadBalancer", name, {}, opts);
    this.loadBalancer = createLoadBalancer(name, args, this);
    this.publicIpv4 = args.model.publicInterface ? this.loadBalancer.ipv4 : pulumi.output(undefined);
    this.privateIp = args.model.privateIp;
    this.registerOutputs({ publicIpv4: this.publicIpv4 });
  }
}

function createLoadBalancer(name: string, args: ClusterLoadBalancerArgs, parent: pulumi.Resource) {
  const { model } = args;
  const loadBalancer = new hcloud.LoadBalancer(
    name,
    {
      name: `${args.clusterName}-${model.name}`,
      loadBalancerType: model.type,
      location: args.location,
      labels: { ...args.labels, "load-balancer": model.name },
      algorithm: { type: "round_robin" },
    },
    { parent },
  );
  const loadBalancerId = loadBalancer.id.apply(Number);
  const attachment = new hcloud.LoadBalancerNetwork(
    `${name}-network`,
    {
      loadBalancerId,
      subnetId: args.subnet.id,
      ip: model.privateIp,
      enablePublicInterface: model.publicInterface,
    },
    { parent, dependsOn: [args.subnet] },
  );
  new hcloud.LoadBalancerTarget(
    `${name}-targets`,
    { type: "label_selector", loadBalancerId, labelSelector: model.targetSelector, usePrivateIp: true },
    { parent, dependsOn: [attachment] },
  );
  for (const service of model.services) {
    new hcloud.LoadBalancerService(
      `${name}-${service.name}`,
      {
        loadBalancerId: loadBalancer.id,
        protocol: "tcp",
        listenPort: service.listenPort,
        destinationPort: service.destinationPort,
        healthCheck: {
          protocol: service.healthCheck.protocol === "https" ? "http" : "tcp",
          port: service.destinationPort,
          interval: 5,
          timeout: 3,
          retries: 3,
          // tls: the check speaks HTTPS to the target, as the API only does (Hetzner's health check "tls").
          ...(service.healthCheck.protocol === "https" && {
            http: { path: service.healthCheck.path, tls: true, statusCodes: ["2??"] },
          }),
        },
      },
      { parent },
    );
  }
  return loadBalancer;
}
