import type { ConfigProblem } from "./errors";
import type { StackConfig } from "./schema";

/**
 * Rules for application backups (Velero, model/platform/backups.ts): the bucket and its endpoint, the
 * credentials, the schedules. That the credentials are Pulumi secrets is checked with every other
 * credential (SECRET_CONFIG_KEYS, k3sRules.ts).
 */

/**
 * Hetzner Object Storage's endpoints are https://<location>.your-objectstorage.com, in three locations
 * (docs.hetzner.com/storage/object-storage/overview, "Available endpoints", read 2026-12-02).
 */
export const HETZNER_OBJECT_STORAGE_DOMAIN = "your-objectstorage.com";
export const HETZNER_OBJECT_STORAGE_LOCATIONS = ["fsn1", "nbg1", "hel1"] as const;

/**
 * Velero parses a Schedule's spec.schedule with robfig/cron's standard parser: five fields, or one of its
 * descriptors (vmware-tanzu/velero v1.17.1: pkg/controller/schedule_controller.go parseCronSchedule,
 * cron.ParseStandard). A schedule it cannot parse is marked FailedValidation and never runs, so it is
 * refused here instead. Names of months and days are accepted in their fields, as the parser does.
 */
const CRON_FIELD = /^[\d*/,?-]+$/;
const CRON_NAMED_FIELD = /^[\d*/,?A-Za-z-]+$/;
const CRON_DESCRIPTOR =
  /^@(yearly|annually|monthly|weekly|daily|midnight|hourly|every \d+(\.\d+)?(ns|us|µs|ms|s|m|h)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*)$/;

export function isVeleroCronSchedule(schedule: string): boolean {
  const text = schedule.trim();
  if (text.startsWith("@")) return CRON_DESCRIPTOR.test(text);
  const fields = text.split(/\s+/);
  if (fields.length !== 5) return false;
  return fields.every((field, index) => (index < 3 ? CRON_FIELD : CRON_NAMED_FIELD).test(field));
}

const cronMessage = (schedule: string) =>
  `"${schedule}" is not a 5-field cron schedule (e.g. "0 3 * * *", daily at 03:00 UTC)`;

/** Why an endpoint is unusable, or undefined when it is fine. */
function endpointProblem(endpoint: string, region: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return `"${endpoint}" is not a URL: write it with its scheme, e.g. https://fsn1.${HETZNER_OBJECT_STORAGE_DOMAIN}`;
  }
  if (url.protocol !== "https:")
    return `"${endpoint}" must be an https URL: credentials and backups cross the internet`;
  // The namespace's egress policy opens 443 only (networkPolicies in model/platform/backups.ts).
  if (url.port !== "" && url.port !== "443")
    return `"${endpoint}" uses port ${url.port}: Velero's network policy admits the endpoint on 443 only`;
  if ((url.pathname !== "/" && url.pathname !== "") || url.search !== "" || url.username !== "")
    return `"${endpoint}" must be the endpoint alone (https://host), without a path, query or user`;
  const host = url.hostname;
  if (host === HETZNER_OBJECT_STORAGE_DOMAIN || host.endsWith(`.${HETZNER_OBJECT_STORAGE_DOMAIN}`)) {
    const location = host.slice(0, -(HETZNER_OBJECT_STORAGE_DOMAIN.length + 1));
    const known: readonly string[] = HETZNER_OBJECT_STORAGE_LOCATIONS;
    if (!known.includes(location)) {
      const endpoints = HETZNER_OBJECT_STORAGE_LOCATIONS.map(
        (name) => `https://${name}.${HETZNER_OBJECT_STORAGE_DOMAIN}`,
      ).join(", ");
      return `"${endpoint}" is not a Hetzner Object Storage endpoint (${endpoints}); the bucket name is not part of it`;
    }
    if (region !== "" && region !== location)
      return `is in ${location}, but backupS3Region is "${region}": Hetzner's region is the endpoint's location`;
  }
  return undefined;
}

// S3 bucket names: 3-63 lower-case letters, digits, dots and hyphens, alphanumeric at both ends.
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export function checkBackupConfig(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });

  if (config.backupS3Bucket !== "" && config.backupS3Endpoint === "")
    add(["backupS3Endpoint"], "required when backupS3Bucket is set: the https URL of its S3 endpoint");
  if (config.backupS3Bucket !== "" && !BUCKET.test(config.backupS3Bucket))
    add(
      ["backupS3Bucket"],
      `"${config.backupS3Bucket}" is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')`,
    );
  if (config.backupS3Endpoint !== "") {
    const problem = endpointProblem(config.backupS3Endpoint, config.backupS3Region);
    if (problem) add(["backupS3Endpoint"], problem);
  }
  if (!isVeleroCronSchedule(config.backupSchedule))
    add(["backupSchedule"], cronMessage(config.backupSchedule));
  config.tenants.forEach((tenant, index) => {
    if (!tenant.backup) return;
    if (!isVeleroCronSchedule(tenant.backup.schedule))
      add(["tenants", index, "backup", "schedule"], cronMessage(tenant.backup.schedule));
    if (!config.backupsEnabled)
      add(["tenants", index, "backup"], "is set but backupsEnabled is false, so nothing is backed up");
  });

  if (config.backupsEnabled) {
    const required = [
      ["backupS3Endpoint", "the https URL of the S3 endpoint, e.g. https://fsn1.your-objectstorage.com"],
      ["backupS3Bucket", "the bucket Velero writes to"],
      ["backupS3Region", "the bucket's region (for Hetzner Object Storage its location, e.g. fsn1)"],
      ["backupS3AccessKey", "set it with: pulumi config set --secret hetzner-k8s:backupS3AccessKey"],
      ["backupS3SecretKey", "set it with: pulumi config set --secret hetzner-k8s:backupS3SecretKey"],
    ] as const;
    for (const [key, hint] of required)
      // A missing endpoint next to a bucket is reported above already.
      if (config[key] === "" && !(key === "backupS3Endpoint" && config.backupS3Bucket !== ""))
        add([key], `required with backupsEnabled: ${hint}`);
  } else {
    for (const key of ["backupS3AccessKey", "backupS3SecretKey"] as const)
      if (config[key] !== "") add([key], "is set but backupsEnabled is false, so Velero is not installed");
  }
  return problems;
}
