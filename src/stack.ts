import { ConfigError, type ConfigProblem } from "./config/errors";
import { parseStackConfig, type RawConfig } from "./config/load";
import type { StackConfig } from "./config/schema";
import { checkTransition, type LastDeployment, type PreviousNode } from "./config/transition";
import { buildClusterModel, type ClusterModel } from "./model/cluster";
import { poolProblems } from "./model/pool";

/**
 * The one loader: `index.ts`, the plan, the console and the benchmark all take a stack through it. It parses
 * and validates the stack config, checks what depends on the model (the tenants' promise against the pool),
 * checks the change from the last deployment, and builds the model once, for the components and for every
 * view of the plan.
 */

/** A stack that passed every check, with the model built from its config (the pool among it). */
export interface LoadedStack {
  readonly config: StackConfig;
  readonly model: ClusterModel;
}

/** Stack config as read from the engine or a stack file, with the keys whose values were stored encrypted. */
export interface StackSource {
  readonly raw: RawConfig;
  readonly secretKeys?: ReadonlySet<string>;
}

export interface LoadOptions {
  /** The change must pass the transition rules from this deployment; its nodes keep their servers. */
  readonly last?: LastDeployment;
  /** Servers that exist without a change to check (a committed file read as the last deployment). */
  readonly running?: readonly PreviousNode[];
}

/** Where a load stopped: the config's own rules, the pool, or the change from the last deployment. */
export type LoadStage = "config" | "pool" | "transition";

export type LoadResult =
  | { readonly ok: true; readonly stack: LoadedStack }
  | { readonly ok: false; readonly stage: LoadStage; readonly problems: readonly ConfigProblem[] };

/** Loads a stack, or throws a ConfigError with every problem of the first stage that had any. */
export function loadStack(source: StackSource, options: LoadOptions = {}): LoadedStack {
  return unwrap(tryLoadStack(source, options));
}

/** The loader's steps after parsing, for a config already parsed (a generated or edited one). */
export function stackFromConfig(config: StackConfig, options: LoadOptions = {}): LoadedStack {
  return unwrap(checkParsed(config, options));
}

export function tryLoadStack(source: StackSource, options: LoadOptions = {}): LoadResult {
  let config: StackConfig;
  try {
    config = parseStackConfig(source.raw, source.secretKeys, options.running ?? options.last?.nodes ?? []);
  } catch (error) {
    if (error instanceof ConfigError) return { ok: false, stage: "config", problems: error.problems };
    throw error;
  }
  return checkParsed(config, options);
}

function checkParsed(config: StackConfig, options: LoadOptions): LoadResult {
  const model = buildClusterModel(config);
  const overpromised = poolProblems(model.pool);
  if (overpromised.length > 0) return { ok: false, stage: "pool", problems: overpromised };
  const unsafe = options.last ? checkTransition(options.last, config) : [];
  if (unsafe.length > 0) return { ok: false, stage: "transition", problems: unsafe };
  return { ok: true, stack: { config, model } };
}

function unwrap(result: LoadResult): LoadedStack {
  if (!result.ok) throw new ConfigError([...result.problems]);
  return result.stack;
}
