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
} as const satisfies Record<string, ChartPin>;

/** Newest Kubernetes minor the pinned Rancher chart installs on (its kubeVersion: < 1.36.0-0). */
export const RANCHER_MAX_KUBERNETES_MINOR = 35;

/** Images the program deploys itself (not through a chart). */
export const IMAGES = {
  localPathProvisioner: "docker.io/rancher/local-path-provisioner:v0.0.37",
  /** Runs local-path-provisioner's setup and teardown of volume directories. */
  localPathHelper: "docker.io/library/busybox:1.37.0",
} as const;
