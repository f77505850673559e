import { z } from "zod";
import { ConfigError, PROJECT, type ConfigProblem } from "./errors";
import { checkK3sConfig } from "./k3sRules";
import { checkNodeLabels } from "./nodeLabelRules";
import { checkPlatformConfig } from "./platformRules";
import { checkStackConfig } from "./rules";
import { checkSourceScope } from "./sourceRules";
import { checkTenantPool, checkTenants, withDefaultHostnames } from "./tenantRules";
import { STACK_CONFIG_KEYS, stackConfigSchema, type StackConfig } from "./schema";
import type { PreviousNode } from "./transition";

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

/**
 * @param secretKeys keys (without namespace) whose values were stored encrypted; credentials that were
 * not are rejected so that they never sit in a stack file in plain text.
 * @param running the nodes of the last deployment (a server that exists needs no new order).
 */
export function parseStackConfig(
  raw: RawConfig,
  secretKeys: ReadonlySet<string> = new Set(),
  running: readonly PreviousNode[] = [],
): StackConfig {
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
  // Unknown keys and shape problems are reported together; relational rules need a valid shape first.
  const parsed = stackConfigSchema.safeParse(values, { reportInput: true });
  if (!parsed.success) {
    // A key whose text could not be decoded is already reported; its absence from `values` is not news.
    const undecodable = new Set(problems.map((problem) => problem.path[0]));
    const shapeProblems = parsed.error.issues.flatMap((issue) => toProblems(issue));
    problems.push(...shapeProblems.filter((problem) => !undecodable.has(problem.path[0])));
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const config = withDefaultHostnames(parsed.data);
  const ruleProblems = [
    ...checkStackConfig(config, new Map(running.map((node) => [node.name, node]))),
    ...checkK3sConfig(config, secretKeys),
    ...checkPlatformConfig(config),
    ...checkTenants(config),
    ...checkSourceScope(config),
    ...checkNodeLabels(config),
  ];
  // The pool is only worth comparing once every node and tenant is valid on its own.
  if (ruleProblems.length === 0) ruleProblems.push(...checkTenantPool(config));
  if (ruleProblems.length > 0) throw new ConfigError(ruleProblems);
  return config;
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

function toProblems(issue: z.core.$ZodIssue, parentPath: PropertyKey[] = []): ConfigProblem[] {
  const fullPath = [...parentPath, ...issue.path];
  const path = fullPath.filter((part): part is string | number => typeof part !== "symbol");
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({ path: [...path, key], message: "unknown key" }));
  }
  // A rejected record key (a node label) carries the key schema's own explanation inside.
  if (issue.code === "invalid_key") return issue.issues.flatMap((inner) => toProblems(inner, fullPath));
  if (issue.code === "invalid_type" && (issue.input === undefined || issue.input === null)) {
    return [
      { path, message: issue.message.startsWith("required") ? issue.message : `required: ${issue.expected}` },
    ];
  }
  return [{ path, message: lowerFirst(issue.message) }];
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
