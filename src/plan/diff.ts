import type { Plan, PlannedResource } from "./evaluate";

/**
 * What changes between two plans: resources created, updated (which inputs), replaced (inputs that
 * Hetzner, or the provider, can only change by re-creating the resource, and those a resource's
 * replaceOnChanges names) and deleted. Inputs a resource ignores (its ignoreChanges) are not changes.
 * Values only known after apply compare as equal, and so do secrets, which the plan masks.
 */

/** Inputs whose change forces a new resource, by type; a key covers everything below it. */
export const REPLACED_ON: Record<string, string[]> = {
  "hcloud:index/server:Server": ["location", "datacenter", "image", "networks", "userData", "sshKeys"],
  "hcloud:index/volume:Volume": ["location", "format"],
  "hcloud:index/volumeAttachment:VolumeAttachment": ["serverId", "volumeId"],
  "hcloud:index/network:Network": ["ipRange"],
  "hcloud:index/networkSubnet:NetworkSubnet": ["networkId", "networkZone", "type", "ipRange"],
  "hcloud:index/loadBalancer:LoadBalancer": ["location", "networkZone"],
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": ["loadBalancerId", "networkId", "subnetId", "ip"],
  "hcloud:index/loadBalancerService:LoadBalancerService": ["loadBalancerId", "listenPort"],
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": [
    "loadBalancerId",
    "type",
    "labelSelector",
    "serverId",
    "ip",
  ],
  "hcloud:index/placementGroup:PlacementGroup": ["type"],
  "hcloud:index/sshKey:SshKey": ["publicKey"],
  "tls:index/privateKey:PrivateKey": ["algorithm", "ecdsaCurve", "rsaBits"],
  "random:index/randomPassword:RandomPassword": [
    "length",
    "special",
    "upper",
    "lower",
    "numeric",
    "minSpecial",
  ],
  "command:remote:Command": ["triggers"],
  "kubernetes:helm.sh/v3:Release": ["name", "namespace"],
};
const KUBERNETES_IDENTITY = ["metadata.name", "metadata.namespace", "apiVersion", "kind"];

/** One changed input, as the plan shows it (secrets as `[secret]`, unknowns as known after apply). */
export interface ValueChange {
  path: string;
  before: unknown;
  after: unknown;
}

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  /** Paths of the inputs that differ (for a replacement: those that force it). */
  paths: string[];
  /** Before and after of every changed input (updates and replacements; resource options have none). */
  values?: ValueChange[];
  /** A deletion the engine only forgets: the object stays in the cloud (`retainOnDelete`). */
  retained?: boolean;
}

export interface PlanDiff {
  create: ResourceChange[];
  update: ResourceChange[];
  replace: ResourceChange[];
  delete: ResourceChange[];
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Leaf paths where two input trees differ, each with its value before and after. */
export function changedValues(before: unknown, after: unknown, path = ""): ValueChange[] {
  if (Object.is(before, after)) return [];
  const bothArrays = Array.isArray(before) && Array.isArray(after);
  const bothObjects =
    !bothArrays &&
    typeof before === "object" &&
    typeof after === "object" &&
    before !== null &&
    after !== null &&
    !Array.isArray(before) &&
    !Array.isArray(after);
  if (bothArrays) {
    const length = Math.max(before.length, after.length);
    return Array.from({ length }, (_, index) =>
      changedValues(before[index], after[index], join(path, index)),
    ).flat();
  }
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      changedValues(
        (before as Record<string, unknown>)[key],
        (after as Record<string, unknown>)[key],
        join(path, key),
      ),
    );
  }
  return [{ path, before, after }];
}

/** Leaf paths where two input trees differ. */
export function changedPaths(before: unknown, after: unknown): string[] {
  return changedValues(before, after).map((value) => value.path);
}

/** True when `path` is `prefix` or lies below it (`networks[0].ip` is below `networks`). */
function isUnder(path: string, prefix: string): boolean {
  return path === prefix || path.startsWith(`${prefix}.`) || path.startsWith(`${prefix}[`);
}

function replacedOn(type: string): string[] {
  return REPLACED_ON[type] ?? (type.startsWith("kubernetes:") ? KUBERNETES_IDENTITY : []);
}

function change(resource: PlannedResource, paths: string[]): ResourceChange {
  return { urn: resource.urn, type: resource.type, name: resource.name, paths };
}

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((resource) => [resource.urn, resource]));
  const result: PlanDiff = { create: [], update: [], replace: [], delete: [] };
  for (const resource of after.resources) {
    const previous = old.get(resource.urn);
    if (!previous) {
      result.create.push(change(resource, []));
      continue;
    }
    const ignored = resource.options.ignoreChanges;
    const values = changedValues(previous.inputs, resource.inputs).filter(
      (value) => !ignored.some((prefix) => isUnder(value.path, prefix)),
    );
    const paths = values.map((value) => value.path);
    if (JSON.stringify(previous.options) !== JSON.stringify(resource.options))
      paths.push("(resource options)");
    if (paths.length === 0) continue;
    // What the provider replaces on, and what the program asks the engine to (replaceOnChanges, "*" all).
    const replacing = [...replacedOn(resource.type), ...resource.options.replaceOnChanges];
    const forcing = paths.filter(
      (path) =>
        path !== "(resource options)" && replacing.some((prefix) => prefix === "*" || isUnder(path, prefix)),
    );
    if (forcing.length > 0) {
      const forced = values.filter((value) => forcing.includes(value.path));
      result.replace.push({ ...change(resource, forcing), values: forced });
    } else result.update.push({ ...change(resource, paths), values });
  }
  const current = new Set(after.resources.map((resource) => resource.urn));
  for (const resource of before.resources) {
    if (current.has(resource.urn)) continue;
    result.delete.push({
      ...change(resource, []),
      ...(resource.options.retainOnDelete && { retained: true }),
    });
  }
  return result;
}

export function summarizeDiff(diff: PlanDiff): string {
  return `Plan: ${diff.create.length} to create, ${diff.update.length} to update, ${diff.replace.length} to replace, ${diff.delete.length} to delete`;
}

/** A value as one line of the diff: strings quoted, several lines counted, long ones cut. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string" && value.includes("\n")) return `(${value.split("\n").length} lines)`;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const SHOWN_VALUES = 6;

export function renderDiff(diff: PlanDiff, from: string, to: string): string {
  const lines = [`Changes from ${from} to ${to}:`];
  const add = (symbol: string, verb: string, changes: ResourceChange[]) => {
    for (const entry of changes) {
      const detail =
        entry.paths.length > 0
          ? `  (${entry.paths.slice(0, 6).join(", ")}${entry.paths.length > 6 ? ", ..." : ""})`
          : "";
      const shownVerb = entry.retained ? "forget" : verb;
      const retained = entry.retained ? "  (retained in Hetzner: only removed from the stack)" : "";
      lines.push(`  ${symbol} ${shownVerb.padEnd(7)} ${entry.type}  ${entry.name}${detail}${retained}`);
      const values = entry.values ?? [];
      for (const value of values.slice(0, SHOWN_VALUES))
        lines.push(`        ${value.path}: ${formatValue(value.before)} → ${formatValue(value.after)}`);
      if (values.length > SHOWN_VALUES) lines.push(`        ... ${values.length - SHOWN_VALUES} more`);
    }
  };
  add("+", "create", diff.create);
  add("~", "update", diff.update);
  add("±", "replace", diff.replace);
  add("-", "delete", diff.delete);
  if (lines.length === 1) lines.push("  no changes");
  return [...lines, "", summarizeDiff(diff)].join("\n") + "\n";
}
