import type { StackConfig } from "../../src/config/schema";

/** The backup credentials, which tests count as set with `pulumi config set --secret`. */
export const BACKUP_SECRET_KEYS = ["backupS3AccessKey", "backupS3SecretKey"] as const;

/** Application backups switched on, with a Hetzner Object Storage bucket and placeholder credentials. */
export function enableBackups(config: StackConfig): void {
  config.backupsEnabled = true;
  config.backupS3Endpoint = "https://fsn1.your-objectstorage.com";
  config.backupS3Bucket = "cluster-backups";
  config.backupS3Region = "fsn1";
  config.backupS3AccessKey = "access-key-id";
  config.backupS3SecretKey = "secret-access-key";
}
