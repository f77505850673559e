import { existsSync, readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import type { MonitoringFiles } from "../model/platform/platform";
import { readLoggingFiles } from "./loggingFiles";

/** The operator-editable files of the platform layer, under charts/. */

export const CHARTS_DIR = path.resolve(__dirname, "../../charts");

/** charts/<release>/values.yaml, or no values when the file does not exist. */
export function readOperatorValues(release: string): Record<string, unknown> {
  const file = path.join(CHARTS_DIR, release, "values.yaml");
  if (!existsSync(file)) return {};
  const values: unknown = parse(readFileSync(file, "utf8"));
  if (values === null || values === undefined) return {};
  if (typeof values !== "object" || Array.isArray(values))
    throw new Error(`${file} must hold a YAML mapping`);
  return values as Record<string, unknown>;
}

export function readMonitoringFiles(): MonitoringFiles {
  const base = path.join(CHARTS_DIR, "kube-prometheus-stack");
  const dashboardsDir = path.join(base, "dashboards");
  const dashboards = Object.fromEntries(
    readdirSync(dashboardsDir)
      .filter((file) => file.endsWith(".json"))
      .sort()
      .map((file) => [path.basename(file, ".json"), readFileSync(path.join(dashboardsDir, file), "utf8")]),
  );
  return {
    rules: readFileSync(path.join(base, "rules", "hetzner-k8s.rules.yaml"), "utf8"),
    dashboards,
    logging: readLoggingFiles(),
  };
}
