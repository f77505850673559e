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

export interface ResourceChange {
  urn: string;
  type: string;
  name: string;
  /** Paths of the inputs that differ (for a replacement: those that force it). */
  paths: string[];
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

/** Leaf paths where two input trees differ. */
export function changedPaths(before: unknown, after: unknown, path = ""): string[] {
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
      changedPaths(before[index], after[index], join(path, index)),
    ).flat();
  }
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      changedPaths(
        (before as Record<string, unknown>)[key],
        (after as Record<string, unknown>)[key],
        join(path, key),
      ),
    );
  }
  return [path];
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
    const paths = changedPaths(previous.inputs, resource.inputs).filter(
      (path) => !ignored.some((prefix) => isUnder(path, prefix)),
    );
    if (JSON.stringify(previous.options) !== JSON.stringify(resource.options))
      paths.push("(resource options)");
    if (paths.length === 0) continue;
    // What the provider replaces on, and what the program asks the engine to (replaceOnChanges, "*" all).
    const replacing = [...replacedOn(resource.type), ...resource.options.replaceOnChanges];
    const forcing = paths.filter(
      (path) =>
        path !== "(resource options)" && replacing.some((prefix) => prefix === "*" || isUnder(path, prefix)),
    );
    if (forcing.length > 0) result.replace.push(change(resource, forcing));
    else result.update.push(change(resource, paths));
  }
  const current = new Set(after.resources.map((resource) => resource.urn));
  for (const resource of before.resources)
    if (!current.has(resource.urn)) result.delete.push(change(resource, []));
  return result;
}

export function summarizeDiff(diff: PlanDiff): string {
  return `Plan: ${diff.create.length} to create, ${diff.update.length} to update, ${diff.replace.length} to replace, ${diff.delete.length} to delete`;
}

export function renderDiff(diff: PlanDiff, from: string, to: string): string {
  const lines = [`Changes from ${from} to ${to}:`];
  const add = (symbol: string, verb: string, changes: ResourceChange[]) => {
    for (const entry of changes) {
      const detail =
        entry.paths.length > 0
          ? `  (${entry.paths.slice(0, 6).join(", ")}${entry.paths.length > 6 ? ", ..." : ""})`
          : "";
      lines.push(`  ${symbol} ${verb.padEnd(7)} ${entry.type}  ${entry.name}${detail}`);
    }
  };
  add("+", "create", diff.create);
  add("~", "update", diff.update);
  add("±", "replace", diff.replace);
  add("-", "delete", diff.delete);
  if (lines.length === 1) lines.push("  no changes");
  return [...lines, "", summarizeDiff(diff)].join("\n") + "\n";
}
