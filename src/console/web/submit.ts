/// <reference lib="dom" />
import { write, type Refresh, type WriteRefused, type WriteResult } from "./api";
import { showProblems } from "./form";

/**
 * The one way the page changes the stack file: send the edit (or only its dry run), then say what came
 * of it. Accepted: usually the new state, shown with a message. Refused: the server's reasons where the
 * edit was made, and the page stays as it was, so that nothing typed is lost.
 */

export interface Edit {
  method: "POST" | "PUT" | "DELETE";
  path: string;
  body?: unknown;
  /** Only ask whether the edit would pass pulumi up's checks: the server writes nothing. */
  dryRun?: boolean;
}

export type Accepted = Extract<WriteResult, { ok: true }>;

export interface Outcome {
  accepted(result: Accepted): void | Promise<void>;
  refused(refusal: WriteRefused): void;
}

export function submitEdit(edit: Edit, outcome: Outcome): void {
  const path = edit.dryRun ? `${edit.path}?dryRun=1` : edit.path;
  void write<WriteResult>(edit.method, path, edit.body).then((result) =>
    result.ok ? outcome.accepted(result) : outcome.refused(result),
  );
}

/** Accepted: the new state, with a message for whoever made the edit (worked out only then). */
export function showState(refresh: Refresh, message: string | (() => Promise<string>)): Outcome["accepted"] {
  return async (result) => refresh(result.state, typeof message === "string" ? message : await message());
}

/** Refused: each problem next to its field in `form`, the rest in `general` (see showProblems). */
export function problemsIn(form: HTMLElement, general: HTMLElement, heading?: string): Outcome["refused"] {
  return (refusal) => showProblems(form, general, refusal.problems ?? [], refusal.error, heading);
}
