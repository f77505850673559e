import { z } from "zod";
import { ConfigError, PROJECT, type ConfigProblem } from "./errors";
import { checkStackConfig } from "./rules";
import { STACK_CONFIG_KEYS, stackConfigSchema, type StackConfig } from "./schema";

/**
 * Turns raw stack config (from the Pulumi runtime or a stack file) into a validated StackConfig,
 * or throws a ConfigError listing every problem. Nothing else reads config.
 */

/** Values as the Pulumi runtime hands them over: every value a string, structured ones as JSON. */
export type RawConfig = Record<string, unknown>;

const STRING_KEYS = new Set<string>(
  STACK_CONFIG_KEYS.filter((key) => {
    const inner = stackConfigSchema.shape[key];
    const unwrapped = inner instanceof z.ZodDefault ? inner.unwrap() : inner;
    return unwrapped instanceof z.ZodString || unwrapped instanceof z.ZodEnum;
  }),
);

export function parseStackConfig(raw: RawConfig): StackConfig {
  const problems: ConfigProblem[] = [];
  const values: Record<string, unknown> = {};
  for (const [fullKey, value] of Object.entries(raw)) {
    const [namespace, key] = splitKey(fullKey);
    if (namespace !== PROJECT) continue;
    if (!(STACK_CONFIG_KEYS as string[]).includes(key)) {
      problems.push({ path: [key], message: `unknown key (known keys: ${STACK_CONFIG_KEYS.join(", ")})` });
      continue;
    }
    const decoded = decodeValue(key, value);
    if (decoded.ok) values[key] = decoded.value;
    else problems.push({ path: [key], message: decoded.message });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const parsed = stackConfigSchema.safeParse(values);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.flatMap(toProblems));
  const ruleProblems = checkStackConfig(parsed.data);
  if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);
  return parsed.data;
}

function splitKey(fullKey: string): [string, string] {
  const colon = fullKey.indexOf(":");
  return colon < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
}

type Decoded = { ok: true; value: unknown } | { ok: false; message: string };

/** The Pulumi runtime passes structured and typed values as JSON text; a stack file has them parsed. */
function decodeValue(key: string, value: unknown): Decoded {
  if (typeof value !== "string" || STRING_KEYS.has(key)) return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    return { ok: false, message: `expected a structured value, got the text "${value}"` };
  }
}

function toProblems(issue: z.core.$ZodIssue): ConfigProblem[] {
  const path = issue.path.filter((part): part is string | number => typeof part !== "symbol");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...path, key], message: "unknown key" }));
  }
  return [{ path, message: lowerFirst(issue.message) }];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
