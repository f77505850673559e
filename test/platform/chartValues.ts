import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { z } from "zod";

/**
 * What each pinned chart accepts at the value paths the program sets, read from the chart's own sources
 * (test/fixtures/chart-values/<chart>.json), and a check of a release's values against it. Helm only
 * rejects a wrong key where the chart ships a schema that forbids unknown keys; everywhere else it takes
 * a misspelt or moved key without a word and the chart never reads it. So the check treats every chart
 * as closed: a path the fixture does not list fails, and the message says which of the two cases it is.
 */

export const FIXTURES_DIR = path.resolve(__dirname, "../fixtures/chart-values");

const JSON_TYPES = ["string", "integer", "number", "boolean", "object", "array", "null"] as const;
type JsonType = (typeof JSON_TYPES)[number];
const jsonType = z.enum(JSON_TYPES);

const pathSpec = z.strictObject({
  type: z.union([jsonType, z.array(jsonType).min(1)]),
  enum: z.array(z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
  minimum: z.number().optional(),
  pattern: z.string().optional(),
  /** The chart hands the value on unchanged (to Kubernetes or the component): nothing below it is checked. */
  opaque: z.boolean().optional(),
  /** The chart's own default, for the reader; the check does not use it. */
  default: z.unknown().optional(),
  note: z.string().optional(),
});
export type PathSpec = z.infer<typeof pathSpec>;

/** Where the facts were read: a repository's tag (and the commit it pointed at) and the files in it. */
const source = {
  repository: z.string(),
  tag: z.string(),
  commit: z.string().regex(/^[0-9a-f]{40}$/),
  files: z.array(z.string()).min(1),
};

const fixture = z.strictObject({
  chart: z.string(),
  version: z.string(),
  source: z.strictObject({
    ...source,
    /** The day the files were read. */
    read: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    /** Charts the chart depends on, whose values sit under the key `values`. */
    subcharts: z
      .array(z.strictObject({ ...source, values: z.string(), chart: z.string(), version: z.string() }))
      .optional(),
  }),
  schema: z.strictObject({
    file: z.string().nullable(),
    rejectsUnknownKeys: z.strictObject({ topLevel: z.boolean(), under: z.array(z.string()) }),
    note: z.string(),
  }),
  paths: z.record(z.string(), pathSpec),
});
export type ChartValuesFixture = z.infer<typeof fixture>;

export function loadFixtures(): Map<string, ChartValuesFixture> {
  const fixtures = new Map<string, ChartValuesFixture>();
  for (const file of readdirSync(FIXTURES_DIR)
    .filter((name) => name.endsWith(".json"))
    .sort()) {
    const parsed = fixture.parse(JSON.parse(readFileSync(path.join(FIXTURES_DIR, file), "utf8")));
    if (`${parsed.chart}.json` !== file) throw new Error(`${file} describes chart ${parsed.chart}`);
    fixtures.set(parsed.chart, parsed);
  }
  return fixtures;
}

/** "[]" stands for every item of a list, "*" for any key of a map. */
const ITEMS = "[]";
const ANY_KEY = "*";

interface PathNode {
  /** The fixture's path of this node, with "*" and "[]" as written there. */
  pattern: string;
  spec?: PathSpec;
  children: Map<string, PathNode>;
}

/** "a.b[].c" -> ["a", "b", "[]", "c"] */
export function segments(pattern: string): string[] {
  return pattern.split(".").flatMap((part) => {
    const items: string[] = [];
    let key = part;
    while (key.endsWith(ITEMS)) {
      items.push(ITEMS);
      key = key.slice(0, -ITEMS.length);
    }
    return key === "" ? items : [key, ...items];
  });
}

function joinPattern(parent: string, segment: string): string {
  if (segment === ITEMS) return `${parent}${ITEMS}`;
  return parent === "" ? segment : `${parent}.${segment}`;
}

function buildTree(paths: Record<string, PathSpec>): PathNode {
  const root: PathNode = { pattern: "", children: new Map() };
  for (const [pattern, spec] of Object.entries(paths)) {
    let node = root;
    for (const segment of segments(pattern)) {
      let child = node.children.get(segment);
      if (!child) {
        child = { pattern: joinPattern(node.pattern, segment), children: new Map() };
        node.children.set(segment, child);
      }
      node = child;
    }
    node.spec = spec;
  }
  return root;
}

/** How a value's path is shown: dotted keys, [i] for list items, ["k"] for keys that hold a dot. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === "number") return `${parent}[${key}]`;
  if (/^[A-Za-z0-9_-]+$/.test(key)) return parent === "" ? key : `${parent}.${key}`;
  return `${parent}[${JSON.stringify(key)}]`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function typeOf(value: unknown): JsonType {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  if (typeof value === "string") return "string";
  if (typeof value === "boolean") return "boolean";
  if (typeof value === "object") return "object";
  throw new Error(`not a JSON value: ${String(value)}`);
}

function typeMatches(actual: JsonType, allowed: JsonType[]): boolean {
  return allowed.includes(actual) || (actual === "integer" && allowed.includes("number"));
}

/** Whether a fixture pattern such as "ports.*" covers a node's pattern such as "ports.web". */
function patternCovers(general: string, specific: string): boolean {
  const a = segments(general);
  const b = segments(specific);
  return a.length === b.length && a.every((segment, index) => segment === ANY_KEY || segment === b[index]);
}

export interface CheckResult {
  problems: string[];
  /** Fixture paths the values reached, to find fixture entries nothing sets any more. */
  used: Set<string>;
}

export function checkValues(values: Record<string, unknown>, chart: ChartValuesFixture): CheckResult {
  const tree = buildTree(chart.paths);
  const problems: string[] = [];
  const used = new Set<string>();
  const where = `${chart.chart} ${chart.version}`;
  const fixtureFile = `test/fixtures/chart-values/${chart.chart}.json`;

  const closedAt = (node: PathNode): boolean =>
    node.pattern === ""
      ? chart.schema.rejectsUnknownKeys.topLevel
      : chart.schema.rejectsUnknownKeys.under.some((level) => patternCovers(level, node.pattern));

  const unknown = (valuePath: string, parent: PathNode) => {
    const level = parent.pattern === "" ? "at the top level" : `under ${parent.pattern}`;
    problems.push(
      closedAt(parent)
        ? `${valuePath}: not a value of ${where}, whose values.schema.json rejects unknown keys ${level} (the install fails)`
        : `${valuePath}: not a value ${fixtureFile} knows; no schema of ${where} closes the level ${level}, so Helm would accept it even where the chart ignores it (read the chart, then add the path)`,
    );
  };

  const checkSpec = (value: unknown, node: PathNode, valuePath: string, spec: PathSpec): boolean => {
    used.add(node.pattern);
    const allowed = Array.isArray(spec.type) ? spec.type : [spec.type];
    const actual = typeOf(value);
    if (!typeMatches(actual, allowed)) {
      problems.push(`${valuePath}: ${where} takes ${allowed.join(" or ")} here, not ${actual}`);
      return false;
    }
    if (spec.enum && !spec.enum.some((allowedValue) => allowedValue === value))
      problems.push(`${valuePath}: ${JSON.stringify(value)} is not one of ${JSON.stringify(spec.enum)}`);
    if (spec.minimum !== undefined && typeof value === "number" && value < spec.minimum)
      problems.push(`${valuePath}: ${value} is below the minimum ${spec.minimum}`);
    if (spec.pattern !== undefined && typeof value === "string" && !new RegExp(spec.pattern).test(value))
      problems.push(`${valuePath}: ${JSON.stringify(value)} does not match ${spec.pattern}`);
    return true;
  };

  const walk = (value: unknown, node: PathNode, valuePath: string): void => {
    if (node.spec) {
      if (!checkSpec(value, node, valuePath, node.spec) || node.spec.opaque) return;
    } else {
      // A level the fixture only passes through: its children say whether it holds a list or a map.
      const wantsList = node.children.has(ITEMS);
      if (wantsList ? !Array.isArray(value) : !isPlainObject(value)) {
        problems.push(
          `${valuePath}: ${where} takes ${wantsList ? "a list" : "a map"} here, not ${typeOf(value)}`,
        );
        return;
      }
    }
    if (Array.isArray(value)) {
      const items = node.children.get(ITEMS);
      // A list whose items the fixture does not describe is taken whole.
      if (items) value.forEach((item, index) => walk(item, items, childPath(valuePath, index)));
      return;
    }
    if (!isPlainObject(value)) return;
    for (const [key, child] of Object.entries(value)) {
      const next = node.children.get(key) ?? node.children.get(ANY_KEY);
      if (next) walk(child, next, childPath(valuePath, key));
      else unknown(childPath(valuePath, key), node);
    }
  };

  walk(values, tree, "");
  return { problems, used };
}
