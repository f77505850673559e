import type * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { clusterHcloudToken } from "./config/credentials";
import type { StackConfig } from "./config/schema";
import { deployedNodesOf, deployedSettingsOf } from "./config/transition";
import { HetznerInfrastructure } from "./infra/hetznerInfrastructure";
import { entryOf } from "./lookup";
import { autoscalerClusterConfig } from "./k3s/autoscaledJoin";
import { K3sCluster } from "./k3s/k3sCluster";
import { NodeMetadata } from "./k3s/nodeMetadata";
import { readMonitoringFiles } from "./platform/files";
import { Platform } from "./platform/platform";
import { veleroCredentialsFile } from "./model/platform/backups";
import { buildPlatformModel } from "./model/platform/platform";
import { Tenants } from "./tenants/tenants";
import type { ClusterModel } from "./model/cluster";
import { kubeconfigRenewal, withServer } from "./model/kubeconfig";
import { KUBE_API_PORT } from "./model/network";
import type { LoadedStack } from "./stack";

export interface ClusterCredentials {
  /**
   * The program's Hetzner API token (secret). The cloud controller and CSI driver inside the cluster get
   * it only when the stack sets no `clusterHcloudToken` of their own.
   */
  hcloudToken: pulumi.Input<string>;
}

/**
 * The whole program, from a loaded stack (src/stack.ts: config, model) to stack outputs. `index.ts` runs it
 * under the Pulumi engine; the offline plan runs the very same function under mocks.
 *
 * @param opts options for the top-level components, inherited by every resource (the plan uses it to
 * observe inputs; the program itself passes none).
 */
export function defineCluster(
  stack: LoadedStack,
  credentials: ClusterCredentials,
  opts?: pulumi.ComponentResourceOptions,
) {
  const { config, model } = stack;
  const infra = new HetznerInfrastructure(model.name, { model }, opts);
  const api = entryOf(infra.loadBalancers, "api", "the load balancers", infra);
  const ingress = infra.loadBalancers.get("ingress");
  // The program itself always talks to an address it created (the API load balancer, or a node with a
  // firewalled API): a DNS name for apiHostname cannot resolve before the servers it points at exist.
  const programApiUrl = pulumi.interpolate`https://${externalApiAddress(model, infra)}:${KUBE_API_PORT}`;
  const apiServerUrl = config.apiHostname
    ? pulumi.output(`https://${config.apiHostname}:${KUBE_API_PORT}`)
    : programApiUrl;

  const k3s = new K3sCluster(
    "k3s",
    {
      model: model.k3s,
      servers: new Map([...infra.nodes].map(([name, node]) => [name, node.server])),
      volumes: new Map(
        [...infra.nodes].map(([name, node]) => [
          name,
          { volume: node.volume, attachment: node.volumeAttachment },
        ]),
      ),
      sshPrivateKey: infra.sshPrivateKey,
      bastion: infra.gateway,
      apiServerUrl,
      kubeconfigRenewal: kubeconfigRenewal(new Date()),
      extraTlsSans: pulumi
        .all([api.publicIpv4, apiForwarder(model, infra)])
        .apply((ips) => ips.filter((ip): ip is string => Boolean(ip))),
      joinVia: [api],
      s3AccessKey: pulumi.secret(config.etcdS3AccessKey),
      s3SecretKey: pulumi.secret(config.etcdS3SecretKey),
      drainTimeoutSeconds: config.drainTimeoutSeconds,
      drainOnRemoval: config.drainOnRemoval,
      clusterLifetime: infra.network,
    },
    opts,
  );

  const { platform, tenants } = defineKubernetesLayers(
    config,
    model,
    {
      kubeconfig: k3s.kubeconfig,
      programApiUrl,
      apiServerUrl,
      hcloudToken: clusterHcloudToken(config, credentials.hcloudToken),
      networkId: infra.network.id,
      ...(model.autoscaling.pools.length > 0 && {
        autoscalerClusterConfig: autoscalerClusterConfig(
          model.autoscaling,
          model.name,
          k3s.agentJoinToken,
          infra.poolSubnets.map((subnet) => subnet.id),
        ),
      }),
      ingressIpv4: ingress?.publicIpv4 ?? pulumi.output(undefined),
      nodePublicIpv4: model.networking.publicAddresses
        ? [...infra.nodes.values()].map((node) => node.server.ipv4Address)
        : [],
      registered: new Map(
        [...k3s.nodes].map(([name, node]) => [
          name,
          [node.bootstrap, ...(node.prepareVolume ? [node.prepareVolume] : [])],
        ]),
      ),
    },
    opts,
  );

  return {
    apiEndpoint: apiServerUrl,
    apiLoadBalancerPrivateIp: api.privateIp,
    apiLoadBalancerIpv4: api.publicIpv4,
    ingressLoadBalancerIpv4: ingress?.publicIpv4,
    kubeconfig: k3s.kubeconfig,
    // As the next `pulumi up` reads them back (config/lastDeployment.ts), plus the public addresses.
    nodes: deployedNodesOf(config).map((node) => ({
      ...node,
      ...(model.networking.publicAddresses && {
        publicIpv4: entryOf(infra.nodes, node.name, "the node servers", infra).server.ipv4Address,
      }),
    })),
    ...(infra.gateway && { gatewayIpv4: infra.gateway.server.ipv4Address }),
    /** What the next `pulumi up` checks its changes against (see config/transition.ts). */
    deployment: deployedSettingsOf(config),
    sshPrivateKey: infra.sshPrivateKey,
    rancherUrl: platform.rancherUrl,
    rancherBootstrapPassword: platform.rancherBootstrapPassword,
    grafanaUrl: platform.grafanaUrl,
    grafanaAdminPassword: platform.grafanaAdminPassword,
    /** `tenant/user` -> kubeconfig limited to the tenant's namespaces. */
    tenantKubeconfigs: tenants.kubeconfigs,
  };
}

/** With private nodes and a firewalled API, the gateway's public address forwards the API. */
function apiForwarder(model: ClusterModel, infra: HetznerInfrastructure): pulumi.Output<string | undefined> {
  return model.gateway?.apiForward !== undefined && infra.gateway
    ? infra.gateway.server.ipv4Address
    : pulumi.output(undefined);
}

/**
 * Where kubectl reaches the API from outside: the public API load balancer, or with a firewalled API
 * the first control-plane node's public address (the firewall admits only apiAllowedSources), or with
 * private nodes the gateway's, which forwards it to the API load balancer.
 */
function externalApiAddress(
  model: ClusterModel,
  infra: HetznerInfrastructure,
): pulumi.Output<string | undefined> {
  const api = infra.loadBalancers.get("api");
  if (model.apiExposure === "load-balancer" && api) return api.publicIpv4;
  if (model.gateway) return apiForwarder(model, infra);
  // Validation guarantees three control-plane nodes; the first of them is the initial server.
  const first = model.nodes.find((node) => node.role === "control-plane")?.name ?? "(no control-plane node)";
  return entryOf(infra.nodes, first, "the node servers", infra).server.ipv4Address;
}

export type ClusterOutputs = ReturnType<typeof defineCluster>;

export interface KubernetesLayersArgs {
  /** Admin kubeconfig of the cluster (secret). */
  kubeconfig: pulumi.Input<string>;
  /** API address the program's own Kubernetes provider uses in place of the kubeconfig's. */
  programApiUrl?: pulumi.Input<string>;
  /** API address written into tenant kubeconfigs. */
  apiServerUrl: pulumi.Input<string>;
  /** Hetzner API token for the cloud controller and CSI driver inside the cluster (secret). */
  hcloudToken: pulumi.Input<string>;
  networkId: pulumi.Input<string>;
  /** With autoscaled pools: the cluster-autoscaler's HCLOUD_CLUSTER_CONFIG (k3s/autoscaledJoin.ts), secret. */
  autoscalerClusterConfig?: { value: pulumi.Input<string>; digest: string };
  ingressIpv4: pulumi.Input<string | undefined>;
  /** The nodes' public IPv4 addresses, which no tenant pod may connect to. */
  nodePublicIpv4: pulumi.Input<string>[];
  /** What each node's Node object waits for: its bootstrap, and the command that mounts its volume. */
  registered: Map<string, pulumi.Resource[]>;
  /** Use this provider instead of one built from the kubeconfig (the real test tier passes its own). */
  provider?: k8s.Provider;
  /** Create only objects of Kubernetes' built-in kinds (see PlatformArgs.builtInKindsOnly). */
  builtInKindsOnly?: boolean;
}

/**
 * Everything the program creates inside Kubernetes: the platform add-ons, the Nodes' labels and taints,
 * and the tenants. It needs only a kubeconfig and a few addresses, so it can run alone against any
 * Kubernetes API (the real test tier does).
 */
export function defineKubernetesLayers(
  config: StackConfig,
  model: ClusterModel,
  args: KubernetesLayersArgs,
  opts?: pulumi.ComponentResourceOptions,
) {
  const files = readMonitoringFiles();
  const platform = new Platform(
    "platform",
    {
      cluster: model,
      modelOf: (dynamic) => buildPlatformModel(config, model, dynamic, files),
      alertmanagerWebhookUrl: pulumi.secret(config.alertmanagerWebhookUrl),
      // Built from the Pulumi secrets and kept one.
      ...(config.backupsEnabled && {
        backupCredentials: pulumi.secret(
          veleroCredentialsFile(config.backupS3AccessKey, config.backupS3SecretKey),
        ),
      }),
      kubeconfig: args.programApiUrl
        ? pulumi.secret(
            pulumi
              .all([args.kubeconfig, args.programApiUrl])
              .apply(([kubeconfig, url]) => withServer(kubeconfig, url)),
          )
        : args.kubeconfig,
      hcloudToken: args.hcloudToken,
      networkId: args.networkId,
      autoscalerClusterConfig: args.autoscalerClusterConfig,
      ingressIpv4: args.ingressIpv4,
      provider: args.provider,
      builtInKindsOnly: args.builtInKindsOnly,
    },
    opts,
  );
  const nodeMetadata = new NodeMetadata(
    "node-metadata",
    { nodes: model.nodes, provider: platform.provider, registered: args.registered },
    opts,
  );
  const tenants = new Tenants(
    "tenants",
    {
      clusterName: model.name,
      tenants: model.tenants,
      provider: platform.provider,
      adminKubeconfig: args.kubeconfig,
      apiServerUrl: args.apiServerUrl,
      nodePublicIpv4: args.nodePublicIpv4,
    },
    opts,
  );
  return { platform, nodeMetadata, tenants };
}
