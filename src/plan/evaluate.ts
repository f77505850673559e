import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../names";
import { parseK3sVersion } from "../config/k3sRules";
import { ineffectiveKeys, type ConfigNote } from "../config/ineffectiveKeys";
import type { GatewayModel } from "../model/gateway";
import { computeCost, type CostBreakdown, type CostOptions } from "../model/cost";
import type { K3sNodeModel } from "../model/k3s";
import type { NodePoolModel } from "../model/nodePools";
import type { PoolModel } from "../model/pool";
import { defineCluster } from "../program";
import type { LoadedStack } from "../stack";
import { startRecording, type ResourceOptionsRecord } from "./recorder";
import { createSecrecyProbe, resourceKey } from "./secrecy";
import { maskInputs, rememberSecretDigests, resolveOutput, type ResolvedOutput } from "./values";

/** One resource of the plan, in the shape `plan --json` prints. */
export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependencies: string[];
  inputs: Record<string, unknown>;
  secretInputs: string[];
  options: ResourceOptionsRecord;
}

/** "server (cluster-init)", "server" or "agent", as the model runs the node; "-" for none. */
function k3sRoleLabel(node: K3sNodeModel | undefined): string {
  if (!node) return "-";
  return node.role === "server" && node.initializesCluster ? "server (cluster-init)" : node.role;
}

/** The k3s release the cluster runs: the stack's k3sVersion, installed on every node. */
export interface PlannedK3s {
  version: string;
  /** "1.35": the Kubernetes minor of the release, which the add-ons' supported ranges are stated in. */
  kubernetesMinor: string;
}

/** A node as the stack file lists it, with the k3s role its bootstrap command gives it. */
export interface PlannedNode {
  name: string;
  role: "control-plane" | "worker";
  /** "server (cluster-init)", "server" or "agent". */
  k3sRole: string;
  serverType: string;
  location: string;
  volumeSizeGb?: number;
  /** Kubernetes node labels: the stack file's and the program's own. */
  labels: Record<string, string>;
  /** As k3s registers them: `key[=value]:Effect`. */
  taints: string[];
  /** /etc/rancher/k3s/config.yaml as the node's reconfigure writes it (no secrets: the token is a file). */
  k3sConfig: Record<string, unknown>;
}

/** Settings the diff explains in words: what a change to them does to servers that already run. */
export interface PlannedCluster {
  image: string;
  /** Public keys cloud-init writes at a server's first boot. */
  sshPublicKeys: string[];
  drain: { onRemoval: boolean; timeoutSeconds: number };
  /** Node names in the order a reconfiguration rolls: servers first, then agents, one at a time. */
  rollOrder: string[];
  /** With private nodes: the bastion and NAT server. */
  gateway?: GatewayModel;
}

export interface Plan {
  stack: string;
  k3s: PlannedK3s;
  /**
   * In stack-file order, which neither the resources (sorted by URN) nor the program's registration order
   * keeps; the node table follows it.
   */
  nodes: PlannedNode[];
  /** The node pools, whose nodes are among `nodes`. */
  nodePools: NodePoolModel[];
  cluster: PlannedCluster;
  /** Keys set in the stack file that change nothing as the rest of it stands. */
  notes: ConfigNote[];
  resources: PlannedResource[];
  outputs: Record<string, ResolvedOutput>;
  /** The shared resource pool and what the tenants are promised (cores and bytes). */
  pool: PoolModel;
  /** What the stack costs per month at Hetzner's list prices. */
  cost: CostBreakdown;
}

/**
 * Mocks behave like a preview against an empty project: every resource is to be created, and what the
 * cloud assigns (IDs, public addresses, generated keys) is unknown until it exists.
 */
const previewMocks: pulumi.runtime.Mocks = {
  newResource: () => ({ id: undefined, state: {} }),
  call: (args) => args.inputs,
};

/** The part of a plan that any program yields: its resources and outputs. */
export type Evaluation = Pick<Plan, "resources" | "outputs">;

/**
 * Runs a program under preview mocks and records what it declares. `define` receives the resource options
 * its top-level components must pass on (they let the plan see secret inputs that are not known yet).
 */
export async function evaluateProgram(
  stack: string,
  define: (opts: pulumi.ComponentResourceOptions) => Record<string, unknown>,
): Promise<Evaluation> {
  await pulumi.runtime.setMocks(previewMocks, PROJECT, stack, true);
  // The SDK records a stack trace for every promise it creates, which is most of an offline evaluation's
  // time; no engine reads them here. Errors keep their message.
  const stackTraceLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = Number(process.env.HETZNER_K8S_PLAN_STACK_TRACES ?? 0);
  try {
    return await recordProgram(define);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
  }
}

async function recordProgram(
  define: (opts: pulumi.ComponentResourceOptions) => Record<string, unknown>,
): Promise<Evaluation> {
  const records = startRecording();
  const probe = createSecrecyProbe();
  const stackOutputs = define({ transformations: [probe.transformation] });
  const outputs: Record<string, ResolvedOutput> = {};
  for (const [name, value] of Object.entries(stackOutputs)) {
    if (value !== undefined) outputs[name] = await resolveOutput(value);
  }
  await pulumi.runtime.disconnect();
  const secretPaths = await probe.secretPaths();
  const resources = records
    .map((record): PlannedResource => {
      const masked = maskInputs(record.rawInputs, secretPaths.get(resourceKey(record.type, record.name)));
      const resource: PlannedResource = {
        urn: record.urn,
        type: record.type,
        name: record.name,
        parent: record.parent,
        dependencies: record.dependencies,
        inputs: masked.value as Record<string, unknown>,
        secretInputs: masked.secretPaths,
        options: record.options,
      };
      rememberSecretDigests(resource, masked.secretDigests);
      return resource;
    })
    .sort((a, b) => a.urn.localeCompare(b.urn));
  return { resources, outputs };
}

/** Runs the real program (`defineCluster`) for a loaded stack under mocks and records what it declares. */
export async function evaluatePlan(
  stack: string,
  loaded: LoadedStack,
  costOptions: CostOptions = {},
): Promise<Plan> {
  // The offline plan has no Hetzner token; the cluster's copy of it shows as a secret like the real one.
  const credentials = { hcloudToken: pulumi.secret("(hcloud:token)") };
  const evaluation = await evaluateProgram(stack, (opts) => defineCluster(loaded, credentials, opts));
  const { config, model } = loaded;
  const minor = parseK3sVersion(config.k3sVersion)?.minor;
  const k3sNodes = new Map(model.k3s.nodes.map((node) => [node.name, node]));
  return {
    stack,
    k3s: { version: config.k3sVersion, kubernetesMinor: minor === undefined ? "unknown" : `1.${minor}` },
    nodes: model.nodes.map((node) => ({
      name: node.name,
      role: node.role,
      k3sRole: k3sRoleLabel(k3sNodes.get(node.name)),
      serverType: node.serverType,
      location: node.location,
      ...(node.volumeSizeGb !== undefined && { volumeSizeGb: node.volumeSizeGb }),
      labels: node.kubernetesLabels,
      taints: k3sNodes.get(node.name)?.taints ?? [],
      k3sConfig: k3sNodes.get(node.name)?.config ?? {},
    })),
    nodePools: model.nodePools,
    cluster: {
      image: config.serverImage,
      sshPublicKeys: config.sshPublicKeys,
      drain: { onRemoval: config.drainOnRemoval, timeoutSeconds: config.drainTimeoutSeconds },
      rollOrder: rollOrderOf(model.k3s.nodes),
      ...(model.gateway && { gateway: model.gateway }),
    },
    notes: ineffectiveKeys(config),
    ...evaluation,
    pool: model.pool,
    cost: computeCost(config, costOptions),
  };
}

/** Follows each node's `rollsAfter` from the node that waits for none. */
function rollOrderOf(nodes: readonly K3sNodeModel[]): string[] {
  const next = new Map(nodes.flatMap((node) => (node.rollsAfter ? [[node.rollsAfter, node.name]] : [])));
  const order: string[] = [];
  for (let name = nodes.find((node) => !node.rollsAfter)?.name; name; name = next.get(name)) order.push(name);
  return order;
}
