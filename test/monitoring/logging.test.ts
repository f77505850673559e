import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { z } from "zod";
import { stackConfigSchema } from "../../src/config/schema";
import { alloyConfig } from "../../src/model/platform/logging";
import { LOGGING_CHART_DIR, LOGGING_RULES_FILE, readLoggingFiles } from "../../src/platform/loggingFiles";
import { shippedConfig } from "../helpers/plan";

/**
 * The log pipeline's alert rules (charts/loki/rules) with promtool, its Grafana dashboard, and Alloy's
 * configuration parsed and formatted by Alloy's own syntax package (test/logging/alloy-syntax, a Go
 * program built here with the Go toolchain the tests need anyway). promtool and go must be installed:
 * without them these tests fail, they do not skip.
 */

const RULES_TEST_FILE = path.join(LOGGING_CHART_DIR, "rules", "hetzner-k8s-logging.rules.test.yaml");
const KPS_DASHBOARDS = path.resolve(__dirname, "../../charts/kube-prometheus-stack/dashboards");
const ALLOY_SYNTAX_DIR = path.resolve(__dirname, "../logging/alloy-syntax");
const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const GO = process.env.GO ?? "go";

function run(command: string, args: string[], options: { cwd?: string; input?: string } = {}) {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 300_000, ...options });
  if (result.error)
    throw new Error(`${command} could not run (${result.error.message}); install it, CI does`);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function succeeds(command: string, args: string[], options: { cwd?: string; input?: string } = {}): string {
  const { status, stdout, stderr } = run(command, args, options);
  if (status !== 0)
    throw new Error(`${command} ${args.join(" ")} exited with ${status}:\n${stdout}${stderr}`);
  return stdout;
}

const stringMap = z.record(z.string(), z.string());
const rulesSchema = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string(),
          expr: z.string(),
          for: z.string(),
          labels: stringMap,
          annotations: stringMap,
        }),
      ),
    }),
  ),
});
const ruleTestsSchema = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      alert_rule_test: z.array(
        z.object({
          alertname: z.string(),
          exp_alerts: z.array(z.object({ exp_labels: stringMap })),
        }),
      ),
    }),
  ),
});

const ruleFile = rulesSchema.parse(parse(fs.readFileSync(LOGGING_RULES_FILE, "utf8")));
const alerts = ruleFile.groups.flatMap((group) => group.rules);
const cases = ruleTestsSchema
  .parse(parse(fs.readFileSync(RULES_TEST_FILE, "utf8")))
  .tests.flatMap((test) => test.alert_rule_test);

describe("the log pipeline's alert rules", () => {
  it("pass promtool's check and their unit tests", () => {
    expect(succeeds(PROMTOOL, ["check", "rules", LOGGING_RULES_FILE])).toContain(
      `SUCCESS: ${alerts.length} rules found`,
    );
    expect(succeeds(PROMTOOL, ["test", "rules", RULES_TEST_FILE])).toContain("SUCCESS");
  });

  it.each(alerts.map((alert) => [alert.alert, alert] as const))(
    "%s follows the cluster's conventions and watches the logging namespace",
    (_name, alert) => {
      expect(alert.alert).toMatch(/^HetznerK8s(Log|Loki)[A-Za-z]+$/);
      expect(["warning", "critical"]).toContain(alert.labels.severity);
      expect(alert.for).toMatch(/^\d+[smh]$/);
      expect(alert.annotations.summary?.trim()).toBeTruthy();
      expect(alert.annotations.description).toMatch(/\{\{.+\}\}/);
      expect(alert.expr).toContain('namespace="logging"');
    },
  );

  it("each fire in a unit test and stay quiet in another, and the tests name no other alert", () => {
    const names = alerts.map((alert) => alert.alert);
    const fired = new Set(cases.filter((c) => c.exp_alerts.length > 0).map((c) => c.alertname));
    const quiet = new Set(cases.filter((c) => c.exp_alerts.length === 0).map((c) => c.alertname));
    expect(names.filter((name) => !fired.has(name) || !quiet.has(name))).toEqual([]);
    expect(cases.map((c) => c.alertname).filter((name) => !names.includes(name))).toEqual([]);
  });

  it("are shipped as the program reads them, under names no cluster rule has", () => {
    expect(readLoggingFiles().rules).toBe(fs.readFileSync(LOGGING_RULES_FILE, "utf8"));
    const cluster = fs.readFileSync(
      path.resolve(__dirname, "../../charts/kube-prometheus-stack/rules/hetzner-k8s.rules.yaml"),
      "utf8",
    );
    for (const alert of alerts)
      expect([alert.alert, cluster.includes(alert.alert)]).toEqual([alert.alert, false]);
  });
});

// ---------------------------------------------------------------------------------------------------

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
}
interface Dashboard {
  uid: string;
  id: null;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown }[] };
}

const PROMETHEUS = { type: "prometheus", uid: "${datasource}" };
const LOKI = { type: "loki", uid: "${loki}" };

describe("the logs dashboard", () => {
  const dashboards = readLoggingFiles().dashboards;
  const dashboard = JSON.parse(dashboards.logs) as Dashboard;
  const queryPanels = dashboard.panels.filter((panel) => panel.type !== "row");

  it("is the only logging dashboard, with a uid no cluster dashboard has", () => {
    expect(Object.keys(dashboards)).toEqual(["logs"]);
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.id).toBeNull();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    const others = fs
      .readdirSync(KPS_DASHBOARDS)
      .map((file) => (JSON.parse(fs.readFileSync(path.join(KPS_DASHBOARDS, file), "utf8")) as Dashboard).uid);
    expect(others).not.toContain(dashboard.uid);
  });

  it("picks Prometheus and Loki through data source variables", () => {
    const variables = dashboard.templating.list;
    expect(variables.find((v) => v.name === "datasource")).toMatchObject({
      type: "datasource",
      query: "prometheus",
    });
    expect(variables.find((v) => v.name === "loki")).toMatchObject({ type: "datasource", query: "loki" });
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of queryPanels) {
      const known = [PROMETHEUS, LOKI].some(
        (source) => JSON.stringify(source) === JSON.stringify(panel.datasource),
      );
      expect([panel.title, known]).toEqual([panel.title, true]);
      for (const target of panel.targets ?? [])
        expect([panel.title, target.datasource]).toEqual([panel.title, panel.datasource]);
    }
  });

  it("shows volume per namespace, errors, the pod logs and the pipeline's health", () => {
    const loki = queryPanels.filter((panel) => panel.datasource?.type === "loki");
    const prometheus = queryPanels.filter((panel) => panel.datasource?.type === "prometheus");
    const exprs = (panels: Panel[]) =>
      panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr ?? ""));
    expect(exprs(loki)).toContainEqual(expect.stringMatching(/^sum by \(namespace\) \(count_over_time\(/));
    expect(exprs(loki)).toContainEqual(expect.stringContaining("error"));
    expect(loki.map((panel) => panel.type)).toContain("logs");
    expect(exprs(prometheus).join("\n")).toContain("loki_write_dropped_entries_total");
  });

  it("queries Prometheus with PromQL that promtool parses", () => {
    const exprs = queryPanels
      .filter((panel) => panel.datasource?.type === "prometheus")
      .flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? ""));
    expect(exprs.length).toBeGreaterThan(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hk-logs-dashboard-"));
    try {
      const file = path.join(dir, "exprs.rules.yaml");
      const rules = exprs.map((expr, i) => ({
        record: `dashboard:logs_${i}:check`,
        expr: expr.replace(/\$\{?([A-Za-z_]\w*)\}?/g, (_m, name: string) =>
          name.startsWith("__") ? "5m" : ".+",
        ),
      }));
      fs.writeFileSync(file, stringify({ groups: [{ name: "logs", rules }] }));
      expect(succeeds(PROMTOOL, ["check", "rules", file])).toContain(`SUCCESS: ${exprs.length} rules found`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------------

describe("Alloy's configuration, read by Alloy's own parser", () => {
  let binary = "";
  let dir = "";
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hk-alloy-syntax-"));
    binary = path.join(dir, "alloy-syntax");
    succeeds(GO, ["build", "-o", binary, "."], { cwd: ALLOY_SYNTAX_DIR });
  }, 300_000);
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  const configs = [
    ["dev", alloyConfig(shippedConfig("dev"))],
    ["prod", alloyConfig(shippedConfig("prod"))],
  ] as const;

  it.each(configs)("parses and is formatted as alloy fmt formats it (%s)", (_stack, config) => {
    expect(succeeds(binary, [], { input: config })).toBe(config.trimEnd());
  });

  it("uses the components it means to, each generally available in Alloy v1.18", () => {
    const blocks = succeeds(binary, ["-blocks"], { input: configs[0][1] }).trim().split("\n");
    expect([...new Set(blocks)].sort()).toEqual([
      "discovery.kubernetes",
      "discovery.relabel",
      "local.file_match",
      "loki.process",
      "loki.relabel",
      "loki.source.file",
      "loki.source.journal",
      "loki.source.kubernetes_events",
      "loki.write",
    ]);
  });

  it("refuses a configuration that does not parse (the check is real)", () => {
    const broken = alloyConfig(stackConfigSchema.parse({ ...shippedConfig("dev") })).replace(/\}\s*$/, "");
    expect(run(binary, [], { input: broken }).status).toBe(1);
  });
});
