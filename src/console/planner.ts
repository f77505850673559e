import { createHash } from "node:crypto";
import { diffPlans, summarizeDiff } from "../plan/diff";
import { explainDiff, type ExplainedDiff } from "../plan/diffNotes";
import { evaluatePlan, type Plan } from "../plan/evaluate";
import type { LoadedStack } from "../stack";

/**
 * Offline plans of stack versions. evaluatePlan drives the process-global Pulumi runtime (mocks), so
 * calls run strictly one at a time; plans are cached by the text they were made from.
 */
export class Planner {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly cache = new Map<string, Promise<Plan>>();

  constructor(private readonly stack: string) {}

  plan(text: string, loaded: LoadedStack): Promise<Plan> {
    const key = createHash("sha256").update(text).digest("hex");
    const cached = this.cache.get(key);
    if (cached) return cached;
    const run = this.queue.then(() => evaluatePlan(this.stack, loaded));
    this.queue = run.catch(() => undefined);
    // Keep the two most recent versions at most: the committed one and the latest edit.
    if (this.cache.size >= 4) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(key, run);
    run.catch(() => this.cache.delete(key));
    return run;
  }

  async diff(
    before: { text: string; loaded: LoadedStack },
    after: { text: string; loaded: LoadedStack },
  ): Promise<ExplainedDiff & { summary: string }> {
    const beforePlan = await this.plan(before.text, before.loaded);
    const afterPlan = await this.plan(after.text, after.loaded);
    // The same words as `plan --diff`: what each change does to running servers.
    const diff = explainDiff(beforePlan, afterPlan, diffPlans(beforePlan, afterPlan));
    return { ...diff, summary: summarizeDiff(diff) };
  }
}
