import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, formatProblem, PROJECT, type ConfigProblem } from "../config/errors";
import type { RawConfig } from "../config/load";
import { allPoolsExpanded, expandNodePools } from "../config/nodePools";
import { stackConfigSchema, type StackConfig } from "../config/schema";
import { checkTransition, type LastDeployment } from "../config/transition";
import { readStackConfig, readStackSecretKeys } from "../plan/stackFile";
import { tryLoadStack, type LoadedStack, type LoadResult } from "../stack";

/**
 * The console's validation: the project's own parser (as `pulumi up` and `npm run plan` run it) and the
 * transition rules of `pulumi up` against the last deployment. One difference: `pulumi up` stops at the
 * config's own problems, the console also lists the transition's whenever the config's shape allows, so
 * that one refusal names every reason (a removal that breaks the etcd count *and* needs protection off).
 */

export interface ConsoleProblem {
  path: (string | number)[];
  message: string;
  /** `hetzner-k8s:nodes[3].serverType: ...`, as the plan prints it. */
  line: string;
  /** Which entry of the edit the problem is about (0 for a single edit), when it is about one. */
  entry?: number;
  /** The form field of that entry (`serverType`, `quota.pods`). */
  field?: string;
}

/** The list entries an edit is about, in the order of the edit's own entries. */
export interface EditFocus {
  key: "nodes" | "nodePools" | "tenants";
  indexes: number[];
}

export type Validation = { ok: true; loaded: LoadedStack } | { ok: false; problems: ConsoleProblem[] };

/** Stack config as the project's readers see it, and which keys it holds encrypted. */
export interface RawStack {
  raw: RawConfig;
  secretKeys: ReadonlySet<string>;
}

export function toConsoleProblems(problems: readonly ConfigProblem[], focus?: EditFocus): ConsoleProblem[] {
  const seen = new Set<string>();
  return problems.flatMap((problem) => {
    const line = formatProblem(problem);
    if (seen.has(line)) return [];
    seen.add(line);
    const result: ConsoleProblem = { path: [...problem.path], message: problem.message, line };
    const [key, index, ...rest] = problem.path;
    const entry = focus && key === focus.key && typeof index === "number" ? focus.indexes.indexOf(index) : -1;
    if (entry >= 0) {
      result.entry = entry;
      if (rest.length > 0) result.field = rest.join(".");
    }
    return [result];
  });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A problem that is not about a key (unreadable YAML); its message keeps its line breaks for the page. */
export function generalProblem(message: string): ConsoleProblem {
  return { path: [], message, line: message };
}

export function readRawStack(stackFile: string, projectDir: string): RawStack {
  return { raw: readStackConfig(stackFile, projectDir), secretKeys: readStackSecretKeys(stackFile) };
}

/** Reads stack file text that is not on disk (the committed version) with the same readers, via a private temp file. */
export function readRawStackText(text: string, projectDir: string): RawStack {
  const directory = mkdtempSync(path.join(tmpdir(), "hetzner-k8s-console-"));
  const file = path.join(directory, `${randomBytes(4).toString("hex")}.yaml`);
  try {
    writeFileSync(file, text, { mode: 0o600 });
    return readRawStack(file, projectDir);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** The config's values by bare key, shaped by the schema alone (no rules), or undefined when the shape is wrong. */
function shapeOnly(raw: RawConfig): StackConfig | undefined {
  const values = Object.fromEntries(
    Object.entries(raw)
      .filter(([key]) => key.startsWith(`${PROJECT}:`))
      .map(([key, value]) => [key.slice(PROJECT.length + 1), value]),
  );
  const parsed = stackConfigSchema.safeParse(values);
  if (!parsed.success) return undefined;
  // A pool that cannot be laid out has no nodes: the transition would take them for removed.
  const expanded = expandNodePools(parsed.data);
  return allPoolsExpanded(expanded) ? expanded : undefined;
}

/** Validates like `pulumi up`: the config with the last deployment's servers as running, then the change. */
export function validateRaw(
  stack: RawStack,
  last: LastDeployment | undefined,
  focus?: EditFocus,
): Validation {
  let result: LoadResult;
  try {
    result = tryLoadStack(stack, { last });
  } catch (error) {
    return { ok: false, problems: [generalProblem(messageOf(error))] };
  }
  if (result.ok) return { ok: true, loaded: result.stack };
  if (result.stage === "transition")
    return { ok: false, problems: toConsoleProblems([...result.problems], focus) };
  const shaped = last ? shapeOnly(stack.raw) : undefined;
  const transition = shaped && last ? checkTransition(last, shaped) : [];
  return { ok: false, problems: toConsoleProblems([...result.problems, ...transition], focus) };
}

/**
 * A problem of the file itself (unreadable YAML, a duplicate key) with the line it points at and a caret
 * under the column, over several lines, as a YAML parser shows it. No file path: the page names the file.
 */
function fileProblem(problem: ConfigProblem, text: string): ConsoleProblem {
  const { at } = problem;
  const lines = text.split("\n");
  // The line before too: a parser often stops on the line after the mistake (an unclosed bracket).
  const context = at ? lines.slice(Math.max(0, at.line - 2), at.line) : [];
  const frame =
    at && context.length > 0 ? `\n\n${context.join("\n")}\n${" ".repeat(Math.max(0, at.column - 1))}^` : "";
  const where = at ? `line ${at.line}, column ${at.column}: ` : "";
  const message = `${where}${problem.message}${frame}`;
  return { path: [...problem.path], message, line: message };
}

export function validateStackFile(
  stackFile: string,
  projectDir: string,
  last: LastDeployment | undefined,
  focus?: EditFocus,
): Validation {
  let stack: RawStack;
  try {
    stack = readRawStack(stackFile, projectDir);
  } catch (error) {
    if (!(error instanceof ConfigError))
      return { ok: false, problems: [generalProblem(`the stack file cannot be read: ${messageOf(error)}`)] };
    const text = readFileSync(stackFile, "utf8");
    return { ok: false, problems: error.problems.map((problem) => fileProblem(problem, text)) };
  }
  return validateRaw(stack, last, focus);
}
