/// <reference lib="dom" />
import type { PoolModel } from "../../model/pool";
import type { ResourceChange } from "../../plan/diff";

/** What the console's server answers (see src/console/server.ts), and how the page asks it. */

export interface Problem {
  path: (string | number)[];
  message: string;
  line: string;
  field?: string;
}

export type { Amounts } from "../../model/pool";

export interface NodeView {
  name: string;
  serverName: string;
  role: "control-plane" | "worker";
  serverType: string;
  location: string;
  privateIp: string;
  volumeSizeGb: number | null;
  labels: Record<string, string>;
  deleteProtection: boolean;
  deployed: boolean;
  deployedDeleteProtection: boolean;
}

export interface LoadBalancerView {
  name: string;
  type: string;
  privateIp: string;
  publicInterface: boolean;
  services: { name: string; listenPort: number; destinationPort: number }[];
}

/** The shared resource pool, as the model computes it. */
export type PoolView = PoolModel;

export interface TenantView {
  name: string;
  namespaces: string[];
  users: string[];
  quota: Record<string, string | number>;
  podSecurity: string;
}

export type RawTenant = Record<string, unknown>;

export interface ServerTypeView {
  name: string;
  vcpus: number;
  memoryGb: number;
  diskGb: number;
  architecture: string;
  locations: string[];
}

export interface StateView {
  stack: string;
  stackFile: string;
  committedSource: string;
  catalogue: { serverTypes: ServerTypeView[]; locations: string[] };
  rawTenants: RawTenant[];
  valid: boolean;
  problems: Problem[];
  clusterName?: string;
  location?: string;
  nodeSubnetCidr?: string;
  nextFreeIp?: string;
  committedControlPlane?: number;
  etcdQuorum?: number;
  nodes?: NodeView[];
  loadBalancers?: LoadBalancerView[];
  pool?: PoolView;
  tenants?: TenantView[];
}

// Shapes the server sends, shared with the server code (type-only: nothing of it reaches the bundle).
export type { LiveNode, LiveQuota, LiveStatus } from "../kube";
export type { ResourceChange };

export type ChangesView =
  | {
      ok: true;
      committedSource: string;
      create: ResourceChange[];
      update: ResourceChange[];
      replace: ResourceChange[];
      delete: ResourceChange[];
      summary: string;
    }
  | { ok: false; reason: string; problems: Problem[] };

export interface DeployAvailability {
  available: boolean;
  reason?: string;
}

export type WriteResult =
  { ok: true; state: StateView } | { ok: false; problems?: Problem[]; error?: string };

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
