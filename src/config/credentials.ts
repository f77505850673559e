import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";
import type { StackConfig } from "./schema";

/**
 * The Hetzner API token, as the hcloud provider reads it: `hcloud:token`, else the HCLOUD_TOKEN
 * environment variable. The program itself manages the project's servers, networks and load balancers
 * with it.
 */
export function readHcloudToken(): pulumi.Output<string> {
  const fromConfig = new pulumi.Config("hcloud").getSecret("token");
  if (fromConfig) return fromConfig;
  const fromEnvironment = process.env.HCLOUD_TOKEN;
  if (fromEnvironment) return pulumi.secret(fromEnvironment);
  throw new ConfigError([
    {
      path: ["hcloud:token"],
      message: "required: pulumi config set --secret hcloud:token <token> (or export HCLOUD_TOKEN)",
    },
  ]);
}

/**
 * The token the cluster's cloud controller and CSI driver get (Secret kube-system/hcloud):
 * `clusterHcloudToken` when set, else the program's own. Whoever can read that Secret holds the token, so
 * a token of its own can be rotated or revoked (after a leak, say) without touching the program's, and
 * keeps the program's token out of the cluster altogether.
 */
export function clusterHcloudToken(
  config: Pick<StackConfig, "clusterHcloudToken">,
  projectToken: pulumi.Input<string>,
): pulumi.Output<string> {
  return pulumi.secret(config.clusterHcloudToken !== "" ? config.clusterHcloudToken : projectToken);
}
