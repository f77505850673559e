import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { isPair, isScalar, isSeq, parseDocument, visit, type Document } from "yaml";
import { ConfigError, PROJECT, type ConfigProblem } from "../config/errors";
import { describeValue } from "../config/issues";
import type { RawConfig } from "../config/load";

/**
 * Reads config the way the Pulumi CLI assembles it: defaults declared in Pulumi.yaml, overridden by the
 * stack file. Encrypted values cannot be read offline; they stand in as a masked placeholder. A file that
 * cannot be read as such (missing, not YAML, no `config:` mapping) throws a ConfigError naming it.
 */

export const ENCRYPTED_PLACEHOLDER = "[secret]";

/** Alias expansions a file may make: generous for hand-written anchors, far below an alias bomb. */
const MAX_ALIAS_COUNT = 100;

interface ProjectDeclaration {
  default?: unknown;
}

function fileProblem(file: string, message: string, at?: ConfigProblem["at"]): ConfigError {
  return new ConfigError([{ path: [], message, ...(at ? { at } : {}) }], file);
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw fileProblem(file, code === "ENOENT" ? "no such file" : `cannot be read (${code ?? String(error)})`);
  }
}

/** The YAML first-line message without the position, which the problem line carries as line:column. */
function yamlMessage(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "");
}

/** The key path (`config.hetzner-k8s:nodes`) of the mapping key that starts at `offset`. */
function keyAt(document: Document, offset: number): string | undefined {
  let found: string | undefined;
  visit(document, {
    Pair(_, pair, ancestors) {
      if (!isScalar(pair.key) || pair.key.range?.[0] !== offset) return undefined;
      const outer = ancestors.flatMap((node, index) => {
        if (!isPair(node) || !isScalar(node.key)) return [];
        // A pair inside a list is an entry of it: name it by its index, as problem lines do.
        const list = ancestors[index + 1];
        const entry = isSeq(list) ? ancestors[index + 2] : undefined;
        const at =
          isSeq(list) && entry ? `[${list.items.indexOf(entry as (typeof list.items)[number])}]` : "";
        return [`${String(node.key.value)}${at}`];
      });
      found = [...outer, String(pair.key.value)].join(".");
      return visit.BREAK;
    },
  });
  return found;
}

/** A YAML file's top-level mapping; every syntax error and duplicate key is a problem, not a last-one-wins. */
function readMapping(file: string): Record<string, unknown> {
  const text = readText(file);
  const document = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (document.errors.length > 0) {
    throw new ConfigError(
      document.errors.map((error) => {
        const [start] = error.linePos ?? [];
        const at = start ? { line: start.line, column: start.col } : undefined;
        const message =
          error.code === "DUPLICATE_KEY"
            ? `duplicate key ${keyAt(document, error.pos[0]) ?? ""}`.trim() + " (each key may appear once)"
            : `invalid YAML: ${yamlMessage(error.message)}`;
        return { path: [], message, ...(at ? { at } : {}) };
      }),
      file,
    );
  }
  let value: unknown;
  try {
    value = document.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (error) {
    // The yaml package refuses a document whose aliases expand past the limit (a "billion laughs").
    const message = error instanceof Error ? error.message : String(error);
    throw fileProblem(
      file,
      /excessive alias count/i.test(message)
        ? `invalid YAML: its aliases (*name) expand to more than ${MAX_ALIAS_COUNT} copies; write the values out`
        : `invalid YAML: ${yamlMessage(message)}`,
    );
  }
  if (value === null || value === undefined) throw fileProblem(file, "the file is empty");
  if (typeof value !== "object" || Array.isArray(value)) {
    throw fileProblem(file, `expected a mapping (key: value) at the top, got ${describeValue(value)}`);
  }
  return value as Record<string, unknown>;
}

/** The `config:` mapping of a stack file, which every stack of this project needs. */
function readConfigMapping(stackFile: string): Record<string, unknown> {
  const config = readMapping(stackFile).config;
  if (config === undefined)
    throw fileProblem(stackFile, "has no config: mapping (the stack's settings go under it)");
  if (config === null || typeof config !== "object" || Array.isArray(config)) {
    throw fileProblem(stackFile, `config: expected a mapping of settings, got ${describeValue(config)}`);
  }
  return config as Record<string, unknown>;
}

function isEncrypted(value: unknown): boolean {
  return value !== null && typeof value === "object" && "secure" in value;
}

export function projectDefaults(projectFile: string): RawConfig {
  const declared = readMapping(projectFile).config ?? {};
  const defaults: RawConfig = {};
  for (const [key, declaration] of Object.entries(declared)) {
    const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
    if (declaration && typeof declaration === "object" && "default" in declaration) {
      defaults[fullKey] = (declaration as ProjectDeclaration).default;
    } else if (typeof declaration !== "object") {
      defaults[fullKey] = declaration;
    }
  }
  return defaults;
}

export function readStackFile(stackFile: string): RawConfig {
  const raw: RawConfig = {};
  for (const [key, value] of Object.entries(readConfigMapping(stackFile))) {
    raw[key.includes(":") ? key : `${PROJECT}:${key}`] = isEncrypted(value) ? ENCRYPTED_PLACEHOLDER : value;
  }
  return raw;
}

/** Keys (without namespace) whose values the stack file holds encrypted. */
export function readStackSecretKeys(stackFile: string): Set<string> {
  return new Set(
    Object.entries(readConfigMapping(stackFile))
      .filter(([, value]) => isEncrypted(value))
      .map(([key]) => (key.startsWith(`${PROJECT}:`) ? key.slice(PROJECT.length + 1) : key)),
  );
}

/** Project defaults merged with a stack file, as `pulumi up` would see them. */
export function readStackConfig(stackFile: string, projectDir = path.dirname(stackFile)): RawConfig {
  return { ...projectDefaults(path.join(projectDir, "Pulumi.yaml")), ...readStackFile(stackFile) };
}

export function stackFileFor(projectDir: string, stack: string): string {
  return path.join(projectDir, `Pulumi.${stack}.yaml`);
}

/** The stacks whose files are in the project directory (`Pulumi.<stack>.yaml`), sorted. */
export function listStacks(projectDir: string): string[] {
  return readdirSync(projectDir)
    .map((name) => /^Pulumi\.(.+)\.yaml$/.exec(name)?.[1])
    .filter((stack): stack is string => stack !== undefined)
    .sort();
}
