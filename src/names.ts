/**
 * Names the layers share: the project's own, and the Kubernetes names several add-ons and the tenants
 * agree on. A leaf beside versions.ts: it imports nothing, so any layer may import it.
 */

/** The project's name, and so the namespace of every config key (`hetzner-k8s:nodes`). */
export const PROJECT = "hetzner-k8s";

/** kube-prometheus-stack's namespace: Prometheus, Alertmanager and Grafana run there. */
export const MONITORING_NAMESPACE = "monitoring";

/** kube-state-metrics exports this namespace label, so alerts and dashboards can group by tenant. */
export const TENANT_LABEL = `${PROJECT}.io/tenant`;

/** ConfigMaps with this label are dashboards Grafana's sidecar loads. */
export const GRAFANA_DASHBOARD_LABEL = "grafana_dashboard";
