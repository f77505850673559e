import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "./errors";

/**
 * The Hetzner API token, as the hcloud provider reads it: `hcloud:token`, else the HCLOUD_TOKEN
 * environment variable. The cluster's cloud controller and CSI driver get the same token.
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
