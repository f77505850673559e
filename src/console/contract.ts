import type { Location, ServerSize } from "../config/catalogue";
import type { StackConfig, Taint } from "../config/schema";
import type { TenantConfig } from "../config/tenantSchema";
import type { PreviousNode } from "../config/transition";
import type { LoadBalancerModel } from "../model/network";
import type { NodePoolModel } from "../model/nodePools";
import type { NodeModel } from "../model/nodes";
import type { PoolModel } from "../model/pool";
import type { ExplainedDiff } from "../plan/diffNotes";
import type { LiveStatus } from "./kube/liveStatus";
import type { KnownDeployment } from "./knownDeployment";
import type { LiveComparison, NodeStatus } from "./status";
import type { ConsoleProblem } from "./validation";
import type { JsonObject } from "./yamlEdit";

/**
 * What the console's server answers, declared once: the server's views are typed by it and the page
 * imports it (type-only), so that the two cannot drift apart. Nothing secret belongs in here (tested).
 */

/** Whether an action can be taken now, and why not when it cannot (a disabled button's title). */
export interface Availability {
  available: boolean;
  reason?: string;
}

export interface ServerTypeView extends ServerSize {
  name: string;
  /** Where it is sold, among the locations of the cluster's network zone. */
  locations: Location[];
  /** Price by location, only where the console knows one. */
  prices: Record<string, string>;
}

export interface CatalogueView {
  /** "" while the stack file is not valid (no location to take a zone from). */
  networkZone: string;
  locations: Location[];
  serverTypes: ServerTypeView[];
}

export interface NodeView {
  name: string;
  serverName: string;
  role: NodeModel["role"];
  serverType: string;
  location: Location;
  privateIp: string;
  volumeSizeGb: number | null;
  labels: Record<string, string>;
  taints: Taint[];
  deleteProtection: boolean;
  status: NodeStatus;
  deployedDeleteProtection: boolean;
  /** Why its server type cannot change (it is deployed), empty when it can. */
  serverTypeFixed: string[];
  /** A pool's node is changed through its pool. */
  pool: string | null;
}

/** What removing a tenant leaves in the cluster, from allowDeletion as last applied. */
export interface TenantRemovalView {
  deployed: boolean;
  allowDeletion: boolean;
  keptNamespaces: string[];
  keptKinds: string[];
}

export type TenantView = Pick<
  TenantConfig,
  "users" | "quota" | "podSecurity" | "priorityClasses" | "allowFrom" | "allowDeletion"
> & {
  name: string;
  namespaces: string[];
  removal: TenantRemovalView;
};

/** What /api/state holds whether or not the stack file is valid. */
export interface StateBase {
  stack: string;
  stackFile: string;
  committedSource: string;
  lastDeployment: Pick<KnownDeployment, "source" | "description" | "outputsUnavailable" | "problems">;
  undo: Availability;
  discard: Availability;
  /** The tenants as the file writes them (the edit form starts from these, not from defaults). */
  rawTenants: JsonObject[];
  catalogue: CatalogueView;
}

/** While the stack file is not valid: its problems only, nothing can be edited safely. */
export interface InvalidState extends StateBase {
  valid: false;
  problems: ConsoleProblem[];
}

export interface ValidState
  extends StateBase, Pick<StackConfig, "clusterName" | "location" | "nodeSubnetCidr" | "k3sVersion"> {
  valid: true;
  problems: ConsoleProblem[];
  nextFreeIp: string | undefined;
  /** For the batch form's rows, one each. */
  freeIps: string[];
  deployedControlPlane: number;
  etcdQuorum: number;
  nodes: NodeView[];
  /** Nodes of the last deployment the file no longer has: the next pulumi up removes them. */
  leavingNodes: PreviousNode[];
  nodePools: NodePoolModel[];
  loadBalancers: LoadBalancerModel[];
  pool: PoolModel;
  tenants: TenantView[];
}

/** GET /api/state. */
export type StateView = ValidState | InvalidState;

/**
 * GET /api/live: the cluster's latest status and, while it is connected, its comparison with the stack
 * file and the last deployment.
 */
export type LiveView = LiveStatus & { comparison?: LiveComparison };

/** GET /api/changes: what pulumi up would do, from an offline plan of each version. */
export type ChangesView =
  | (ExplainedDiff & { ok: true; committedSource: string; summary: string })
  | { ok: false; reason: string; problems: ConsoleProblem[] };

/** GET /api/deploy. */
export type DeployAvailability = Availability;

/** Why a write changed nothing: the stack's problems, or the request's own error. */
export interface WriteRefused {
  ok: false;
  problems?: ConsoleProblem[];
  error?: string;
}

/** POST, PUT and DELETE under /api: the state after the write, or why there was none. */
export type WriteResult =
  | {
      ok: true;
      /** Whether the stack file changed; absent when the write only read the last deployment again. */
      changed?: boolean;
      state: StateView;
    }
  | WriteRefused;

/** POST /api/deploy: the run to follow at /api/deploy/<jobId>/events. */
export type DeployStarted = { ok: true; jobId: string } | WriteRefused;

/** The server-sent events of a run. */
export type DeployEvent = { type: "output"; text: string } | { type: "done"; ok: boolean; summary: string };
