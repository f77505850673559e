import * as fs from "node:fs";

/**
 * What `test/real/run.sh` hands the real tier: a control plane on loopback, the real Pulumi CLI and
 * the pulumi-kubernetes provider installed into a PULUMI_HOME of the tier's own. A test run outside
 * that script fails here with the command to use instead of skipping.
 */
export interface RealEnvironment {
  /** Admin kubeconfig of the control plane (client certificate of system:masters). */
  adminKubeconfigPath: string;
  adminKubeconfig: string;
  apiServer: string;
  pulumiHome: string;
  /** Directory for file backends and kubeconfigs of this run. */
  workDir: string;
}

export function realEnvironment(): RealEnvironment {
  const required = ["REAL_TIER_KUBECONFIG", "REAL_TIER_API_SERVER", "PULUMI_HOME", "REAL_TIER_WORK_DIR"];
  const missing = required.filter((name) => !process.env[name]);
  if (missing.length > 0) {
    throw new Error(
      `the real tier runs through "npm run test:real" (test/real/run.sh), which builds the components and ` +
        `starts the control plane; missing: ${missing.join(", ")}`,
    );
  }
  const env = process.env as Record<string, string>;
  return {
    adminKubeconfigPath: env.REAL_TIER_KUBECONFIG,
    adminKubeconfig: fs.readFileSync(env.REAL_TIER_KUBECONFIG, "utf8"),
    apiServer: env.REAL_TIER_API_SERVER,
    pulumiHome: env.PULUMI_HOME,
    workDir: env.REAL_TIER_WORK_DIR,
  };
}
