import { Command, CommanderError, InvalidArgumentError } from "commander";
import { existsSync } from "node:fs";
import * as path from "node:path";
import { ConfigError, formatKeyPath, formatProblemIn, type ConfigProblem } from "../config/errors";
import { lastDeploymentOfStackConfig } from "../config/lastDeployment";
import { checkServerTypeNotices } from "../config/rules";
import type { StackConfig } from "../config/schema";
import { checkDeployableSources } from "../config/sourceRules";
import { deploymentOf, type LastDeployment } from "../config/transition";
import { loadStack, type LoadedStack } from "../stack";
import { diffPlans, summarizeDiff } from "./diff";
import { explainDiff } from "./diffNotes";
import { renderDiff } from "./renderDiff";
import { evaluatePlan } from "./evaluate";
import { renderPlan } from "./render";
import { costChangeJson, costJson, renderCostChange } from "./renderCost";
import { listStacks, readStackConfig, readStackSecretKeys, stackFileFor } from "./stackFile";

/**
 * `npm run plan -- --stack dev [--config file] [--previous file] [--diff file] [--json]`: evaluate the
 * program offline and print the plan, or what changes between two stack files.
 */

export const EXIT_INVALID_CONFIG = 2;

interface PlanOptions {
  stack: string;
  config?: string;
  previous?: string;
  diff?: string;
  json?: boolean;
  /** Percent. */
  vat?: number;
}

function parseVatPercent(text: string): number {
  const value = Number(text.replace(/%$/, ""));
  if (text.trim() === "" || !Number.isFinite(value) || value < 0 || value > 100)
    throw new InvalidArgumentError(`expected a percentage from 0 to 100, got "${text}"`);
  return value;
}

/** A warning as `--json` carries it: the key as `pulumi config` names it, and what stderr says about it. */
export interface PlanWarning {
  path: string;
  message: string;
}

/** A file as problem lines name it: relative to the working directory when inside it, else absolute. */
function shownPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative;
}

/** Runs a step whose problems are about one file, so that each problem line names that file. */
function inFile<T>(file: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    throw error instanceof ConfigError ? error.inFile(file) : error;
  }
}

/** The stack file to evaluate; a stack without one is refused with the stacks there are. */
function stackFileOf(options: PlanOptions, projectDir: string): string {
  if (options.config) return path.resolve(options.config);
  const file = stackFileFor(projectDir, options.stack);
  if (existsSync(file)) return file;
  const stacks = listStacks(projectDir);
  const known =
    stacks.length > 0 ? `the stacks here are ${stacks.join(", ")}` : "there is no Pulumi.<stack>.yaml here";
  throw new ConfigError([{ path: [], message: `no such stack file (${known})` }], file);
}

/**
 * Loads a stack file the way `pulumi up` would see it; with the last deployment, the change from it must pass
 * the same checks.
 */
function loadFile(stackFile: string, projectDir: string, last?: LastDeployment): LoadedStack {
  return inFile(stackFile, () =>
    loadStack(
      { raw: readStackConfig(stackFile, projectDir), secretKeys: readStackSecretKeys(stackFile) },
      { last },
    ),
  );
}

/**
 * Reads a stack file that stands for the last deployment. Its servers exist, so each node is read as keeping
 * its server: a type Hetzner stopped selling after the deployment is no error there, as for `pulumi up`,
 * which reads the running servers from the stack's outputs. The console reads a committed file the same way.
 */
function loadPrevious(stackFile: string, projectDir: string): LastDeployment {
  return inFile(stackFile, () =>
    lastDeploymentOfStackConfig(readStackConfig(stackFile, projectDir), readStackSecretKeys(stackFile)),
  );
}

/**
 * What the plan warns about without refusing: firewall sources a deployment refuses (the example stacks
 * hold documentation addresses, and can still be planned) and server-type notices, which nothing refuses.
 */
function warningsOf(config: StackConfig): PlanWarning[] {
  const refused = checkDeployableSources(config).map((problem): ConfigProblem => ({
    ...problem,
    message: `${problem.message} (pulumi preview and up refuse this)`,
  }));
  return [...refused, ...checkServerTypeNotices(config)].map((problem) => ({
    path: formatKeyPath(problem.path),
    message: problem.message,
  }));
}

export async function runPlanCommand(argv: string[], projectDir: string): Promise<number> {
  const program = new Command()
    .name("hetzner-k8s plan")
    .description(
      "Evaluate the cluster program offline (no cloud, no Pulumi CLI) and print what it would create.",
    )
    .option("-s, --stack <name>", "stack whose Pulumi.<name>.yaml to evaluate", "dev")
    .option("-c, --config <file>", "evaluate this stack file instead of Pulumi.<stack>.yaml")
    .option(
      "-p, --previous <file>",
      "check the change from this stack file as the last deployment (roles, etcd quorum)",
    )
    .option(
      "-d, --diff <file>",
      "print what changes from the stack file to this one (create, update, replace, delete)",
    )
    .option("--json", "print the plan (or the diff) as one JSON document")
    .option(
      "--vat <percent>",
      "VAT rate of the gross cost, in percent (default 19, Germany's; 0 for reverse charge)",
      parseVatPercent,
    )
    .exitOverride();
  try {
    program.parse(argv, { from: "user" });
  } catch (error) {
    // Commander has already printed the help or the usage error: nothing more to print.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_INVALID_CONFIG;
    throw error;
  }
  const options = program.opts<PlanOptions>();

  let stackFile: string;
  let loaded: LoadedStack;
  let edited: LoadedStack | undefined;
  try {
    stackFile = stackFileOf(options, projectDir);
    const previousFile = options.previous && path.resolve(options.previous);
    const previous = previousFile ? loadPrevious(previousFile, projectDir) : undefined;
    // The change's problems are about the stack file that makes it.
    loaded = loadFile(stackFile, projectDir, previous);
    if (previous && previousFile) {
      // Said, so that a clean check is not mistaken for one that never ran.
      process.stderr.write(
        `checked against the last deployment ${shownPath(previousFile)}: the change passes the checks of pulumi up\n`,
      );
    }
    if (options.diff) {
      const diffFile = path.resolve(options.diff);
      // A diff is a change to a running cluster: the same rules as `pulumi up` apply to it.
      edited = loadFile(diffFile, projectDir, deploymentOf(loaded.config));
    }
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const file = error.file === undefined ? undefined : shownPath(error.file);
    for (const problem of error.problems) process.stderr.write(`${formatProblemIn(file, problem)}\n`);
    return EXIT_INVALID_CONFIG;
  }
  // On stderr, so that stdout stays one JSON document with --json (which carries them as `warnings`).
  const warnings = warningsOf((edited ?? loaded).config);
  for (const warning of warnings) process.stderr.write(`warning: ${warning.path}: ${warning.message}\n`);
  const costOptions = options.vat === undefined ? {} : { vatRate: options.vat / 100 };
  const plan = await evaluatePlan(options.stack, loaded, costOptions);
  if (edited && options.diff) {
    const editedPlan = await evaluatePlan(options.stack, edited, costOptions);
    const diff = explainDiff(plan, editedPlan, diffPlans(plan, editedPlan));
    const to = path.relative(process.cwd(), path.resolve(options.diff));
    process.stdout.write(
      options.json
        ? JSON.stringify(
            {
              ...diff,
              summary: summarizeDiff(diff),
              cost: costChangeJson(plan.cost, editedPlan.cost),
              warnings,
            },
            null,
            2,
          ) + "\n"
        : renderDiff(diff, path.relative(process.cwd(), stackFile), to, {
            notes: diff.notes,
            cost: renderCostChange(plan.cost, editedPlan.cost),
          }),
    );
    return 0;
  }
  process.stdout.write(
    options.json
      ? JSON.stringify({ ...plan, cost: costJson(plan.cost), warnings }, null, 2) + "\n"
      : renderPlan(plan),
  );
  return 0;
}

if (require.main === module) {
  runPlanCommand(process.argv.slice(2), path.resolve(__dirname, "../.."))
    // exitCode rather than exit(): a large plan is still being written to a pipe.
    .then((code) => (process.exitCode = code))
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
