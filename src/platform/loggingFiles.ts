import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { LoggingFiles } from "../model/platform/logging";

/** The logging add-on's operator-editable files: charts/loki/rules and charts/loki/dashboards. */

export const LOGGING_CHART_DIR = path.resolve(__dirname, "../../charts/loki");
export const LOGGING_RULES_FILE = path.join(LOGGING_CHART_DIR, "rules", "hetzner-k8s-logging.rules.yaml");

export function readLoggingFiles(): LoggingFiles {
  const dashboardsDir = path.join(LOGGING_CHART_DIR, "dashboards");
  const dashboards = Object.fromEntries(
    readdirSync(dashboardsDir)
      .filter((file) => file.endsWith(".json"))
      .sort()
      .map((file) => [path.basename(file, ".json"), readFileSync(path.join(dashboardsDir, file), "utf8")]),
  );
  return { rules: readFileSync(LOGGING_RULES_FILE, "utf8"), dashboards };
}
