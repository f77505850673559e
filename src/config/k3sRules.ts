import type { ConfigProblem } from "./errors";
import { SECRET_CONFIG_KEYS, type StackConfig } from "./schema";
import { CHARTS, K3S_RELEASES, RANCHER_MAX_KUBERNETES_MINOR, VERSIONS } from "../versions";

/** Rules for the k3s settings of the stack config: versions, schedules, snapshot storage, secrets. */

const K3S_VERSION = /^v1\.(\d+)\.(\d+)\+k3s(\d+)$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const CRON_FIELD = /^[\d*/,-]+$/;

export interface K3sVersion {
  minor: number;
  patch: number;
  /** The k3s build of that Kubernetes patch (the N of +k3sN). */
  build: number;
}

export function parseK3sVersion(text: string): K3sVersion | undefined {
  const match = K3S_VERSION.exec(text);
  return match ? { minor: Number(match[1]), patch: Number(match[2]), build: Number(match[3]) } : undefined;
}

/** Negative when a is older than b, zero when equal, positive when newer. */
export function compareK3sVersions(a: K3sVersion, b: K3sVersion): number {
  return a.minor - b.minor || a.patch - b.patch || a.build - b.build;
}

/**
 * k3s fixed concurrent joins of etcd members in v1.31.13, v1.32.9 and v1.33.5 (k3s issue 12794; the
 * fix shipped one patch after the releases its pull requests were first tagged for). Older releases
 * must join extra servers one at a time.
 */
export function supportsConcurrentServerJoins(version: K3sVersion): boolean {
  const firstFixedPatch: Record<number, number> = { 31: 13, 32: 9, 33: 5 };
  if (version.minor > 33) return true;
  const fixed = firstFixedPatch[version.minor];
  return fixed !== undefined && version.patch >= fixed;
}

/**
 * Whether the API server can answer /livez and /readyz without credentials, and nothing else: anonymous
 * conditions in the authentication config are stable from Kubernetes 1.34 (KEP-4633), and k3s then
 * leaves out its own --anonymous-auth flag (k3s issue 12245). Lets the API load balancer check
 * readiness rather than an open port.
 */
export function supportsAnonymousHealthChecks(version: K3sVersion): boolean {
  return version.minor >= 34;
}

function newestRelease(): string {
  return K3S_RELEASES[K3S_RELEASES.length - 1];
}

function checkK3sVersion(text: string): ConfigProblem[] {
  const version = parseK3sVersion(text);
  if (!version) {
    return [
      { path: ["k3sVersion"], message: `"${text}" is not a k3s release (expected e.g. ${VERSIONS.k3s})` },
    ];
  }
  if (!K3S_RELEASES.includes(text)) {
    const line = K3S_RELEASES.filter((release) => parseK3sVersion(release)?.minor === version.minor);
    const known = line.length > 0 ? `; known v1.${version.minor} releases: ${line.join(", ")}` : "";
    return [
      {
        path: ["k3sVersion"],
        message:
          `${text} is not a k3s release this program knows (K3S_RELEASES in src/versions.ts, ` +
          `v1.33 to ${newestRelease()})${known}`,
      },
    ];
  }
  if (version.minor > RANCHER_MAX_KUBERNETES_MINOR) {
    return [
      {
        path: ["k3sVersion"],
        message:
          `${text} is newer than Rancher ${CHARTS.rancher.version} supports (Kubernetes up to ` +
          `1.${RANCHER_MAX_KUBERNETES_MINOR}): stay on v1.${RANCHER_MAX_KUBERNETES_MINOR} until the Rancher pin moves`,
      },
    ];
  }
  return [];
}

export function checkK3sConfig(config: StackConfig, secretKeys: ReadonlySet<string>): ConfigProblem[] {
  const problems: ConfigProblem[] = [...checkK3sVersion(config.k3sVersion)];
  if (config.apiHostname !== "" && !DNS_NAME.test(config.apiHostname)) {
    problems.push({ path: ["apiHostname"], message: `"${config.apiHostname}" is not a DNS name` });
  }
  if (config.apiExposure === "firewalled" && config.apiHostname === "") {
    // Without a load balancer address, a node's address would be the API's; removing that node would then
    // point the Kubernetes provider at another cluster address and make Pulumi replace every object.
    const records = config.privateNodes
      ? "an A record for the gateway's public address (it forwards the API)"
      : "A records for the control-plane nodes' public addresses";
    problems.push({
      path: ["apiHostname"],
      message: `required with apiExposure "firewalled": a DNS name with ${records}`,
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
