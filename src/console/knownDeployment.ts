import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ConfigError } from "../config/errors";
import { lastDeploymentOfStackConfig, parseDeploymentOutputs } from "../config/lastDeployment";
import type { LastDeployment } from "../config/transition";
import { pulumiOnPath } from "./pulumiCli";
import { toConsoleProblems, type ConsoleProblem, type RawStack } from "./validation";

/**
 * What the console takes for the last deployment: the one `pulumi up` checks against. That is the stack's
 * own `nodes` and `deployment` outputs when the Pulumi CLI can read them; else the committed stack file,
 * read as `npm run plan -- --previous` reads it, and then a node there is only "committed": in git, not
 * known to be deployed.
 */

/** The stack's outputs, or why they could not be read. Injected (tests, or another way to read them). */
export type StackOutputsResult =
  { ok: true; outputs: Record<string, unknown> } | { ok: false; reason: string };
export type StackOutputsReader = () => Promise<StackOutputsResult>;

const run = promisify(execFile);

/** `pulumi stack output --json`, secrets masked: the console needs no secret output and keeps none. */
export function pulumiStackOutputs(stack: string, projectDir: string): StackOutputsReader {
  return async () => {
    if (!pulumiOnPath()) return { ok: false, reason: "the Pulumi CLI (pulumi) is not on PATH" };
    try {
      const { stdout } = await run(
        "pulumi",
        ["stack", "output", "--json", "--show-secrets=false", "--stack", stack, "--non-interactive"],
        { cwd: projectDir, timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
      );
      const outputs: unknown = JSON.parse(stdout);
      if (outputs === null || typeof outputs !== "object" || Array.isArray(outputs))
        return { ok: false, reason: "pulumi stack output did not answer a JSON object" };
      return { ok: true, outputs: outputs as Record<string, unknown> };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const firstLine =
        message
          .split("\n")
          .map((line) => line.trim())
          .find((line) => line.startsWith("error:")) ?? message.split("\n")[0];
      return { ok: false, reason: `pulumi stack output failed: ${firstLine}` };
    }
  };
}

export interface KnownDeployment {
  /** Undefined only when neither the outputs nor a valid committed file tell. */
  deployment: LastDeployment | undefined;
  source: "stack-outputs" | "committed";
  /** For the page: where the last deployment comes from. */
  description: string;
  /** Why the stack outputs were not used, when they were not. */
  outputsUnavailable?: string;
  /** Why the committed file could not stand in, when it could not. */
  problems: ConsoleProblem[];
}

export async function readKnownDeployment(
  readOutputs: StackOutputsReader,
  committed: { source: string; stack: RawStack },
): Promise<KnownDeployment> {
  const outputs = await readOutputs();
  if (outputs.ok) {
    const deployment = parseDeploymentOutputs(outputs.outputs.nodes, outputs.outputs.deployment);
    return {
      deployment,
      source: "stack-outputs",
      description:
        deployment.nodes.length > 0
          ? "the stack's outputs (pulumi stack output)"
          : "the stack's outputs, which hold no deployment yet",
      problems: [],
    };
  }
  try {
    return {
      deployment: lastDeploymentOfStackConfig(committed.stack.raw, committed.stack.secretKeys),
      source: "committed",
      description: `${committed.source}, not known to be deployed`,
      outputsUnavailable: outputs.reason,
      problems: [],
    };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return {
      deployment: undefined,
      source: "committed",
      description: `nothing: ${committed.source} is not valid`,
      outputsUnavailable: outputs.reason,
      problems: toConsoleProblems(error.problems),
    };
  }
}
