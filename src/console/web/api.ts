/// <reference lib="dom" />
import type { ResourceChange } from "../../plan/diff";
import type { StateView as ServerState } from "../views";
import type { ConsoleProblem } from "../validation";

/** What the console's server answers (types shared with the server code, type-only), and how the page asks it. */

export type Problem = ConsoleProblem;
export type { Amounts } from "../../model/pool";

/** The state while the stack file is valid, and while it is not (problems only). */
export type ValidState = Extract<ServerState, { valid: true }>;
export type InvalidState = Extract<ServerState, { valid: false }>;
export type StateView = ValidState | InvalidState;
/** Shows a new state on the page, with a message for the person who changed it. */
export type Refresh = (state: StateView, message?: string) => void;

export type NodeView = ValidState["nodes"][number];
export type TenantView = ValidState["tenants"][number];
export type PoolView = ValidState["pool"];
export type ServerTypeView = StateView["catalogue"]["serverTypes"][number];
export type RawTenant = StateView["rawTenants"][number];

// Shapes the server sends, shared with the server code (type-only: nothing of it reaches the bundle).
export type { LiveNode, LiveQuota } from "../kube";
import type { LiveStatus as KubeLiveStatus } from "../kube";
import type { LiveComparison } from "../status";
export type LiveStatus = KubeLiveStatus & { comparison?: LiveComparison };
export type { ResourceChange };

export type ChangesView =
  | {
      ok: true;
      committedSource: string;
      create: ResourceChange[];
      update: ResourceChange[];
      replace: ResourceChange[];
      delete: ResourceChange[];
      /** What the change means for running servers, as `plan --diff` says it (plan/diffNotes.ts). */
      notes: string[];
      summary: string;
    }
  | { ok: false; reason: string; problems: Problem[] };

export interface DeployAvailability {
  available: boolean;
  reason?: string;
}

export type WriteResult =
  { ok: true; changed: boolean; state: StateView } | { ok: false; problems?: Problem[]; error?: string };

function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? "";
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  return (await response.json()) as T;
}

/** Every write carries the per-start CSRF token in a header. */
export async function write<T = WriteResult>(
  method: "POST" | "PUT" | "DELETE",
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return (await response.json()) as T;
}
