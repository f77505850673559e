import { z } from "zod";
import { ConfigError, PROJECT, type ConfigProblem } from "./errors";
import { issueMessages, issueProblems, unknownKeyMessage } from "./issues";
import { checkAutoscaledPools } from "./autoscalingRules";
import { checkBackupConfig } from "./backupRules";
import { checkK3sConfig } from "./k3sRules";
import { checkLoggingConfig } from "./loggingRules";
import { checkPrivateNodes } from "./privateNodeRules";
import { checkNodeLabels } from "./nodeLabelRules";
import { allPoolsExpanded, checkNodePools, expandNodePools, toStackFilePaths } from "./nodePools";
import { checkPlatformConfig } from "./platformRules";
import { checkStackConfig } from "./rules";
import { checkSourceScope } from "./sourceRules";
import { checkTenants, withDefaultHostnames } from "./tenantRules";
import { STACK_CONFIG_KEYS, stackConfigSchema, type StackConfig, type StackConfigKey } from "./schema";
import type { PreviousNode } from "./transition";

/**
 * Turns raw stack config (from the Pulumi runtime or a stack file) into a validated StackConfig,
 * or throws a ConfigError listing every problem. Nothing else reads config.
 *
 * Every problem is found in one pass: the shape is checked per top-level key and per node and tenant, and
 * the rules then run on what has a valid shape, so that a bad node name does not hide an address taken
 * twice elsewhere.
 */

/** Values as the Pulumi runtime hands them over: every value a string, structured ones as JSON. */
export type RawConfig = Record<string, unknown>;

type Key = StackConfigKey;

const STRING_KEYS = new Set<string>(
  STACK_CONFIG_KEYS.filter((key) => {
    const unwrapped = unwrapDefault(stackConfigSchema.shape[key]);
    return unwrapped instanceof z.ZodString || unwrapped instanceof z.ZodEnum;
  }),
);

/** Lists whose entries are checked one by one; the rules see the entries that passed. */
const ENTRY_LISTS = ["nodes", "nodePools", "tenants"] as const satisfies readonly Key[];
type EntryList = (typeof ENTRY_LISTS)[number];

/**
 * What the rules see for a required key whose value is invalid. Any rule that reads such a key is skipped
 * (see ruleProblems), so these only need to pass the schema.
 */
const STAND_INS: Partial<Record<Key, unknown>> = {
  clusterName: "invalid",
  sshAllowedSources: ["192.0.2.1/32"],
  apiAllowedSources: ["192.0.2.1/32"],
  nodes: [],
};

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
  const given = new Map<Key, unknown>();
  const invalid = new Set<Key>();
  for (const [fullKey, value] of Object.entries(raw)) {
    const [namespace, key] = splitKey(fullKey);
    if (namespace !== PROJECT) continue;
    if (!isConfigKey(key)) {
      const elsewhere = "the known keys are declared in Pulumi.yaml";
      problems.push({ path: [key], message: unknownKeyMessage(key, STACK_CONFIG_KEYS, elsewhere) });
      continue;
    }
    const decoded = decodeValue(key, value);
    if (decoded.ok) given.set(key, decoded.value);
    else {
      problems.push({ path: [key], message: decoded.message });
      invalid.add(key);
    }
  }
  const shape = checkShape(given, invalid);
  problems.push(...shape.problems);
  const checked = stackConfigSchema.safeParse(shape.input);
  // Only a key without a stand-in can get here; its shape problem is then all there is to say.
  if (!checked.success) throw new ConfigError(problems);
  const config = expandNodePools(withDefaultHostnames(checked.data));
  const rules: ((config: StackConfig) => ConfigProblem[])[] = [
    (it) => checkStackConfig(it, new Map(running.map((node) => [node.name, node]))),
    checkNodePools,
    checkAutoscaledPools,
    checkPrivateNodes,
    (it) => checkK3sConfig(it, secretKeys),
    checkPlatformConfig,
    checkBackupConfig,
    checkLoggingConfig,
    checkTenants,
    checkSourceScope,
    checkNodeLabels,
  ];
  problems.push(...ruleProblems(rules, config, invalid, shape.kept));
  // The tenants' promise against the pool is the model's to check, once all of this passed (src/stack.ts).
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}

interface Shape {
  problems: ConfigProblem[];
  /** Input the whole schema accepts: valid values, valid entries, and defaults or stand-ins for the rest. */
  input: Record<string, unknown>;
  /** For a list that lost entries, the original index of each kept entry. */
  kept: Map<EntryList, number[]>;
}

/** Checks each key on its own (and each node and tenant), adding the keys found invalid to `invalid`. */
function checkShape(given: ReadonlyMap<Key, unknown>, invalid: Set<Key>): Shape {
  const shape: Shape = { problems: [], input: {}, kept: new Map() };
  const options = { reportInput: true, error: issueMessages };
  for (const key of STACK_CONFIG_KEYS) {
    if (invalid.has(key)) {
      if (STAND_INS[key] !== undefined) shape.input[key] = STAND_INS[key];
      continue;
    }
    const value = given.get(key);
    const schema = stackConfigSchema.shape[key];
    const list = unwrapDefault(schema);
    if ((ENTRY_LISTS as readonly Key[]).includes(key) && Array.isArray(value) && list instanceof z.ZodArray) {
      const entries = value.map((entry, index) => ({
        index,
        result: z.safeParse(list.element, entry, options),
      }));
      const passed = entries.filter((entry) => entry.result.success);
      for (const { index, result } of entries) {
        for (const issue of result.error?.issues ?? []) {
          shape.problems.push(...issueProblems(issue, list.element, [key, index]));
        }
      }
      shape.input[key] = passed.map(({ index }) => value[index]);
      if (passed.length < value.length) {
        shape.kept.set(
          key as EntryList,
          passed.map(({ index }) => index),
        );
      }
      continue;
    }
    const result = schema.safeParse(value, options);
    if (result.success) {
      shape.input[key] = value;
      continue;
    }
    invalid.add(key);
    shape.problems.push(...result.error.issues.flatMap((issue) => issueProblems(issue, schema, [key])));
    if (STAND_INS[key] !== undefined) shape.input[key] = STAND_INS[key];
  }
  return shape;
}

/**
 * Runs the rules on the shape-valid config. A rule that reads a key whose value was invalid (and so stands in
 * as its default) is skipped: it would judge a value nobody wrote. Problems of a pool's nodes are reported at
 * the pool, and problems of kept entries get their original index back; a problem about a whole list that
 * lost entries (a count) is dropped as unsound, as is one about all nodes while a pool is not among them.
 */
function ruleProblems(
  rules: readonly ((config: StackConfig) => ConfigProblem[])[],
  config: StackConfig,
  invalid: ReadonlySet<Key>,
  kept: ReadonlyMap<EntryList, number[]>,
): ConfigProblem[] {
  // Tenants' default hostnames derive from ingressDomain: a stand-in domain makes them stand-ins too.
  const tainted = new Set<string>(invalid);
  if (invalid.has("ingressDomain")) tainted.add("tenants");
  const nodesIncomplete = invalid.has("nodePools") || kept.has("nodePools") || !allPoolsExpanded(config);
  return rules.flatMap((rule) => {
    let readTainted = false;
    const watched = new Proxy(config, {
      get(target, property, receiver) {
        if (typeof property === "string" && tainted.has(property)) readTainted = true;
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const found = rule(watched);
    if (readTainted) return [];
    return toStackFilePaths(config, found).flatMap((problem) => {
      const [top, index, ...rest] = problem.path;
      if (top === "nodes" && index === undefined && nodesIncomplete) return [];
      const message = withOriginalIndexes(problem.message, kept);
      const original = kept.get(top as EntryList);
      if (!original) return [{ ...problem, message }];
      if (index === undefined) return [];
      const path = typeof index === "number" ? [top, original[index] ?? index, ...rest] : problem.path;
      return [{ ...problem, path, message }];
    });
  });
}

/** `nodes[1]` in a message, counted among the kept entries, as the stack file counts it. */
function withOriginalIndexes(message: string, kept: ReadonlyMap<EntryList, number[]>): string {
  return message.replace(/\b(nodes|nodePools|tenants)\[(\d+)\]/g, (whole, list: EntryList, index: string) => {
    const original = kept.get(list)?.[Number(index)];
    return original === undefined ? whole : `${list}[${original}]`;
  });
}

function isConfigKey(key: string): key is Key {
  return (STACK_CONFIG_KEYS as string[]).includes(key);
}

function unwrapDefault(schema: z.core.$ZodType): z.core.$ZodType {
  return schema instanceof z.ZodDefault ? (schema.unwrap() as z.core.$ZodType) : schema;
}

function splitKey(fullKey: string): [string, string] {
  const colon = fullKey.indexOf(":");
  return colon < 0 ? [PROJECT, fullKey] : [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
}

type Decoded = { ok: true; value: unknown } | { ok: false; message: string };

/** The Pulumi runtime passes structured and typed values as JSON text; a stack file has them parsed. */
function decodeValue(key: Key, value: unknown): Decoded {
  if (typeof value !== "string" || STRING_KEYS.has(key)) return { ok: true, value };
  try {
    return { ok: true, value: JSON.parse(value) };
  } catch {
    // The same words as a shape problem: what the key wants, and the text it got.
    const result = stackConfigSchema.shape[key].safeParse(value, { reportInput: true, error: issueMessages });
    const issue = result.error?.issues[0];
    const wanted = issue ? issueProblems(issue, stackConfigSchema.shape[key], [key])[0]?.message : undefined;
    return {
      ok: false,
      message: wanted ?? `expected a structured value, got the text ${JSON.stringify(value)}`,
    };
  }
}
