import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import { z } from "zod";

/**
 * The alert rules and Grafana dashboards installed with kube-prometheus-stack. The rules are checked
 * and unit-tested with promtool (Debian/Ubuntu: `apt-get install prometheus`; or a Prometheus release;
 * PROMTOOL may point at the binary). CI installs promtool: without it these tests fail, they do not skip.
 */

const CHART_DIR = path.resolve(__dirname, "../../charts/kube-prometheus-stack");
const RULES_FILE = path.join(CHART_DIR, "rules/hetzner-k8s.rules.yaml");
const RULES_TEST_FILE = path.join(CHART_DIR, "rules/hetzner-k8s.rules.test.yaml");
const DASHBOARD_FILES = ["resource-pool.json", "tenant-usage.json", "image-vulnerabilities.json"].map(
  (name) => path.join(CHART_DIR, "dashboards", name),
);
const PROMTOOL = process.env.PROMTOOL ?? "promtool";
const SEVERITIES = ["warning", "critical"];

// ---------------------------------------------------------------------------------------------------
// promtool

interface PromtoolResult {
  status: number | null;
  output: string;
}

function runPromtool(args: string[]): PromtoolResult {
  const result = spawnSync(PROMTOOL, args, { encoding: "utf8", timeout: 60_000 });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new Error(
        `promtool not found ("${PROMTOOL}" is not on PATH). Install it (apt-get install prometheus, or ` +
          "promtool from a Prometheus release) or set PROMTOOL to its path; CI installs it.",
      );
    }
    throw result.error;
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Runs promtool and fails with its whole output unless it exits 0. */
function promtoolSucceeds(args: string[]): string {
  const { status, output } = runPromtool(args);
  if (status !== 0) {
    throw new Error(`promtool ${args.join(" ")} exited with ${status}:\n${output}`);
  }
  expect(status).toBe(0);
  return output;
}

// ---------------------------------------------------------------------------------------------------
// the rule file and its unit tests

const stringMap = z.record(z.string(), z.string());

const ruleFileSchema = z.object({
  groups: z.array(
    z.object({
      name: z.string(),
      rules: z.array(
        z.object({
          alert: z.string().optional(),
          record: z.string().optional(),
          expr: z.string(),
          for: z.string().optional(),
          labels: stringMap.optional(),
          annotations: stringMap.optional(),
        }),
      ),
    }),
  ),
});

const ruleTestFileSchema = z.object({
  rule_files: z.array(z.string()),
  tests: z.array(
    z.object({
      name: z.string().optional(),
      alert_rule_test: z
        .array(
          z.object({
            eval_time: z.string(),
            alertname: z.string(),
            exp_alerts: z
              .array(z.object({ exp_labels: stringMap.optional(), exp_annotations: stringMap.optional() }))
              .nullish(),
          }),
        )
        .optional(),
    }),
  ),
});

interface Alert {
  name: string;
  severity: string;
  expr: string;
  for: string | undefined;
  annotations: Record<string, string>;
}

function readYaml<T>(file: string, schema: z.ZodType<T>): T {
  return schema.parse(parse(fs.readFileSync(file, "utf8")));
}

const ruleFile = readYaml(RULES_FILE, ruleFileSchema);
const ruleTests = readYaml(RULES_TEST_FILE, ruleTestFileSchema);
const rules = ruleFile.groups.flatMap((group) => group.rules);
const alerts: Alert[] = rules.flatMap((rule) =>
  rule.alert === undefined
    ? []
    : [
        {
          name: rule.alert,
          severity: rule.labels?.severity ?? "",
          expr: rule.expr,
          for: rule.for,
          annotations: rule.annotations ?? {},
        },
      ],
);
/** An alert is told apart by name and severity (one name may exist as warning and as critical). */
const alertKey = (name: string, severity: string) => `${name} (${severity})`;
const alertCases = ruleTests.tests.flatMap((test) => test.alert_rule_test ?? []);

describe("promtool", () => {
  it("is installed", () => {
    expect(promtoolSucceeds(["--version"])).toMatch(/promtool/);
  });

  it("accepts the rule file and finds every rule", () => {
    const output = promtoolSucceeds(["check", "rules", RULES_FILE]);
    expect(output).toContain(`SUCCESS: ${rules.length} rules found`);
  });

  it("passes the rule unit tests", () => {
    expect(promtoolSucceeds(["test", "rules", RULES_TEST_FILE])).toContain("SUCCESS");
  });
});

describe("alert rules", () => {
  it("define alerts", () => {
    expect(alerts.length).toBeGreaterThan(0);
    expect(ruleTests.rule_files).toEqual([path.basename(RULES_FILE)]);
  });

  it.each(alerts.map((alert) => [alertKey(alert.name, alert.severity), alert] as const))(
    "%s has a severity, a pending period and templated summary and description",
    (_key, alert) => {
      expect(alert.name).toMatch(/^HetznerK8s[A-Za-z]+$/);
      expect(SEVERITIES).toContain(alert.severity);
      expect(alert.for).toMatch(/^\d+[smh]$/);
      expect(alert.annotations.summary?.trim()).toBeTruthy();
      expect(alert.annotations.description?.trim()).toBeTruthy();
      expect(alert.annotations.description).toMatch(/\{\{.+\}\}/);
    },
  );

  it("are unique by name and severity", () => {
    const keys = alerts.map((alert) => alertKey(alert.name, alert.severity));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("are each fired by at least one unit test", () => {
    const fired = new Set(
      alertCases.flatMap((testCase) =>
        (testCase.exp_alerts ?? []).map((expected) =>
          alertKey(testCase.alertname, expected.exp_labels?.severity ?? ""),
        ),
      ),
    );
    const untested = alerts
      .map((alert) => alertKey(alert.name, alert.severity))
      .filter((key) => !fired.has(key));
    expect(untested).toEqual([]);
  });

  it("each have a unit test where they do not fire", () => {
    const quiet = new Set(
      alertCases.filter((testCase) => (testCase.exp_alerts ?? []).length === 0).map((c) => c.alertname),
    );
    const names = [...new Set(alerts.map((alert) => alert.name))];
    expect(names.filter((name) => !quiet.has(name))).toEqual([]);
  });

  it("are the only alerts the unit tests name (a misspelt name would pass vacuously)", () => {
    const names = new Set(alerts.map((alert) => alert.name));
    expect(alertCases.map((testCase) => testCase.alertname).filter((name) => !names.has(name))).toEqual([]);
  });

  it("select tenant namespaces through the allowlisted namespace label", () => {
    const tenantAlert = alerts.find((alert) => alert.name === "HetznerK8sTenantQuotaAlmostFull");
    expect(tenantAlert?.expr).toContain('kube_namespace_labels{label_hetzner_k8s_io_tenant!=""}');
  });
});

// ---------------------------------------------------------------------------------------------------
// Grafana dashboards

interface Target {
  expr?: string;
  refId?: string;
  datasource?: { type?: string; uid?: string };
}

interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}

const datasourceSchema = z.object({ type: z.string().optional(), uid: z.string().optional() });

const panelSchema: z.ZodType<Panel> = z.lazy(() =>
  z.object({
    id: z.number().optional(),
    type: z.string(),
    title: z.string().optional(),
    datasource: datasourceSchema.optional(),
    targets: z
      .array(
        z.object({
          expr: z.string().optional(),
          refId: z.string().optional(),
          datasource: datasourceSchema.optional(),
        }),
      )
      .optional(),
    panels: z.array(panelSchema).optional(),
  }),
);

const dashboardSchema = z.object({
  id: z.null().optional(),
  uid: z.string().min(1),
  title: z.string().min(1),
  schemaVersion: z.number(),
  panels: z.array(panelSchema),
  templating: z.object({
    list: z.array(
      z.object({
        name: z.string(),
        type: z.string(),
        query: z.union([z.string(), z.object({ query: z.string() })]).optional(),
        datasource: datasourceSchema.optional(),
      }),
    ),
  }),
});

type Dashboard = z.infer<typeof dashboardSchema>;

const PROMETHEUS_DATASOURCE = { type: "prometheus", uid: "${datasource}" };

const dashboards: [string, Dashboard][] = DASHBOARD_FILES.map((file) => [
  path.basename(file),
  dashboardSchema.parse(JSON.parse(fs.readFileSync(file, "utf8"))),
]);

/** Every panel that queries data: rows are left out, the panels inside collapsed rows are not. */
function queryPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => (panel.type === "row" ? queryPanels(panel.panels ?? []) : [panel]));
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

/** A panel's PromQL with Grafana's variables replaced by values promtool can parse. */
function withoutGrafanaVariables(expr: string): string {
  return expr.replace(/\$\{?([A-Za-z_]\w*)\}?/g, (_match, name: string) =>
    name.startsWith("__") ? "5m" : ".+",
  );
}

describe.each(dashboards)("dashboard %s", (_file, dashboard) => {
  it("has a uid, no Grafana id and a recent schema", () => {
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.id ?? null).toBeNull();
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
  });

  it("has a Prometheus datasource variable that its query variables use", () => {
    const variables = dashboard.templating.list;
    expect(variables.find((variable) => variable.name === "datasource")).toMatchObject({
      type: "datasource",
      query: "prometheus",
    });
    for (const variable of variables.filter((v) => v.type === "query")) {
      expect({ variable: variable.name, datasource: variable.datasource }).toEqual({
        variable: variable.name,
        datasource: PROMETHEUS_DATASOURCE,
      });
    }
  });

  it("has panels with unique ids", () => {
    const ids = allPanels(dashboard.panels).map((panel) => panel.id);
    expect(ids.length).toBeGreaterThan(0);
    expect(ids.every((id) => id !== undefined)).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("queries the datasource variable with a PromQL expression in every panel", () => {
    const panels = queryPanels(dashboard.panels);
    expect(panels.length).toBeGreaterThan(0);
    for (const panel of panels) {
      const where = `panel "${panel.title ?? panel.id}"`;
      expect({ where, datasource: panel.datasource }).toEqual({ where, datasource: PROMETHEUS_DATASOURCE });
      expect({ where, targets: panel.targets?.length ?? 0 }).not.toEqual({ where, targets: 0 });
      for (const target of panel.targets ?? []) {
        expect({ where, refId: target.refId, expr: target.expr?.trim() ?? "" }).toEqual({
          where,
          refId: target.refId,
          expr: expect.stringMatching(/\S/),
        });
        if (target.datasource !== undefined) expect(target.datasource).toEqual(PROMETHEUS_DATASOURCE);
      }
    }
  });
});

describe("dashboards", () => {
  let tmpDir = "";
  beforeAll(() => {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "hk-dashboards-"));
  });
  afterAll(() => {
    fs.rmSync(tmpDir, { recursive: true, force: true });
  });

  it("have distinct uids", () => {
    const uids = dashboards.map(([, dashboard]) => dashboard.uid);
    expect(new Set(uids).size).toBe(uids.length);
  });

  it("select tenants by the tenant namespace label", () => {
    const tenantUsage = dashboards.find(([file]) => file === "tenant-usage.json")?.[1];
    const tenant = tenantUsage?.templating.list.find((variable) => variable.name === "tenant");
    const query = typeof tenant?.query === "string" ? tenant.query : tenant?.query?.query;
    expect(query).toContain("kube_namespace_labels");
    expect(query).toContain("label_hetzner_k8s_io_tenant");
  });

  it("use PromQL that promtool parses", () => {
    // promtool has no offline query parser: every expression becomes a recording rule.
    const exprs = dashboards.flatMap(([, dashboard]) =>
      queryPanels(dashboard.panels).flatMap((panel) =>
        (panel.targets ?? []).map((target) => target.expr ?? ""),
      ),
    );
    const file = path.join(tmpDir, "dashboard-exprs.rules.yaml");
    const recordingRules = exprs.map((expr, i) => ({
      record: `dashboard:expr_${i}:check`,
      expr: withoutGrafanaVariables(expr),
    }));
    fs.writeFileSync(file, stringify({ groups: [{ name: "dashboards", rules: recordingRules }] }));
    expect(promtoolSucceeds(["check", "rules", file])).toContain(`SUCCESS: ${exprs.length} rules found`);
  });
});
