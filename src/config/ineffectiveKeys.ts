import { z } from "zod";
import type { ConfigProblem } from "./errors";
import { stackConfigSchema, type StackConfig, type StackConfigKey } from "./schema";

/**
 * Keys a stack file sets that do nothing as the rest of it stands: not errors (the stack deploys), but a
 * reader would expect them to matter. The plan shows them as notes; nothing refuses them.
 */

export type ConfigNote = ConfigProblem;

const WHOLE_INTERNET = new Set(["0.0.0.0/0", "::/0"]);

/** True when the key holds a value other than its schema default (so the stack file set it). */
function isSet(config: StackConfig, key: StackConfigKey): boolean {
  const schema = stackConfigSchema.shape[key];
  if (!(schema instanceof z.ZodDefault)) return true;
  return JSON.stringify(schema.parse(undefined)) !== JSON.stringify(config[key]);
}

export function ineffectiveKeys(config: StackConfig): ConfigNote[] {
  const notes: ConfigNote[] = [];
  const note = (key: StackConfigKey, message: string) => {
    if (isSet(config, key)) notes.push({ path: [key], message });
  };
  if (config.apiExposure === "load-balancer") {
    // network.ts: the API firewall, the only user of these sources, exists only with "firewalled".
    note(
      "apiAllowedSources",
      'has no effect with apiExposure "load-balancer": the API is on a public load balancer, which ' +
        'Hetzner cannot filter by source; set apiExposure to "firewalled" to admit only these sources',
    );
  }
  if (!config.sshAllowedSources.some((source) => WHOLE_INTERNET.has(source))) {
    note("sshAllowAnywhere", "has no effect: sshAllowedSources holds no 0.0.0.0/0 or ::/0");
  }
  if (!config.privateNodes)
    note("gatewayServerType", "has no effect with privateNodes false: there is no gateway server");
  if (!config.drainOnRemoval) {
    note("drainTimeoutSeconds", "has no effect with drainOnRemoval false: removed nodes are not drained");
  }
  if (!config.monitoringEnabled) {
    for (const key of ["prometheusRetention", "prometheusStorageGb", "alertmanagerWebhookUrl"] as const)
      note(key, "has no effect with monitoringEnabled false");
  }
  if (!config.loggingEnabled) {
    for (const key of ["logRetention", "logStorageGb"] as const)
      note(key, "has no effect with loggingEnabled false");
  }
  if (!config.rebootsEnabled)
    note("rebootWindow", "has no effect with rebootsEnabled false: no node reboots");
  if (!config.imageScanningEnabled) {
    for (const key of ["imageScanningDbRepository", "imageScanningJavaDbRepository"] as const)
      note(key, "has no effect with imageScanningEnabled false");
  }
  if (!config.backupsEnabled) {
    const backupKeys = [
      "backupS3Endpoint",
      "backupS3Bucket",
      "backupS3Region",
      "backupS3AccessKey",
      "backupS3SecretKey",
      "backupSchedule",
      "backupRetentionDays",
    ] as const;
    for (const key of backupKeys) note(key, "has no effect with backupsEnabled false");
  }
  if (!config.rancherEnabled && !config.monitoringEnabled) {
    for (const key of ["ingressDomain", "letsEncryptEmail"] as const)
      note(key, "has no effect: it names Rancher's and Grafana's hosts, and both are disabled");
  }
  if (config.tenants.length === 0) {
    note("overcommit", "has no effect: no tenant is promised any share of the pool");
  }
  return notes;
}
