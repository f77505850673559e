import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import { splitOciRepository } from "../../config/imageScanningRules";
import type { StackConfig } from "../../config/schema";
import { CHARTS } from "../../versions";
import type { Manifest } from "./common";
import { MONITORING_NAMESPACE } from "./monitoring";
import { allow, byNamespace, defaultDenyIngress, tcp } from "./policyBuilders";
import { PLATFORM_PRIORITY_CLASS } from "./priority";
import { when, type ReleaseModel } from "./releaseModel";

/**
 * Image scanning: the Trivy operator watches the cluster's workloads and scans the images of what runs
 * (Trivy, in scan jobs it starts in its own namespace), then writes the findings as namespaced reports next
 * to each workload: VulnerabilityReports, ExposedSecretReports and ConfigAuditReports. Tenants read those of
 * their own namespaces (tenantRoleRules in model/tenants.ts); Prometheus scrapes the operator's counts
 * (trivy_image_vulnerabilities) for the cluster's alert and dashboard.
 *
 * The facts below were read in aquasecurity/trivy-operator at tag v0.32.0 (commit 1006872c1463), whose chart
 * is trivy-operator 0.34.0: deploy/helm/values.yaml, templates/deployment.yaml, configmaps/trivy.yaml,
 * configmaps/operator.yaml, monitor/service.yaml, monitor/servicemonitor.yaml, crds/; pkg/operator/operator.go,
 * pkg/operator/predicate/predicate.go, pkg/plugins/trivy/image.go, pkg/metrics/collector.go and types.go.
 *
 * What runs where, and why it fits the platform's namespaces:
 * - Scan jobs run in the operator's namespace (trivyOperator.scanJobsInSameNamespace false, the chart's
 *   default), so no tenant quota pays for them and no tenant sees them. In the image mode used here
 *   (trivy.command image, Standalone) a job's init container downloads the databases into an emptyDir and
 *   one container per scanned container pulls that image's layers from its registry: no host path, no host
 *   network, no privilege. The namespace's Pod Security level is the platform's baseline (platform.ts);
 *   the jobs' security context below meets restricted as well, which the namespace warns and audits at.
 * - The node collector (a job with host paths on every node, for infra assessments and the compliance
 *   reports) would be refused at baseline, and it reports on the nodes, not on workloads: off.
 */

export const IMAGE_SCANNING_NAMESPACE = "trivy-system";
/** The release name; it contains the chart's name, so the chart names its objects after it alone. */
export const IMAGE_SCANNING_RELEASE = "trivy-operator";
/** The operator's pod labels (the chart's selectorLabels: name and instance). */
export const TRIVY_OPERATOR_POD_LABELS = {
  "app.kubernetes.io/name": "trivy-operator",
  "app.kubernetes.io/instance": IMAGE_SCANNING_RELEASE,
} as const;
/** The operator's container port of its /metrics (templates/deployment.yaml: metrics 8080). */
export const TRIVY_METRICS_PORT = "metrics";

/** The report kinds a tenant reads in its own namespaces; all namespaced (the chart's crds/). */
export const TENANT_REPORT_RESOURCES = [
  "vulnerabilityreports",
  "exposedsecretreports",
  "configauditreports",
] as const;
export const TRIVY_API_GROUP = "aquasecurity.github.io";

/**
 * Read-only access to the reports of the Role's namespace. The chart aggregates the same verbs into
 * Kubernetes' view/edit/admin ClusterRoles, which tenants are never bound to; a Role grants them in its own
 * namespace only, and none of the cluster-scoped kinds (ClusterVulnerabilityReports, ClusterConfigAuditReports,
 * ClusterRbacAssessmentReports, ...) can be granted by a Role at all.
 */
export function tenantReportRules(): IPolicyRule[] {
  return [
    {
      apiGroups: [TRIVY_API_GROUP],
      resources: [...TENANT_REPORT_RESOURCES],
      verbs: ["get", "list", "watch"],
    },
  ];
}

/**
 * At most this many scan jobs at once (operator.scanJobsConcurrentLimit, chart default 10): each pulls
 * an image and holds the databases, so three keep the load on the pool and on the registries small.
 */
export const SCAN_JOBS_CONCURRENT_LIMIT = 3;
/**
 * Each scan container's and init container's requests and limits (trivy.resources). Small requests, so
 * that scans fit beside the tenants' promised quota (the pool counts no platform pod); the memory limit
 * holds Trivy's slow mode (trivy.slow, the chart's default) on large images.
 */
export const SCAN_JOB_RESOURCES = {
  requests: { cpu: "100m", memory: "256Mi" },
  limits: { cpu: "500m", memory: "1Gi" },
} as const;
/** How long a report lives before the workload is scanned again with the current databases. */
export const SCANNER_REPORT_TTL = "24h";
/** The trivy image's user is root; the jobs run as a fixed unprivileged one, like the operator's 10000. */
const SCAN_JOB_USER = 10000;

export function imageScanningRelease(config: StackConfig): ReleaseModel<never> {
  const monitoring = config.monitoringEnabled;
  const db = splitOciRepository(config.imageScanningDbRepository);
  const javaDb = splitOciRepository(config.imageScanningJavaDbRepository);
  return {
    name: IMAGE_SCANNING_RELEASE,
    namespace: IMAGE_SCANNING_NAMESPACE,
    chart: CHARTS.trivyOperator,
    values: {
      operator: {
        scanJobsConcurrentLimit: SCAN_JOBS_CONCURRENT_LIMIT,
        // Running workloads only: the current ReplicaSet of a Deployment, not its rollout history (both
        // the chart's defaults, stated because the alert and the reports depend on them).
        vulnerabilityScannerEnabled: true,
        vulnerabilityScannerScanOnlyCurrentRevisions: true,
        configAuditScannerScanOnlyCurrentRevisions: true,
        scannerReportTTL: SCANNER_REPORT_TTL,
        // No SBOM reports (large objects in etcd for every workload, and the source of the cluster-wide
        // ClusterVulnerabilityReports), no node collector (see above), no cluster compliance reports and
        // no RBAC assessments: reports on the cluster itself rather than on workloads.
        sbomGenerationEnabled: false,
        infraAssessmentScannerEnabled: false,
        clusterComplianceEnabled: false,
        rbacAssessmentScannerEnabled: false,
        // The trivy_image_vulnerabilities counts behind the alert and the dashboard.
        metricsFindingsEnabled: true,
      },
      trivyOperator: {
        // Not the platform class: a scan can wait, and must never preempt a tenant's pod to make room.
        // The jobs get the cluster's default class (tenants' "default", model/tenants.ts) instead.
        scanJobPodPriorityClassName: "",
        scanJobPodTemplateContainerSecurityContext: {
          allowPrivilegeEscalation: false,
          capabilities: { drop: ["ALL"] },
          privileged: false,
          readOnlyRootFilesystem: true,
          runAsNonRoot: true,
          runAsUser: SCAN_JOB_USER,
          runAsGroup: SCAN_JOB_USER,
          seccompProfile: { type: "RuntimeDefault" },
        },
      },
      trivy: {
        // Findings with a fixed version only: what a tenant can act on by updating its image.
        ignoreUnfixed: true,
        resources: SCAN_JOB_RESOURCES,
        dbRegistry: db.registry,
        dbRepository: db.repository,
        javaDbRegistry: javaDb.registry,
        javaDbRepository: javaDb.repository,
      },
      priorityClassName: PLATFORM_PRIORITY_CLASS,
      // The operator's own container (its image runs as user 10000), merged into the chart's defaults.
      securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
      serviceMonitor: monitoring
        ? // honorLabels keeps each series' own namespace (the report's), which the alert groups by,
          // instead of the scraped target's (trivy-system).
          { enabled: true, honorLabels: true }
        : { enabled: false },
    },
    // The ServiceMonitor needs kube-prometheus-stack's CRD; the operator's pod, like every other add-on's,
    // waits for the cloud controller to initialize the nodes.
    after: [
      "priority-class",
      "hcloud-cloud-controller-manager",
      ...when(monitoring, "kube-prometheus-stack"),
    ],
    timeoutSeconds: 600,
  };
}

/**
 * Ingress of the operator's namespace: nothing but Prometheus to the operator's metrics port; the scan jobs
 * serve nothing. Egress stays open as in every platform namespace (networkPolicies.ts): the operator calls
 * the API server, the scan jobs download the databases (imageScanningDbRepository and
 * imageScanningJavaDbRepository, HTTPS) and pull the scanned images from their registries.
 */
export function imageScanningNetworkPolicies(config: StackConfig): Manifest[] {
  if (!config.imageScanningEnabled) return [];
  const namespace = IMAGE_SCANNING_NAMESPACE;
  return [
    defaultDenyIngress(namespace),
    ...(config.monitoringEnabled
      ? [
          allow("allow-metrics-from-monitoring", namespace, {
            pods: { ...TRIVY_OPERATOR_POD_LABELS },
            from: [byNamespace(MONITORING_NAMESPACE)],
            ports: [tcp(TRIVY_METRICS_PORT)],
          }),
        ]
      : []),
  ];
}
