/**
 * Every version and image the program installs, pinned in one place so that an upgrade is one
 * reviewed diff and the plan shows exactly what will run.
 */
export const VERSIONS = {
  /** Hetzner image for every server; changing it never replaces an existing server. */
  serverImage: "ubuntu-24.04",
  /** k3s release installed on new nodes; `k3sVersion` in the stack overrides it. */
  k3s: "v1.33.5+k3s1",
} as const;

export interface ChartPin {
  repo: string;
  chart: string;
  version: string;
}

/** Helm charts of the platform layer. Rancher 2.14 is the newest line that supports Kubernetes 1.33. */
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

/** Images the program deploys itself (not through a chart). */
export const IMAGES = {
  localPathProvisioner: "docker.io/rancher/local-path-provisioner:v0.0.37",
  /** Runs local-path-provisioner's setup and teardown of volume directories. */
  localPathHelper: "docker.io/library/busybox:1.37.0",
} as const;
