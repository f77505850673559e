import type { StackConfig } from "../../config/schema";
import { CHARTS } from "../../versions";
import { MONITORING_NAMESPACE } from "./monitoring";
import { PLATFORM_PRIORITY_CLASS } from "./priority";
import { when, type ReleaseModel } from "./releaseModel";

/**
 * Coordinated reboots after OS updates (kured). Every node installs updates by itself (unattended-upgrades,
 * model/cloudInit.ts), but a new kernel only runs after a reboot, and nothing else reboots a node. kured
 * runs on every node, and a node that needs a reboot takes the cluster-wide lock, cordons, drains, reboots
 * and, once back, uncordons and gives the lock up: one node at a time, inside the window of the stack.
 *
 * The facts below were read in kubereboot/charts at tag kured-6.1.0 (commit 180a59fa09be, charts/kured:
 * values.yaml, templates/daemonset.yaml, service.yaml, servicemonitor.yaml) and in kubereboot/kured at tag
 * 1.23.0, the chart's appVersion (commit ef3c90b2bd58: cmd/kured/main.go, pkg/blockers/prometheus.go,
 * pkg/checkers/checker.go, pkg/daemonsetlock/daemonsetlock.go, pkg/timewindow).
 *
 * The reboot sentinel is kured's default file, /var/run/reboot-required. On Debian, unattended-upgrades
 * itself ships the kernel hook /etc/kernel/postinst.d/unattended-upgrades, which creates that file (and
 * lists the package in /var/run/reboot-required.pkgs) whenever a kernel package is installed: read in
 * Debian 12's unattended-upgrades 2.9.1+nmu3, and unchanged upstream (mvo5/unattended-upgrades,
 * kernel/postinst.d/unattended-upgrades) since 0.83.4 up to 2.13, so Debian 13's has it too. Debian's
 * kernel packages run every hook in /etc/kernel/postinst.d (Debian kernel handbook, "Kernel hooks";
 * linux-base's linux-run-hooks). On Ubuntu the same package and update-notifier-common create it. Every
 * server installs unattended-upgrades at its first boot (cloud-init), so no other package and no sentinel
 * command is needed, and servers created before this add-on have the hook already; the node tier checks the
 * hook on Debian 12 and 13 (test/node/firstBoot.node.test.ts). /var/run is a tmpfs: a reboot clears it.
 *
 * etcd: a control-plane node's reboot takes one etcd member down for a while. Two things keep a second
 * member from going down meanwhile, and so keep etcd's quorum:
 * - concurrency 1: the lock on kured's DaemonSet admits one node at a time, and the rebooted node gives it
 *   up only once it runs kured again (so its k3s, which runs its etcd member, is back), and
 *   LOCK_RELEASE_DELAY later still, so that the member catches up and Prometheus sees how it is before the
 *   next node may start;
 * - with monitoring, the alert gate: kured starts no drain while Prometheus has any alert pending or
 *   firing (kured queries ALERTS; an unreachable Prometheus blocks too), the cluster's
 *   HetznerK8sEtcdMemberDown, HetznerK8sEtcdNoLeader and HetznerK8sEtcdInsufficientMembers among them
 *   (charts/kube-prometheus-stack/rules; the chart's own etcd rules are off with kubeEtcd.enabled false),
 *   as well as a node down or not ready. A member that did not come back thus holds every later reboot.
 * Without monitoring only the lock protects etcd.
 */

export const KURED_NAMESPACE = "kured";
/** The release name; the chart names its DaemonSet after it (kured.fullname), which holds the lock. */
export const KURED_RELEASE = "kured";
/** kured's own annotation on its DaemonSet for the lock (kured 1.23.0: KuredNodeLockAnnotation). */
export const KURED_LOCK_ANNOTATION = "weave.works/kured-node-lock";

/**
 * kube-prometheus-stack's Prometheus Service: `<fullname>-prometheus` on port 9090 (kube-prometheus-stack
 * 88.5.3: templates/prometheus/service.yaml, values.yaml prometheus.service.port). A function, because
 * monitoring.ts imports releases.ts, which imports this file.
 */
export function prometheusUrl(): string {
  return `http://kube-prometheus-stack-prometheus.${MONITORING_NAMESPACE}.svc:9090`;
}

/**
 * Alerts that never hold a reboot (kured matches the alert name only):
 * - kube-prometheus-stack's Watchdog, which fires always (it proves the alerting pipeline), and
 *   InfoInhibitor, which fires whenever an info alert does (kube-prometheus-stack 88.5.3:
 *   templates/prometheus/rules-1.14/general.rules.yaml);
 * - what a tenant's own use raises and may keep up for weeks, so that no tenant can stop the cluster's
 *   patching: its quota full or nearly so (KubeQuotaAlmostFull, KubeQuotaFullyUsed, KubeQuotaExceeded and
 *   CPUThrottlingHigh in kubernetes-resources.yaml of the same chart; the cluster's own
 *   HetznerK8sTenantQuotaAlmostFull), its images' critical vulnerabilities
 *   (HetznerK8sCriticalImageVulnerabilities), its failing backups (HetznerK8sBackupFailed) and the failed
 *   scale-ups its pending pods set off (HetznerK8sAutoscalerScaleUpFailed: an autoscaled pool at the project's
 *   server limit, say): a reboot fixes none of them, and a hostile tenant could otherwise hold the cluster's
 *   patching for good.
 * Everything else holds reboots, the etcd and node alerts above all; so does an unreachable backup bucket,
 * which no tenant controls.
 */
export const ALERTS_NOT_BLOCKING = [
  "Watchdog",
  "InfoInhibitor",
  "CPUThrottlingHigh",
  "KubeQuotaAlmostFull",
  "KubeQuotaFullyUsed",
  "KubeQuotaExceeded",
  "HetznerK8sTenantQuotaAlmostFull",
  "HetznerK8sCriticalImageVulnerabilities",
  "HetznerK8sBackupFailed",
  "HetznerK8sAutoscalerScaleUpFailed",
] as const;

/** ALERTS_NOT_BLOCKING as kured's --alert-filter-regexp. */
export const ALERT_FILTER = `^(${ALERTS_NOT_BLOCKING.join("|")})$`;

/** How often each node's kured looks for its sentinel (kured's default 1h): a window fits several nodes. */
export const CHECK_PERIOD = "10m";
/** How long a rebooted node keeps the lock once back (kured --lock-release-delay; default none). */
export const LOCK_RELEASE_DELAY = "5m";
/** The sentinel file kured looks for (its default, stated: see above for who creates it). */
export const REBOOT_SENTINEL = "/var/run/reboot-required";

export function rebootsRelease(config: StackConfig): ReleaseModel<never> {
  const window = config.rebootWindow;
  const monitoring = config.monitoringEnabled;
  return {
    name: KURED_RELEASE,
    namespace: KURED_NAMESPACE,
    chart: CHARTS.kured,
    values: {
      configuration: {
        concurrency: 1,
        // A node whose drain fails or outlasts drainTimeout is not rebooted: kured uncordons it, gives the
        // lock up and tries again at its next check. Drains go through the eviction API, so
        // PodDisruptionBudgets hold (kured 1.23.0: the kubectl drain helper, main.go drain()).
        forceReboot: false,
        drainTimeout: `${config.drainTimeoutSeconds}s`,
        period: CHECK_PERIOD,
        lockReleaseDelay: LOCK_RELEASE_DELAY,
        rebootSentinel: REBOOT_SENTINEL,
        rebootDays: [...window.days],
        startTime: window.start,
        endTime: window.end,
        timeZone: window.timeZone,
        ...(monitoring && { prometheusUrl: prometheusUrl(), alertFilterRegexp: ALERT_FILTER }),
      },
      priorityClassName: PLATFORM_PRIORITY_CLASS,
      // Every node, whatever its taints: the chart's own tolerations only cover the control-plane taints.
      tolerations: [{ operator: "Exists" }],
      // The chart's Service and ServiceMonitor for kured_reboot_required, which shows the nodes waiting.
      ...(monitoring && { metrics: { create: true } }),
    },
    // The ServiceMonitor needs kube-prometheus-stack's CRD.
    after: ["priority-class", ...when(monitoring, "kube-prometheus-stack")],
    timeoutSeconds: 600,
  };
}
