import { z } from "zod";

/**
 * Schemas of the Velero custom resources the program creates, for the schema tests (no published model
 * package covers Velero's CRDs). Written from the CRDs the pinned chart installs (vmware-tanzu/helm-charts
 * tag velero-11.4.0: charts/velero/crds/backupstoragelocations.yaml and schedules.yaml, velero.io/v1): the
 * fields the program sets, with their types and enums, and the required ones. Closed objects, so a
 * misspelt field fails here (the API server would prune it without a word).
 */

const objectMeta = z.looseObject({
  name: z.string().min(1),
  namespace: z.string().min(1),
  labels: z.record(z.string(), z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const backupStorageLocation = z.strictObject({
  apiVersion: z.literal("velero.io/v1"),
  kind: z.literal("BackupStorageLocation"),
  metadata: objectMeta,
  spec: z.strictObject({
    provider: z.string().min(1),
    objectStorage: z.strictObject({
      bucket: z.string().min(1),
      prefix: z.string().optional(),
      caCert: z.string().optional(),
    }),
    config: z.record(z.string(), z.string()).optional(),
    credential: z.strictObject({ name: z.string(), key: z.string() }).optional(),
    default: z.boolean().optional(),
    accessMode: z.enum(["ReadOnly", "ReadWrite"]).optional(),
    backupSyncPeriod: z.string().optional(),
    validationFrequency: z.string().optional(),
  }),
});

/** The part of a BackupSpec a Schedule's template uses here. */
const backupTemplate = z.strictObject({
  includedNamespaces: z.array(z.string()).optional(),
  excludedNamespaces: z.array(z.string()).optional(),
  includeClusterResources: z.boolean().nullable().optional(),
  storageLocation: z.string().optional(),
  ttl: z.string().optional(),
  defaultVolumesToFsBackup: z.boolean().nullable().optional(),
  snapshotVolumes: z.boolean().nullable().optional(),
});

const schedule = z.strictObject({
  apiVersion: z.literal("velero.io/v1"),
  kind: z.literal("Schedule"),
  metadata: objectMeta,
  spec: z.strictObject({
    schedule: z.string().min(1),
    template: backupTemplate,
    paused: z.boolean().optional(),
    skipImmediately: z.boolean().optional(),
    useOwnerReferencesInBackup: z.boolean().optional(),
  }),
});

function model(schema: z.ZodType) {
  return class {
    constructor(private readonly data: unknown) {}
    validate(): void {
      schema.parse(this.data);
    }
  };
}

export const VELERO_SCHEMAS = {
  "velero.io/v1/BackupStorageLocation": model(backupStorageLocation),
  "velero.io/v1/Schedule": model(schedule),
};
