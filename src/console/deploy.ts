import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { DeployAvailability, DeployEvent } from "./contract";
import { pulumiOnPath } from "./pulumiCli";

/**
 * `pulumi preview` / `pulumi up` through the Automation API, one at a time, with their output kept so
 * that the page can follow it (server-sent events) from the start.
 */

export async function checkDeployAvailability(projectDir: string): Promise<DeployAvailability> {
  if (!pulumiOnPath()) {
    return {
      available: false,
      reason: "the Pulumi CLI (pulumi) is not on PATH; install it and log in to preview or deploy",
    };
  }
  try {
    await promisify(execFile)("pulumi", ["whoami", "--non-interactive"], {
      cwd: projectDir,
      timeout: 30_000,
    });
    return { available: true };
  } catch {
    return { available: false, reason: "the Pulumi CLI is not logged in (run `pulumi login`)" };
  }
}

export type DeployAction = "preview" | "up";

export interface DeployJob {
  id: string;
  action: DeployAction;
  events: DeployEvent[];
  finished: boolean;
  listeners: Set<(event: DeployEvent) => void>;
}

export class DeployRunner {
  private readonly jobs = new Map<string, DeployJob>();
  private running: DeployJob | undefined;

  constructor(
    private readonly stack: string,
    private readonly projectDir: string,
    /** Called when a run ends: an `up` changes the stack's outputs, the console's last deployment. */
    private readonly onFinished: (action: DeployAction) => void = () => undefined,
  ) {}

  get(id: string): DeployJob | undefined {
    return this.jobs.get(id);
  }

  /** Returns undefined while another run is in progress. */
  start(action: DeployAction): DeployJob | undefined {
    if (this.running && !this.running.finished) return undefined;
    const job: DeployJob = {
      id: randomBytes(8).toString("hex"),
      action,
      events: [],
      finished: false,
      listeners: new Set(),
    };
    this.jobs.set(job.id, job);
    this.running = job;
    const emit = (event: DeployEvent) => {
      job.events.push(event);
      for (const listener of job.listeners) listener(event);
    };
    void this.execute(action, (text) => emit({ type: "output", text }))
      .then((summary) => emit({ type: "done", ok: true, summary }))
      .catch((error: unknown) =>
        emit({
          type: "done",
          ok: false,
          summary: error instanceof Error ? error.message.split("\n").slice(0, 20).join("\n") : String(error),
        }),
      )
      .finally(() => {
        job.finished = true;
        this.onFinished(action);
      });
    return job;
  }

  private async execute(action: DeployAction, onOutput: (text: string) => void): Promise<string> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const stack = await LocalWorkspace.selectStack({ stackName: this.stack, workDir: this.projectDir });
    if (action === "preview") {
      const result = await stack.preview({ onOutput, color: "never" });
      return `preview: ${JSON.stringify(result.changeSummary)}`;
    }
    const result = await stack.up({ onOutput, color: "never" });
    return `up ${result.summary.result}: ${JSON.stringify(result.summary.resourceChanges ?? {})}`;
  }
}
