import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../../../src/config/schema";
import { buildClusterModel } from "../../../src/model/cluster";
import { defineKubernetesLayers } from "../../../src/program";
import { realEnvironment } from "./environment";
import type { InlineProgram } from "./stack";

const SKIP_AWAIT = "pulumi.com/skipAwait";

/** Placeholders for what only Hetzner assigns; the objects that carry them are checked by value. */
export const HETZNER_PLACEHOLDERS = {
  networkId: "4711",
  ingressIpv4: "203.0.113.80",
  hcloudToken: "test-token",
  /** What the cluster-autoscaler's Secret holds: base64 of its JSON (k3s/autoscaledJoin.ts). */
  autoscalerClusterConfig: Buffer.from('{"nodeConfigs":{}}').toString("base64"),
};

/**
 * The program's Kubernetes layers exactly as `defineCluster` composes them, against the tier's control
 * plane: the platform's built-in objects, node metadata and tenants. The Hetzner and SSH layers need
 * providers this tier cannot run; their place is taken by the control plane's own kubeconfig.
 */
export interface LayersProgramOptions {
  /**
   * Let the program build its own provider from the admin kubeconfig, pointed at this address of the
   * tier's API server (as defineCluster points it at a load balancer or node), instead of the tier's.
   */
  programApiUrl?: string;
}

export function kubernetesLayersProgram(
  config: StackConfig,
  options: LayersProgramOptions = {},
): InlineProgram {
  return async () => {
    const env = realEnvironment();
    // No kubelet runs here, so a Deployment never becomes available: the provider is told not to wait
    // for it (the one input the tier adds; objects are compared with the model, not with this).
    pulumi.runtime.registerResourceTransform((args) => {
      if (args.type !== "kubernetes:apps/v1:Deployment") return undefined;
      const props = args.props as { metadata?: { annotations?: Record<string, string> } };
      const metadata = {
        ...props.metadata,
        annotations: { ...props.metadata?.annotations, [SKIP_AWAIT]: "true" },
      };
      return { props: { ...args.props, metadata }, opts: args.opts };
    });
    const kubeconfig = pulumi.secret(env.adminKubeconfig);
    const provider = options.programApiUrl ? undefined : new k8s.Provider("cluster", { kubeconfig });
    const model = buildClusterModel(config);
    const { tenants } = defineKubernetesLayers(config, model, {
      kubeconfig,
      programApiUrl: options.programApiUrl,
      apiServerUrl: env.apiServer,
      hcloudToken: pulumi.secret(HETZNER_PLACEHOLDERS.hcloudToken),
      networkId: HETZNER_PLACEHOLDERS.networkId,
      ...(model.autoscaling.pools.length > 0 && {
        autoscalerClusterConfig: {
          value: pulumi.secret(HETZNER_PLACEHOLDERS.autoscalerClusterConfig),
          digest: "0".repeat(64),
        },
      }),
      ingressIpv4: HETZNER_PLACEHOLDERS.ingressIpv4,
      // The tier's nodes have no public addresses, so the tenants' egress excepts none (as the model has it).
      nodePublicIpv4: [],
      registered: new Map(),
      provider,
      builtInKindsOnly: true,
    });
    return { tenantKubeconfigs: tenants.kubeconfigs };
  };
}
