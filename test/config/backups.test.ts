import { ConfigError } from "../../src/config/errors";
import { parseStackConfig, type RawConfig } from "../../src/config/load";
import { isVeleroCronSchedule } from "../../src/config/backupRules";
import { SECRET_CONFIG_KEYS, stackConfigSchema } from "../../src/config/schema";
import { devRaw, key } from "./fixtures";

/** Application backups' keys (Velero): defaults, the rules relating them, and the credentials as secrets. */

const CREDENTIALS = ["backupS3AccessKey", "backupS3SecretKey"];

function enabled(raw: RawConfig): void {
  raw[key("backupsEnabled")] = true;
  raw[key("backupS3Endpoint")] = "https://fsn1.your-objectstorage.com";
  raw[key("backupS3Bucket")] = "cluster-backups";
  raw[key("backupS3Region")] = "fsn1";
  raw[key("backupS3AccessKey")] = "access-key-id";
  raw[key("backupS3SecretKey")] = "secret-access-key";
}

/** Problem lines of the dev stack after a mutation, the credentials counted as Pulumi secrets. */
function problems(mutate: (raw: RawConfig) => void, secretKeys: string[] = CREDENTIALS): string[] {
  const raw = devRaw();
  mutate(raw);
  try {
    parseStackConfig(raw, new Set(secretKeys));
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
}

function tenantBackup(raw: RawConfig, backup: unknown): void {
  const tenants = raw[key("tenants")] as Record<string, unknown>[];
  tenants[0].backup = backup;
}

describe("backup keys", () => {
  it("default to off, with a daily schedule kept 30 days", () => {
    const parsed = stackConfigSchema.parse({
      clusterName: "x",
      sshAllowedSources: ["203.0.113.7/32"],
      apiAllowedSources: ["203.0.113.7/32"],
      nodes: [],
    });
    expect(parsed).toMatchObject({
      backupsEnabled: false,
      backupS3Endpoint: "",
      backupS3Bucket: "",
      backupS3Region: "",
      backupS3AccessKey: "",
      backupS3SecretKey: "",
      backupSchedule: "0 3 * * *",
      backupRetentionDays: 30,
    });
  });

  it("count the key pair among the credentials", () => {
    for (const name of CREDENTIALS) expect(SECRET_CONFIG_KEYS).toContain(name);
  });

  it("accept a complete Hetzner Object Storage setup", () => {
    expect(problems(enabled)).toEqual([]);
  });
});

describe("backup rules", () => {
  it("refuse the credentials in plain text, naming the command that stores them as secrets", () => {
    expect(problems(enabled, [])).toEqual([
      "hetzner-k8s:backupS3AccessKey: is a credential stored in plain text; set it with: pulumi config set --secret hetzner-k8s:backupS3AccessKey",
      "hetzner-k8s:backupS3SecretKey: is a credential stored in plain text; set it with: pulumi config set --secret hetzner-k8s:backupS3SecretKey",
    ]);
  });

  it("require the endpoint, bucket, region and credentials once switched on", () => {
    expect(problems((raw) => (raw[key("backupsEnabled")] = true))).toEqual([
      "hetzner-k8s:backupS3Endpoint: required with backupsEnabled: the https URL of the S3 endpoint, e.g. https://fsn1.your-objectstorage.com",
      "hetzner-k8s:backupS3Bucket: required with backupsEnabled: the bucket Velero writes to",
      "hetzner-k8s:backupS3Region: required with backupsEnabled: the bucket's region (for Hetzner Object Storage its location, e.g. fsn1)",
      "hetzner-k8s:backupS3AccessKey: required with backupsEnabled: set it with: pulumi config set --secret hetzner-k8s:backupS3AccessKey",
      "hetzner-k8s:backupS3SecretKey: required with backupsEnabled: set it with: pulumi config set --secret hetzner-k8s:backupS3SecretKey",
    ]);
    expect(
      problems((raw) => {
        enabled(raw);
        raw[key("backupS3SecretKey")] = "";
      }),
    ).toEqual([
      "hetzner-k8s:backupS3SecretKey: required with backupsEnabled: set it with: pulumi config set --secret hetzner-k8s:backupS3SecretKey",
    ]);
  });

  it("refuse a bucket without an endpoint, once", () => {
    expect(
      problems((raw) => {
        enabled(raw);
        raw[key("backupS3Endpoint")] = "";
      }),
    ).toEqual([
      "hetzner-k8s:backupS3Endpoint: required when backupS3Bucket is set: the https URL of its S3 endpoint",
    ]);
    expect(problems((raw) => (raw[key("backupS3Bucket")] = "cluster-backups"))).toEqual([
      "hetzner-k8s:backupS3Endpoint: required when backupS3Bucket is set: the https URL of its S3 endpoint",
    ]);
  });

  it.each([
    [
      "fsn1.your-objectstorage.com",
      '"fsn1.your-objectstorage.com" is not a URL: write it with its scheme, e.g. https://fsn1.your-objectstorage.com',
    ],
    [
      "http://fsn1.your-objectstorage.com",
      '"http://fsn1.your-objectstorage.com" must be an https URL: credentials and backups cross the internet',
    ],
    [
      "https://fsn1.your-objectstorage.com:9000",
      '"https://fsn1.your-objectstorage.com:9000" uses port 9000: Velero\'s network policy admits the endpoint on 443 only',
    ],
    [
      "https://fsn1.your-objectstorage.com/cluster-backups",
      '"https://fsn1.your-objectstorage.com/cluster-backups" must be the endpoint alone (https://host), without a path, query or user',
    ],
    [
      "https://cluster-backups.fsn1.your-objectstorage.com",
      '"https://cluster-backups.fsn1.your-objectstorage.com" is not a Hetzner Object Storage endpoint (https://fsn1.your-objectstorage.com, https://nbg1.your-objectstorage.com, https://hel1.your-objectstorage.com); the bucket name is not part of it',
    ],
    [
      "https://ash.your-objectstorage.com",
      '"https://ash.your-objectstorage.com" is not a Hetzner Object Storage endpoint (https://fsn1.your-objectstorage.com, https://nbg1.your-objectstorage.com, https://hel1.your-objectstorage.com); the bucket name is not part of it',
    ],
  ])("refuse the endpoint %s", (endpoint, message) => {
    expect(
      problems((raw) => {
        enabled(raw);
        raw[key("backupS3Endpoint")] = endpoint;
      }),
    ).toEqual([`hetzner-k8s:backupS3Endpoint: ${message}`]);
  });

  it("hold Hetzner's region to the endpoint's location, and accept other S3-compatible endpoints", () => {
    expect(
      problems((raw) => {
        enabled(raw);
        raw[key("backupS3Region")] = "nbg1";
      }),
    ).toEqual([
      "hetzner-k8s:backupS3Endpoint: is in fsn1, but backupS3Region is \"nbg1\": Hetzner's region is the endpoint's location",
    ]);
    expect(
      problems((raw) => {
        enabled(raw);
        raw[key("backupS3Endpoint")] = "https://s3.eu-central-1.example.com";
        raw[key("backupS3Region")] = "eu-central-1";
      }),
    ).toEqual([]);
  });

  it("refuse a bucket name S3 does not allow", () => {
    expect(
      problems((raw) => {
        enabled(raw);
        raw[key("backupS3Bucket")] = "Cluster_Backups";
      }),
    ).toEqual([
      "hetzner-k8s:backupS3Bucket: \"Cluster_Backups\" is not an S3 bucket name (3-63 of a-z, 0-9, '.', '-')",
    ]);
  });

  it("refuse a schedule Velero cannot parse, the cluster's and a tenant's", () => {
    expect(problems((raw) => (raw[key("backupSchedule")] = "daily"))).toEqual([
      'hetzner-k8s:backupSchedule: "daily" is not a 5-field cron schedule (e.g. "0 3 * * *", daily at 03:00 UTC)',
    ]);
    expect(
      problems((raw) => {
        enabled(raw);
        tenantBackup(raw, { schedule: "0 3 * *" });
      }),
    ).toEqual([
      'hetzner-k8s:tenants[0].backup.schedule: "0 3 * *" is not a 5-field cron schedule (e.g. "0 3 * * *", daily at 03:00 UTC)',
    ]);
  });

  it("accept the schedules robfig/cron's standard parser takes", () => {
    for (const schedule of [
      "0 3 * * *",
      "*/15 * * * *",
      "0 2 * * MON-FRI",
      "0 0 1 JAN *",
      "@daily",
      "@every 6h",
    ])
      expect([schedule, isVeleroCronSchedule(schedule)]).toEqual([schedule, true]);
    for (const schedule of ["", "0 3 * * * *", "@sometimes", "0 3 * * mo tu"])
      expect([schedule, isVeleroCronSchedule(schedule)]).toEqual([schedule, false]);
  });

  it("refuse a tenant's schedule and the credentials while backups are off", () => {
    expect(problems((raw) => tenantBackup(raw, { schedule: "0 * * * *", retentionDays: 7 }))).toEqual([
      "hetzner-k8s:tenants[0].backup: is set but backupsEnabled is false, so nothing is backed up",
    ]);
    expect(problems((raw) => (raw[key("backupS3AccessKey")] = "access-key-id"))).toEqual([
      "hetzner-k8s:backupS3AccessKey: is set but backupsEnabled is false, so Velero is not installed",
    ]);
  });

  it("check a tenant's backup entry's shape", () => {
    expect(
      problems((raw) => {
        enabled(raw);
        tenantBackup(raw, { schedule: "0 * * * *", retentionDays: 0, keep: true });
      }),
    ).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^hetzner-k8s:tenants\[0\]\.backup(\.retentionDays)?: /),
      ]),
    );
    expect(
      problems((raw) => {
        enabled(raw);
        tenantBackup(raw, { schedule: "0 * * * *", retentionDays: 7 });
      }),
    ).toEqual([]);
  });

  it("refuse a retention under one day", () => {
    expect(problems((raw) => (raw[key("backupRetentionDays")] = 0))).toEqual([
      "hetzner-k8s:backupRetentionDays: must keep a backup at least 1 day, got 0",
    ]);
  });
});
