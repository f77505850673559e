/// <reference lib="dom" />
import type { StateView, ValidState, WriteResult } from "../contract";

/** What the console's server answers (its contract, type-only: nothing of it reaches the bundle), and how the page asks it. */

export type {
  Availability,
  ChangesView,
  DeployAvailability,
  DeployEvent,
  DeployStarted,
  InvalidState,
  LiveView,
  NodeView,
  ServerTypeView,
  StateView,
  TenantView,
  ValidState,
  WriteRefused,
  WriteResult,
} from "../contract";
export type { LiveNode, LiveQuota } from "../kube/liveStatus";
export type { ResourceChange } from "../../plan/diff";
export type { Amounts } from "../../model/pool";
export type { ConsoleProblem as Problem } from "../validation";

/** Shows a new state on the page, with a message for the person who changed it. */
export type Refresh = (state: StateView, message?: string) => void;

export type PoolView = ValidState["pool"];
export type RawTenant = StateView["rawTenants"][number];

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
