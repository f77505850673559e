/**
 * Every version and image the program installs, pinned in one place so that an upgrade is one
 * reviewed diff and the plan shows exactly what will run.
 */
export const VERSIONS = {
  /**
   * Hetzner image for new servers; changing it never replaces an existing server. Debian 13 is Debian's
   * stable release (security support into 2028, LTS to 2030), and the node tier boots its packages with the
   * program's own user data and scripts (test/node); Ubuntu's cannot be tested there.
   */
  serverImage: "debian-13",
  /**
   * k3s release installed on new nodes; `k3sVersion` in the stack overrides it. Kubernetes 1.35 is
   * supported upstream until February 2027 and is the newest minor the pinned Rancher line accepts
   * (rancher chart 2.14.x declares `kubeVersion: < 1.36.0-0`, read at tag v2.14.4). 1.36 needs Rancher 2.15.
   */
  k3s: "v1.35.6+k3s1",
} as const;

/**
 * Every k3s release the program accepts as `k3sVersion`, newest per line last. Read from the k3s
 * release notes (docs.k3s.io/release-notes/v1.3x.X and the GitHub releases of k3s-io/k3s) on
 * 2026-12-02. Lines before 1.33 are out of support and not offered; 1.33 and 1.34 stay so that a
 * cluster on them can be upgraded one minor at a time. A newer release is one line here.
 */
export const K3S_RELEASES = [
  ...["v1.33.0", "v1.33.1", "v1.33.2", "v1.33.3", "v1.33.4", "v1.33.5", "v1.33.6"],
  ...["v1.34.1", "v1.34.2"],
  ...["v1.35.0+k3s1", "v1.35.0+k3s3", "v1.35.1", "v1.35.2", "v1.35.3", "v1.35.4", "v1.35.5", "v1.35.6"],
  ...["v1.36.0", "v1.36.1", "v1.36.2", "v1.36.3"],
  ...["v1.37.0", "v1.37.1"],
].map((release) => (release.includes("+") ? release : `${release}+k3s1`));

export interface ChartPin {
  repo: string;
  chart: string;
  version: string;
}

/**
 * Helm charts of the platform layer. Rancher 2.14 supports Kubernetes up to 1.35 (its chart's
 * kubeVersion), which bounds the k3s pin above.
 */
export const CHARTS = {
  hcloudCloudControllerManager: {
    repo: "https://charts.hetzner.cloud",
    chart: "hcloud-cloud-controller-manager",
    version: "1.35.0",
  },
  hcloudCsi: { repo: "https://charts.hetzner.cloud", chart: "hcloud-csi", version: "2.22.1" },
  traefik: { repo: "https://traefik.github.io/charts", chart: "traefik", version: "41.3.0" },
  certManager: { repo: "https://charts.jetstack.io", chart: "cert-manager", version: "v1.21.1" },
  rancher: { repo: "https://releases.rancher.com/server-charts/stable", chart: "rancher", version: "2.14.4" },
  kubePrometheusStack: {
    repo: "https://prometheus-community.github.io/helm-charts",
    chart: "kube-prometheus-stack",
    version: "88.5.3",
  },
  /**
   * kured (kubereboot/kured) 1.23.0, the chart's appVersion: read in kubereboot/charts at tag kured-6.1.0
   * (charts/kured/Chart.yaml, values.yaml, templates/daemonset.yaml; the chart ships no values.schema.json)
   * and kubereboot/kured at tag 1.23.0 (cmd/kured/main.go, pkg/timewindow, pkg/blockers/prometheus.go).
   */
  kured: { repo: "https://kubereboot.github.io/charts", chart: "kured", version: "6.1.0" },
  /**
   * Trivy operator (aquasecurity/trivy-operator) 0.32.0, the chart's appVersion; its Trivy image 0.72.0
   * (values.yaml trivy.image.tag). Chart 0.34.0 is the one at the repository's newest tag v0.32.0 (commit
   * 1006872c1463), read there: deploy/helm/Chart.yaml, values.yaml, templates/ (the chart ships no
   * values.schema.json), and pkg/metrics/collector.go, pkg/plugins/trivy/image.go, pkg/operator/operator.go.
   */
  trivyOperator: {
    repo: "https://aquasecurity.github.io/helm-charts",
    chart: "trivy-operator",
    version: "0.34.0",
  },
  /**
   * Velero 1.17.1, the chart's appVersion: read in vmware-tanzu/helm-charts at tag velero-11.4.0 (commit
   * d3c3d645a024: charts/velero Chart.yaml, values.yaml, values.schema.json, templates/) and in
   * vmware-tanzu/velero at tag v1.17.1 (README's compatibility matrix: Kubernetes 1.18 and later). Not
   * the newer velero-12.x line (Velero 1.18): velero-plugin-for-aws pairs 1.18 with plugin 1.14.x, of which
   * only a release candidate was published when this was read; see IMAGES.veleroPluginForAws.
   */
  velero: { repo: "https://vmware-tanzu.github.io/helm-charts", chart: "velero", version: "11.4.0" },
  /**
   * Loki, the log store (model/platform/logging.ts). Chart 7.3.0 is the newest at grafana/loki's tag
   * helm-loki-7.3.0 (commit 50c738b4d5b2), read there: production/helm/loki Chart.yaml (appVersion 3.6.12),
   * values.yaml (its loki.image.tag says 3.6.11, which is what runs), values.schema.json (closes nothing),
   * templates/validate.yaml, _helpers.tpl, single-binary/, monitoring/servicemonitor.yaml; Loki's own
   * metrics and retention documentation at tag v3.6.12 (pkg/compactor/metrics.go, pkg/ingester/metrics.go,
   * docs/sources/operations/storage/retention.md).
   */
  loki: { repo: "https://grafana.github.io/helm-charts", chart: "loki", version: "7.3.0" },
  /**
   * Grafana Alloy v1.18.1, the log collector, the chart's appVersion. Chart 1.11.1 is the newest at
   * grafana/alloy's tag helm-chart/1.11.1 (commit 233907cff225), read there: operations/helm/charts/alloy
   * Chart.yaml, values.yaml (no values.schema.json), templates/controllers/_pod.yaml, containers/_agent.yaml,
   * service.yaml, servicemonitor.yaml; Alloy's metrics at tag v1.18.1 (internal/component/common/loki/
   * client/metrics.go, internal/runtime/internal/controller/metrics.go).
   */
  alloy: { repo: "https://grafana.github.io/helm-charts", chart: "alloy", version: "1.11.1" },
  /**
   * cluster-autoscaler with its Hetzner provider, for autoscaled pools (model/platform/autoscaler.ts). Chart
   * 9.59.0 is the newest at kubernetes/autoscaler's tag cluster-autoscaler-chart-9.59.0 (commit 5a0b98e45f89),
   * read there: cluster-autoscaler/charts/cluster-autoscaler Chart.yaml (appVersion 1.35.0; no kubeVersion,
   * no values.schema.json), values.yaml, templates/. Its image is pinned apart: IMAGES.clusterAutoscalerTag.
   */
  clusterAutoscaler: {
    repo: "https://kubernetes.github.io/autoscaler",
    chart: "cluster-autoscaler",
    version: "9.59.0",
  },
} as const satisfies Record<string, ChartPin>;

/** Newest Kubernetes minor the pinned Rancher chart installs on (its kubeVersion: < 1.36.0-0). */
export const RANCHER_MAX_KUBERNETES_MINOR = 35;

/** Images the program deploys itself (not through a chart). */
export const IMAGES = {
  localPathProvisioner: "docker.io/rancher/local-path-provisioner:v0.0.37",
  /** Runs local-path-provisioner's setup and teardown of volume directories. */
  localPathHelper: "docker.io/library/busybox:1.37.0",
  /**
   * Velero's object-store plugin for S3-compatible storage, run as an init container of the Velero
   * server (CHARTS.velero). Plugin 1.13.x is the line for Velero 1.17.x (vmware-tanzu/velero-plugin-for-aws
   * README, "Compatibility", read at tag v1.13.2), and Velero's own end-to-end tests pair v1.17 with
   * v1.13.2 (vmware-tanzu/velero v1.18.1: test/util/velero/velero_utils.go ImagesMatrix).
   */
  veleroPluginForAws: "docker.io/velero/velero-plugin-for-aws:v1.13.2",
  /**
   * The cluster-autoscaler image tag (the chart's registry.k8s.io/autoscaling/cluster-autoscaler): 1.35.2 is
   * the newest patch of the 1.35 line, the minor of the pinned k3s (the project supports each autoscaler
   * minor with the same Kubernetes minor), tag cluster-autoscaler-1.35.2 (commit 2d42588803c7, 2026-07-22);
   * its Hetzner provider is the chart's appVersion 1.35.0 code.
   */
  clusterAutoscalerTag: "v1.35.2",
} as const;

/**
 * The vulnerability databases Trivy downloads before it scans, as the pinned trivy-operator chart has them
 * (chart 0.34.0, values.yaml: trivy.dbRegistry/dbRepository and trivy.javaDbRegistry/javaDbRepository,
 * joined as "<registry>/<repository>" by templates/configmaps/trivy.yaml). An offline or air-gapped
 * cluster points imageScanningDbRepository and imageScanningJavaDbRepository at a mirror of both repositories in a registry it can reach.
 */
export const IMAGE_SCANNING_DB_DEFAULTS = {
  db: "mirror.gcr.io/aquasec/trivy-db",
  javaDb: "mirror.gcr.io/aquasec/trivy-java-db",
} as const;
