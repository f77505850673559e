import { PROJECT } from "../../names";
import type { StackConfig } from "../../config/schema";
import { CHARTS, IMAGES } from "../../versions";
import { NODE_GROUP_LABEL, type AutoscalingModel } from "../autoscaling";
import { metadata, type Manifest } from "./common";
import { SYSTEM_CLUSTER_CRITICAL } from "./priority";
import { when, type ReleaseModel } from "./releaseModel";

/**
 * The cluster-autoscaler for the autoscaled pools (model/autoscaling.ts), with its Hetzner provider. The
 * chart's facts were read in kubernetes/autoscaler at tag cluster-autoscaler-chart-9.59.0 (commit
 * 5a0b98e45f89: cluster-autoscaler/charts/cluster-autoscaler values.yaml, templates/deployment.yaml,
 * _helpers.tpl, servicemonitor.yaml), the provider's at tag cluster-autoscaler-1.35.2 (commit 2d42588803c7:
 * cloudprovider/hetzner); test/fixtures/chart-values/cluster-autoscaler.json lists them path by path.
 *
 * It runs on the control-plane nodes, so that it never deletes the node it runs on, at
 * system-cluster-critical (the chart's own default, stated): without it pending pods wait for ever.
 */

export const AUTOSCALER_RELEASE = "cluster-autoscaler";
/** The Secret with HCLOUD_CLUSTER_CONFIG: every pool's user data, which holds the agent join token. */
export const AUTOSCALER_SECRET = "cluster-autoscaler-hetzner";
export const AUTOSCALER_CONFIG_KEY = "cluster-config";

/**
 * How long a new server may take to become a ready node before the cluster-autoscaler deletes it again:
 * boot, cloud-init's packages, the k3s download and the join (the node tier measures a few minutes).
 */
export const MAX_NODE_PROVISION_TIME = "15m";

export function autoscalerSecret<T>(clusterConfig: T): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(AUTOSCALER_SECRET, "kube-system"),
    type: "Opaque",
    stringData: { [AUTOSCALER_CONFIG_KEY]: clusterConfig },
  };
}

/**
 * @param configDigest model/autoscaling.ts clusterConfigDigest of the Secret's config: the pod restarts
 * whenever it changes, since the provider reads its config once, at start.
 */
export function autoscalerRelease(
  config: StackConfig,
  autoscaling: AutoscalingModel,
  configDigest: string,
): ReleaseModel<never> {
  return {
    name: AUTOSCALER_RELEASE,
    namespace: "kube-system",
    chart: CHARTS.clusterAutoscaler,
    values: {
      cloudProvider: "hetzner",
      image: { tag: IMAGES.clusterAutoscalerTag },
      autoscalingGroups: autoscaling.pools.map((pool) => ({
        name: pool.nodeGroup,
        minSize: pool.min,
        maxSize: pool.max,
        instanceType: pool.serverType,
        region: pool.location,
      })),
      extraArgs: {
        // A pool below its min (a server deleted by hand) is brought back up, not only kept from shrinking.
        "enforce-node-group-min-size": true,
        // Similar pools (one per location, say) grow together; the labels that always differ between pools
        // do not make them dissimilar.
        "balance-similar-node-groups": true,
        "balancing-ignore-label_1": NODE_GROUP_LABEL,
        "balancing-ignore-label_2": `${PROJECT}.io/pool`,
        "balancing-ignore-label_3": "csi.hetzner.cloud/location",
        expander: "least-waste",
        "max-node-provision-time": MAX_NODE_PROVISION_TIME,
        "scale-down-unneeded-time": "10m",
        // emptyDir holds nothing that outlives its pod; a pod with a local-path volume pins its node anyway
        // (its volume's node affinity lets it run nowhere else), so such a node is never removed.
        "skip-nodes-with-local-storage": false,
        "skip-nodes-with-system-pods": true,
      },
      extraEnv: {
        HCLOUD_NETWORK: autoscaling.network,
        HCLOUD_FIREWALL: autoscaling.firewall,
        HCLOUD_SSH_KEY: autoscaling.sshKey,
        // Like the program's own nodes: public addresses, or none with private nodes (the provider's
        // PublicNet of each server it creates, cloudprovider/hetzner hetzner_manager.go at 1.35.2).
        HCLOUD_PUBLIC_IPV4: String(autoscaling.networking.publicAddresses),
        HCLOUD_PUBLIC_IPV6: String(autoscaling.networking.publicAddresses),
      },
      extraEnvSecrets: {
        HCLOUD_TOKEN: { name: "hcloud", key: "token" },
        HCLOUD_CLUSTER_CONFIG: { name: AUTOSCALER_SECRET, key: AUTOSCALER_CONFIG_KEY },
      },
      podAnnotations: { [`${PROJECT}.io/cluster-config-sha256`]: configDigest },
      priorityClassName: SYSTEM_CLUSTER_CRITICAL,
      nodeSelector: { "node-role.kubernetes.io/control-plane": "true" },
      tolerations: [
        { operator: "Exists", effect: "NoSchedule" },
        { key: "CriticalAddonsOnly", operator: "Exists" },
      ],
      ...(config.monitoringEnabled && {
        serviceMonitor: { enabled: true, namespace: "kube-system", interval: "30s" },
      }),
    },
    after: [
      "hcloud-secret",
      "autoscaler-config",
      "hcloud-cloud-controller-manager",
      ...when(config.monitoringEnabled, "kube-prometheus-stack"),
    ],
    timeoutSeconds: 600,
  };
}
