import { parse } from "yaml";
import type { IPrometheusRule } from "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule";
import type { IConfigMap } from "kubernetes-models/v1/ConfigMap";
import { manifestOf, metadata, type Manifest } from "./common";
import { GRAFANA_DASHBOARD_LABEL, MONITORING_NAMESPACE } from "../../names";

export { MONITORING_NAMESPACE };

/** The cluster's own alert rules (a Prometheus rule file, tested with promtool) as a PrometheusRule. */
export function prometheusRuleManifest(rulesFile: string): Manifest {
  const rules = parse(rulesFile) as { groups: NonNullable<IPrometheusRule["spec"]>["groups"] };
  return manifestOf<IPrometheusRule>({
    apiVersion: "monitoring.coreos.com/v1",
    kind: "PrometheusRule",
    metadata: metadata("hetzner-k8s", MONITORING_NAMESPACE),
    spec: { groups: rules.groups },
  });
}

/** Grafana dashboards as ConfigMaps; Grafana's sidecar loads every ConfigMap with the dashboard label. */
export function dashboardManifests(dashboards: Record<string, string>): Manifest[] {
  return Object.entries(dashboards).map(([name, json]) =>
    manifestOf<IConfigMap>({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: metadata(`dashboard-${name}`, MONITORING_NAMESPACE, { [GRAFANA_DASHBOARD_LABEL]: "1" }),
      data: { [`${name}.json`]: json },
    }),
  );
}
