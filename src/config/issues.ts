import { z } from "zod";
import type { ConfigProblem } from "./errors";

/**
 * Zod's issues as the problems a user reads: what was wanted in words of the stack file (a list of nodes,
 * true or false), the value that was given, and for an unknown key the known key it was probably meant to be.
 */

/** How a value of the stack file reads in a message: `the text "4"`, `the number 4`, `a list (2 items)`. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return "an empty value";
  if (typeof value === "string") return `the text ${JSON.stringify(clip(value))}`;
  if (typeof value === "number") return `the number ${value}`;
  if (typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return `a list (${value.length} item${value.length === 1 ? "" : "s"})`;
  return "a mapping";
}

function clip(text: string): string {
  return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

const NOUNS: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "a mapping (key: value)",
  record: "a mapping (key: value)",
};

/** What a schema accepts, in words: its description (`a list of nodes`) or its type's noun. */
function wanted(schema: z.core.$ZodType | undefined, fallback: string): string {
  const described = schema && z.globalRegistry.get(schema)?.description;
  if (described) return described;
  const type = schema?._zod.def.type ?? fallback;
  if (schema instanceof z.ZodUnion) {
    return (schema.options as z.core.$ZodType[]).map((option) => wanted(option, "value")).join(" or ");
  }
  return NOUNS[type] ?? type;
}

/**
 * Messages for the issues whose schema says nothing of its own; passed to every parse, so a message a schema
 * sets (`must be "control-plane" or "worker"`) still wins.
 */
export const issueMessages: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type": {
      const what = wanted(issue.inst as z.core.$ZodType | undefined, issue.expected);
      if (issue.input === undefined || issue.input === null) return `required: ${what}`;
      return `expected ${what}`;
    }
    case "invalid_union":
      return `expected ${wanted(issue.inst as z.core.$ZodType | undefined, "value")}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "too_small":
      return issue.origin === "array"
        ? `must list at least ${issue.minimum}`
        : issue.origin === "string"
          ? `must be at least ${issue.minimum} character(s)`
          : `must be at least ${issue.minimum}`;
    case "too_big":
      return issue.origin === "array"
        ? `must list at most ${issue.maximum}`
        : issue.origin === "string"
          ? `must be at most ${issue.maximum} characters`
          : `must be at most ${issue.maximum}`;
    case "invalid_format":
      return "has the wrong format";
    default:
      return undefined;
  }
};

/** The problems of one zod issue; `schema` is the schema the issue's path starts in (for known keys). */
export function issueProblems(
  issue: z.core.$ZodIssue,
  schema: z.core.$ZodType,
  prefix: readonly (string | number)[] = [],
): ConfigProblem[] {
  const path = [...prefix, ...issue.path.filter((part): part is string | number => typeof part !== "symbol")];
  if (issue.code === "unrecognized_keys") {
    const known = knownKeysAt(schema, path.slice(prefix.length));
    return issue.keys.map((key) => ({ path: [...path, key], message: unknownKeyMessage(key, known) }));
  }
  // A rejected record key (a node label) carries the key schema's own explanation inside.
  if (issue.code === "invalid_key") {
    return issue.issues.flatMap((inner) => issueProblems(inner, schema, path));
  }
  const message = lowerFirst(issue.message);
  // A wrong type says what it got in words (`the text "4"`); any other refusal echoes the scalar it refused.
  const input = issue.input;
  const echo =
    (issue.code === "invalid_type" && issue.expected !== "int") || issue.code === "invalid_union"
      ? input === undefined || input === null
        ? ""
        : `, got ${describeValue(input)}`
      : typeof input === "string" || typeof input === "number"
        ? `, got ${JSON.stringify(typeof input === "string" ? clip(input) : input)}`
        : "";
  return [{ path, message: / got /.test(message) ? message : `${message}${echo}` }];
}

/** `unknown key, did you mean "tenants"?`, or where the known keys are when none is close. */
export function unknownKeyMessage(key: string, known: readonly string[], elsewhere?: string): string {
  const nearest = nearestKey(key, known);
  if (nearest) return `unknown key, did you mean "${nearest}"?`;
  return elsewhere ? `unknown key (${elsewhere})` : `unknown key (known keys: ${known.join(", ")})`;
}

/** The known key closest to a misspelt one, if it is close enough to be what was meant. */
export function nearestKey(key: string, known: readonly string[]): string | undefined {
  let best: { key: string; distance: number } | undefined;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (!best || distance < best.distance) best = { key: candidate, distance };
  }
  // A third of the key's length: one slip in a short key, a few in a long one; more is another word.
  return best && best.distance <= Math.max(1, Math.floor(key.length / 3)) ? best.key : undefined;
}

/** Levenshtein distance, with a swap of two neighbouring letters counted as one edit (`tenats`). */
export function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i += 1) {
    for (let j = 1; j <= b.length; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      rows[i][j] = Math.min(rows[i - 1][j] + 1, rows[i][j - 1] + 1, rows[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        rows[i][j] = Math.min(rows[i][j], rows[i - 2][j - 2] + 1);
      }
    }
  }
  return rows[a.length][b.length];
}

/** The keys an object schema at `path` (inside `schema`) knows, through lists, records and defaults. */
function knownKeysAt(schema: z.core.$ZodType, path: readonly (string | number)[]): string[] {
  let current: z.core.$ZodType | undefined = schema;
  for (const part of [...path, undefined]) {
    current = unwrap(current);
    if (part === undefined) break;
    if (current instanceof z.ZodArray) current = current.element as z.core.$ZodType;
    else if (current instanceof z.ZodRecord) current = current.valueType as z.core.$ZodType;
    else if (current instanceof z.ZodObject)
      current = (current.shape as Record<string, z.core.$ZodType>)[part];
    else return [];
  }
  return current instanceof z.ZodObject ? Object.keys(current.shape) : [];
}

function unwrap(schema: z.core.$ZodType | undefined): z.core.$ZodType | undefined {
  let current = schema;
  while (current instanceof z.ZodDefault || current instanceof z.ZodOptional) {
    current = current.unwrap() as z.core.$ZodType;
  }
  return current;
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
