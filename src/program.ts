import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "./config/schema";
import { KUBE_API_PORT } from "./model/network";
import { buildClusterModel } from "./model/cluster";
import { HetznerInfrastructure } from "./infra/hetznerInfrastructure";

/**
 * The whole program, from validated config to stack outputs. `index.ts` runs it under the Pulumi
 * engine; the offline plan runs the very same function under mocks.
 */
export function defineCluster(config: StackConfig) {
  const model = buildClusterModel(config);
  const infra = new HetznerInfrastructure(model.name, { model });

  const api = infra.loadBalancers.get("api");
  const ingress = infra.loadBalancers.get("ingress");
  const firstControlPlane = model.nodes.find((node) => node.role === "control-plane");
  const apiHost =
    model.apiExposure === "load-balancer" || !firstControlPlane
      ? (api?.publicIpv4 ?? pulumi.output(undefined))
      : (infra.nodes.get(firstControlPlane.name)?.server.ipv4Address ?? pulumi.output(undefined));

  return {
    apiEndpoint: pulumi.interpolate`https://${apiHost}:${KUBE_API_PORT}`,
    apiLoadBalancerPrivateIp: api?.privateIp,
    apiLoadBalancerIpv4: api?.publicIpv4,
    ingressLoadBalancerIpv4: ingress?.publicIpv4,
    nodes: model.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      serverType: node.serverType,
      location: node.location,
      privateIp: node.privateIp,
      publicIpv4: infra.nodes.get(node.name)?.server.ipv4Address,
    })),
    sshPrivateKey: infra.sshPrivateKey,
  };
}

export type ClusterOutputs = ReturnType<typeof defineCluster>;
