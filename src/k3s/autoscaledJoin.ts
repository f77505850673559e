import * as pulumi from "@pulumi/pulumi";
import {
  autoscaledUserData,
  clusterConfig,
  clusterConfigDigest,
  USER_DATA_LIMIT_BYTES,
  type AutoscalingModel,
} from "../model/autoscaling";
import { readNodeScript } from "../remote/remoteScript";

/**
 * HCLOUD_CLUSTER_CONFIG for the cluster-autoscaler (base64 of model/autoscaling.ts clusterConfig), secret:
 * every pool's user data holds the agent join token. It resolves once `after` has (the pools' subnets, which
 * the cluster-autoscaler refuses to start without).
 */
export function autoscalerClusterConfig(
  autoscaling: AutoscalingModel,
  clusterName: string,
  agentJoinToken: pulumi.Output<string>,
  after: pulumi.Input<unknown>[],
): { value: pulumi.Output<string>; digest: string } {
  const scripts = {
    prepareNode: readNodeScript("prepare-node"),
    installK3s: readNodeScript("install-k3s"),
    joinNode: readNodeScript("join-autoscaled-node"),
  };
  const value = pulumi.secret(
    pulumi.all([agentJoinToken, ...after]).apply(([token]) => {
      const config = clusterConfig(autoscaling, clusterName, (pool) => {
        const userData = autoscaledUserData(autoscaling, pool, scripts, token);
        const bytes = Buffer.byteLength(userData);
        if (bytes > USER_DATA_LIMIT_BYTES)
          throw new Error(
            `the user data of autoscaled pool ${pool.name} is ${bytes} bytes, more than Hetzner's ${USER_DATA_LIMIT_BYTES}`,
          );
        return userData;
      });
      return Buffer.from(JSON.stringify(config)).toString("base64");
    }),
  );
  return { value, digest: clusterConfigDigest(autoscaling, clusterName, scripts) };
}
