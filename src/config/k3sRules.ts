import type { ConfigProblem } from "./errors";
import { SECRET_CONFIG_KEYS, type StackConfig } from "./schema";

/** Rules for the k3s settings of the stack config: versions, schedules, snapshot storage, secrets. */

const K3S_VERSION = /^v1\.(\d+)\.(\d+)\+k3s(\d+)$/;
/** Oldest Kubernetes minor release the bootstrap supports (older ones are out of k3s support). */
export const MIN_K3S_MINOR = 30;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const CRON_FIELD = /^[\d*/,-]+$/;

export interface K3sVersion {
  minor: number;
  patch: number;
}

export function parseK3sVersion(text: string): K3sVersion | undefined {
  const match = K3S_VERSION.exec(text);
  return match ? { minor: Number(match[1]), patch: Number(match[2]) } : undefined;
}

/**
 * k3s fixed concurrent joins of etcd members in v1.31.12, v1.32.8 and v1.33.4 (k3s issue 12794).
 * Older releases must join extra servers one at a time.
 */
export function supportsConcurrentServerJoins(version: K3sVersion): boolean {
  const firstFixedPatch: Record<number, number> = { 31: 12, 32: 8, 33: 4 };
  if (version.minor > 33) return true;
  const fixed = firstFixedPatch[version.minor];
  return fixed !== undefined && version.patch >= fixed;
}

export function checkK3sConfig(config: StackConfig, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const version = parseK3sVersion(config.k3sVersion);
  if (!version) {
    problems.push({
      path: ["k3sVersion"],
      message: `"${config.k3sVersion}" is not a k3s release (expected e.g. v1.33.5+k3s1)`,
    });
  } else if (version.minor < MIN_K3S_MINOR) {
    problems.push({
      path: ["k3sVersion"],
      message: `${config.k3sVersion} is too old (v1.${MIN_K3S_MINOR} or later)`,
    });
  }
  if (config.apiHostname !== "" && !DNS_NAME.test(config.apiHostname)) {
    problems.push({ path: ["apiHostname"], message: `"${config.apiHostname}" is not a DNS name` });
  }
  if (config.apiExposure === "firewalled" && config.apiHostname === "") {
    // Without a load balancer address, a node's address would be the API's; removing that node would then
    // point the Kubernetes provider at another cluster address and make Pulumi replace every object.
    problems.push({
      path: ["apiHostname"],
      message:
        'required with apiExposure "firewalled": a DNS name with A records for the control-plane nodes\' public addresses',
    });
  }
  const fields = config.etcdSnapshotSchedule.trim().split(/\s+/);
  if (fields.length !== 5 || !fields.every((field) => CRON_FIELD.test(field))) {
    problems.push({
      path: ["etcdSnapshotSchedule"],
      message: `"${config.etcdSnapshotSchedule}" is not a 5-field cron schedule (e.g. "0 */6 * * *")`,
    });
  }
  problems.push(...checkSnapshotStorage(config), ...checkSecrets(config, secretKeys));
  return problems;
}

function checkSnapshotStorage(config: StackConfig): ConfigProblem[] {
  const s3Keys = ["etcdS3Endpoint", "etcdS3AccessKey", "etcdS3SecretKey"] as const;
  if (config.etcdS3Bucket === "") {
    const stray = [...s3Keys, "etcdS3Region", "etcdS3Folder"] as const;
    return stray
      .filter((key) => config[key] !== "")
      .map((key) => ({
        path: [key],
        message: "is set but etcdS3Bucket is empty, so snapshots stay on the nodes",
      }));
  }
  return s3Keys
    .filter((key) => config[key] === "")
    .map((key) => ({ path: [key], message: "required when etcdS3Bucket is set" }));
}

function checkSecrets(config: StackConfig, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  return SECRET_CONFIG_KEYS.filter((key) => config[key] !== "" && !secretKeys.has(key)).map((key) => ({
    path: [key],
    message: `is a credential stored in plain text; set it with: pulumi config set --secret hetzner-k8s:${key}`,
  }));
}
