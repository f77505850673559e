import {
  LocalWorkspace,
  PulumiCommand,
  type EngineEvent,
  type OpType,
  type Stack,
} from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as path from "node:path";
import { realEnvironment } from "./environment";

/** One resource step the real engine took (or would take, in a preview). */
export interface Step {
  op: OpType;
  urn: string;
  type: string;
  /** Top-level input keys that changed. */
  diffs: string[];
  /** Property paths with their kind of change, as the provider reported them. */
  detailedDiff: Record<string, string>;
}

export interface RunResult {
  steps: Step[];
  outputs: Record<string, unknown>;
}

export type InlineProgram = () => Promise<Record<string, unknown>>;

/**
 * A Pulumi stack driven by the real engine through the Automation API: the program runs inline in
 * this process (no language host), state lives in a file backend of the run's own.
 */
export class RealStack {
  private constructor(private readonly stack: Stack) {}

  static async create(name: string): Promise<RealStack> {
    const env = realEnvironment();
    const backend = path.join(env.workDir, "state");
    fs.mkdirSync(backend, { recursive: true });
    const pulumiCommand = await PulumiCommand.get({ skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack(
      // The program is set per operation; the stack needs one to exist.
      { stackName: name, projectName: "hetzner-k8s", program: async () => ({}) },
      {
        pulumiCommand,
        pulumiHome: env.pulumiHome,
        projectSettings: { name: "hetzner-k8s", runtime: "nodejs", backend: { url: `file://${backend}` } },
        envVars: {
          PULUMI_CONFIG_PASSPHRASE: "real-tier",
          PULUMI_SKIP_UPDATE_CHECK: "true",
          PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
          PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: "true",
        },
      },
    );
    return new RealStack(stack);
  }

  /** @param replace URNs to replace, as `pulumi up --replace` does. */
  async up(program: InlineProgram, replace?: string[]): Promise<RunResult> {
    this.stack.workspace.program = program;
    const steps: Step[] = [];
    const result = await this.stack.up({
      onEvent: collect(steps),
      color: "never",
      replace,
      onOutput: progress,
    });
    const outputs = Object.fromEntries(
      Object.entries(result.outputs).map(([key, output]) => [key, output.value as unknown]),
    );
    return { steps, outputs };
  }

  async preview(program: InlineProgram): Promise<Step[]> {
    this.stack.workspace.program = program;
    const steps: Step[] = [];
    await this.stack.preview({ onEvent: collect(steps), color: "never", onOutput: progress });
    return steps;
  }

  async destroy(): Promise<Step[]> {
    const steps: Step[] = [];
    await this.stack.destroy({ onEvent: collect(steps), color: "never", onOutput: progress });
    return steps;
  }

  /** The stack's state as `pulumi stack export` writes it. */
  async exportState(): Promise<{
    resources: { urn: string; type: string; outputs?: Record<string, unknown> }[];
  }> {
    const { deployment } = await this.stack.exportStack();
    return { resources: (deployment as { resources?: [] }).resources ?? [] };
  }

  async remove(): Promise<void> {
    await this.stack.workspace.removeStack(this.stack.name, { force: true });
  }
}

/** REAL_TIER_VERBOSE=1 shows the engine's own progress, for a run that hangs or fails. */
function progress(text: string): void {
  if (process.env.REAL_TIER_VERBOSE) process.stderr.write(text);
}

function collect(steps: Step[]): (event: EngineEvent) => void {
  return (event) => {
    const meta = event.resourcePreEvent?.metadata;
    if (!meta) return;
    steps.push({
      op: meta.op,
      urn: meta.urn,
      type: meta.type,
      diffs: meta.diffs ?? [],
      detailedDiff: Object.fromEntries(
        Object.entries(meta.detailedDiff ?? {}).map(([key, diff]) => [key, diff.diffKind]),
      ),
    });
  };
}

/** Steps that change something (anything but `same` and reads), for assertions on a diff. */
export function changes(steps: Step[]): Step[] {
  return steps.filter((step) => step.op !== "same" && step.op !== "read");
}

/** The resource name at the end of a URN. */
export function nameOf(urn: string): string {
  return urn.slice(urn.lastIndexOf("::") + 2);
}
