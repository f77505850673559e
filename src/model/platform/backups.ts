import type { StackConfig } from "../../config/schema";
import { tenantNamespaces, type TenantConfig } from "../../config/tenantSchema";
import { CHARTS, IMAGES } from "../../versions";
import { metadata, type Manifest } from "./common";
import { PLATFORM_PRIORITY_CLASS } from "./priority";
import { TENANT_LABEL } from "../../names";
import { when, type AddonName, type ReleaseModel } from "./releaseModel";

/**
 * Application backups with Velero: every Kubernetes object and the data of pod volumes, on a schedule, to
 * an S3-compatible bucket (Hetzner Object Storage). etcd snapshots (k3sRules.ts, the etcd runbook) bring
 * back the whole cluster state at once but no volume data; Velero's backups hold both and restore one
 * namespace as well as all of them.
 *
 * Volumes: Velero can take volume snapshots only through a provider plugin or CSI snapshots, and the
 * cluster has neither. Hetzner's CSI driver announces no snapshot capability (hetznercloud/csi-driver
 * v2.22.1, the pinned hcloud-csi: internal/driver/controller.go ControllerGetCapabilities lists
 * CREATE_DELETE_VOLUME, PUBLISH_UNPUBLISH_VOLUME, EXPAND_VOLUME, LIST_VOLUMES and SINGLE_NODE_MULTI_WRITER,
 * no CREATE_DELETE_SNAPSHOT), and local-path volumes are plain directories. So pod volumes go through
 * Velero's file-system backup instead: its node agent (a DaemonSet) reads each volume through the
 * kubelet's pod directory on the node and uploads it with Kopia (deployNodeAgent, uploaderType kopia,
 * defaultVolumesToFsBackup: every pod volume but the ones Velero always skips, such as Secrets,
 * ConfigMaps, projected and hostPath volumes). No VolumeSnapshotLocation is created (snapshotsEnabled
 * false).
 *
 * The node agent mounts the host's /var/lib/kubelet/pods and /var/lib/kubelet/plugins (chart values
 * nodeAgent.podVolumePath and pluginVolumePath, templates/node-agent-daemonset.yaml), runs as root
 * (nodeAgent.podSecurityContext.runAsUser 0) with HostToContainer mount propagation. That is the
 * kubelet's own default root directory, which k3s keeps: the program passes no root-dir among its
 * kubelet arguments (model/k3s.ts), and the pinned Hetzner CSI node plugin mounts the same path. hostPath
 * volumes are refused by Pod Security baseline and restricted, so Velero's namespace is privileged
 * (platform.ts PRIVILEGED_NAMESPACES) and holds nothing else.
 *
 * Facts about the chart were read in vmware-tanzu/helm-charts at tag velero-11.4.0 (charts/velero:
 * values.yaml, values.schema.json, templates/deployment.yaml, node-agent-daemonset.yaml,
 * backupstoragelocation.yaml, secret.yaml, service.yaml, servicemonitor.yaml, podmonitor.yaml,
 * upgrade-crds/upgrade-crds.yaml, _helpers.tpl), about Velero in vmware-tanzu/velero at tag v1.17.1, and
 * about the plugin in vmware-tanzu/velero-plugin-for-aws at tag v1.13.2 (README.md,
 * backupstoragelocation.md).
 */

export const VELERO_NAMESPACE = "velero";
/** The release name; the chart names its Deployment, Service and ServiceMonitor "velero" after it. */
export const VELERO_RELEASE = "velero";
/** The Secret with the S3 credentials, created by the program (credentials.existingSecret). */
export const VELERO_CREDENTIALS_SECRET = "velero-s3-credentials";
/**
 * The key the chart mounts the credentials file from: it mounts the whole Secret at /credentials and points
 * AWS_SHARED_CREDENTIALS_FILE at /credentials/cloud in the server and the node agent (templates/
 * deployment.yaml, node-agent-daemonset.yaml). Velero's Kopia repository reads the same variable
 * (velero v1.17.1: pkg/repository/config/aws.go GetS3Credentials).
 */
export const VELERO_CREDENTIALS_KEY = "cloud";
/** The BackupStorageLocation every Schedule writes to, Velero's default name. */
export const BACKUP_STORAGE_LOCATION = "default";
/** The cluster-wide Schedule; a tenant's is `tenant-<name>`. */
export const CLUSTER_SCHEDULE = "cluster";

/**
 * The AWS shared credentials file the plugin and Kopia read: the default profile with the key pair. The
 * program builds it from the Pulumi secrets, and it only ever reaches the cluster inside the Secret.
 */
export function veleroCredentialsFile(accessKey: string, secretKey: string): string {
  return `[default]\naws_access_key_id=${accessKey}\naws_secret_access_key=${secretKey}\n`;
}

/** Velero's TTL is a Go duration. */
export function retentionTtl(days: number): string {
  return `${days * 24}h0m0s`;
}

export function backupsRelease(config: StackConfig): ReleaseModel<never> {
  const monitoring = config.monitoringEnabled;
  return {
    name: VELERO_RELEASE,
    namespace: VELERO_NAMESPACE,
    chart: CHARTS.velero,
    values: {
      // The object-store plugin, copied into the server's plugin directory at start (the chart's documented
      // form: an init container writing to the "plugins" volume at /target).
      initContainers: [
        {
          name: "velero-plugin-for-aws",
          image: IMAGES.veleroPluginForAws,
          imagePullPolicy: "IfNotPresent",
          volumeMounts: [{ mountPath: "/target", name: "plugins" }],
          resources: { requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "128Mi" } },
        },
      ],
      // The program's own Secret (backupCredentialsManifest): the chart creates none and never sees a key.
      credentials: { useSecret: true, existingSecret: VELERO_CREDENTIALS_SECRET },
      // The program creates the BackupStorageLocation itself (backupObjectManifests), after the release,
      // so that it is validated and shown in the plan; no VolumeSnapshotLocation (see above).
      backupsEnabled: false,
      snapshotsEnabled: false,
      deployNodeAgent: true,
      configuration: {
        uploaderType: "kopia",
        defaultVolumesToFsBackup: true,
        defaultBackupStorageLocation: BACKUP_STORAGE_LOCATION,
        defaultBackupTTL: retentionTtl(config.backupRetentionDays),
      },
      priorityClassName: PLATFORM_PRIORITY_CLASS,
      nodeAgent: {
        priorityClassName: PLATFORM_PRIORITY_CLASS,
        // On every node that can run a pod with a volume, whatever its taints.
        tolerations: [{ operator: "Exists" }],
      },
      // The chart's metrics Service and, with monitoring, its ServiceMonitor (server) and PodMonitor
      // (node agents) on container port http-monitoring, 8085.
      metrics: {
        enabled: true,
        serviceMonitor: { enabled: monitoring },
        nodeAgentPodMonitor: { enabled: monitoring },
      },
    },
    // The Secret must exist before the pods mount it; the monitors need kube-prometheus-stack's CRDs.
    after: ["priority-class", "backup-credentials", ...when(monitoring, "kube-prometheus-stack")],
    timeoutSeconds: 600,
  };
}

/** The Secret with the credentials file; `credentials` is the file as a deploy-time secret. */
export function backupCredentialsManifest<T>(credentials: T): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: metadata(VELERO_CREDENTIALS_SECRET, VELERO_NAMESPACE),
    type: "Opaque",
    stringData: { [VELERO_CREDENTIALS_KEY]: credentials },
  };
}

/**
 * The bucket, under a prefix of the cluster's name (several clusters may share one bucket). Path-style
 * addressing works on every S3-compatible service; Hetzner Object Storage runs on Ceph, for which the
 * plugin's README (v1.13.2, "Non-AWS S3 compatible provider known issues") says to turn the upload
 * checksum off (checksumAlgorithm ""), or uploads fail with XAmzContentSHA256Mismatch.
 */
export function backupStorageLocationManifest(config: StackConfig): Manifest {
  return {
    apiVersion: "velero.io/v1",
    kind: "BackupStorageLocation",
    metadata: metadata(BACKUP_STORAGE_LOCATION, VELERO_NAMESPACE),
    spec: {
      provider: "aws",
      default: true,
      accessMode: "ReadWrite",
      objectStorage: { bucket: config.backupS3Bucket, prefix: config.clusterName },
      config: {
        region: config.backupS3Region,
        s3Url: config.backupS3Endpoint,
        s3ForcePathStyle: "true",
        checksumAlgorithm: "",
      },
    },
  };
}

function schedule(
  name: string,
  cron: string,
  retentionDays: number,
  scope: Record<string, unknown>,
  labels: Record<string, string> = {},
): Manifest {
  return {
    apiVersion: "velero.io/v1",
    kind: "Schedule",
    metadata: metadata(name, VELERO_NAMESPACE, labels),
    spec: {
      schedule: cron,
      // The first backup waits for the first scheduled time, not for each `pulumi up`.
      skipImmediately: true,
      template: {
        ...scope,
        storageLocation: BACKUP_STORAGE_LOCATION,
        ttl: retentionTtl(retentionDays),
        defaultVolumesToFsBackup: true,
        snapshotVolumes: false,
      },
    },
  };
}

export function tenantScheduleName(tenant: TenantConfig): string {
  return `tenant-${tenant.name}`;
}

/**
 * The cluster-wide Schedule (every namespace and the cluster-scoped objects) and one per tenant that asks
 * for its own, over the tenant's namespaces only (and the cluster-scoped objects they use, such as their
 * persistent volumes, which Velero adds by itself when includeClusterResources is left unset).
 */
export function backupScheduleManifests(config: StackConfig): Manifest[] {
  return [
    schedule(CLUSTER_SCHEDULE, config.backupSchedule, config.backupRetentionDays, {
      includedNamespaces: ["*"],
    }),
    ...config.tenants.flatMap((tenant) =>
      tenant.backup
        ? [
            schedule(
              tenantScheduleName(tenant),
              tenant.backup.schedule,
              tenant.backup.retentionDays ?? config.backupRetentionDays,
              { includedNamespaces: tenantNamespaces(tenant) },
              { [TENANT_LABEL]: tenant.name },
            ),
          ]
        : [],
    ),
  ];
}

/** What Velero needs once its CRDs exist (after the release): where to write, and when. */
export function backupObjectManifests(config: StackConfig): Manifest[] {
  return [backupStorageLocationManifest(config), ...backupScheduleManifests(config)];
}

export interface BackupStep {
  name: "backup-credentials" | "backup-objects";
  after: AddonName[];
  manifests: Manifest[];
}

/**
 * The platform steps of backups: the credentials Secret before the release (which mounts it), the
 * storage location and schedules after it (which brings their CRDs). `credentials` is the credentials
 * file (veleroCredentialsFile) as a deploy-time secret.
 */
export function backupSteps<T>(config: StackConfig, credentials: T | undefined): BackupStep[] {
  if (credentials === undefined) throw new Error("backupsEnabled needs the backup credentials file");
  return [
    { name: "backup-credentials", after: [], manifests: [backupCredentialsManifest(credentials)] },
    { name: "backup-objects", after: [VELERO_RELEASE], manifests: backupObjectManifests(config) },
  ];
}
