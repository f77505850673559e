import type { Plan, PlannedResource } from "./evaluate";
import { replacedOn } from "./replacements";
import { SECRET, secretDigestsOf } from "./values";

/**
 * What changes between two plans: resources created, updated (which inputs), replaced (inputs the
 * provider can only change by re-creating the resource, read from the providers in replacements.ts, and
 * those a resource's replaceOnChanges names) and deleted. Inputs a resource ignores (its ignoreChanges)
 * are not changes; they are listed apart as `unapplied`. Values only known after apply compare as equal;
 * a secret shows as changed, without its value, when its fingerprint differs (values.ts).
 */

/** One changed input, as the plan shows it (secrets as `[secret]`, unknowns as known after apply). */
export interface ValueChange {
  path: string;
  before: unknown;
  after: unknown;
  /** A secret input whose value changed: both sides show as `[secret]`. */
  secret?: true;
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
  /** What a changed command does when it runs, in words (see diffNotes.ts), instead of its script text. */
  meaning?: string[];
}

export interface PlanDiff {
  create: ResourceChange[];
  update: ResourceChange[];
  replace: ResourceChange[];
  delete: ResourceChange[];
  /**
   * Resources whose inputs differ only where the resource ignores changes (a server's image, its user
   * data): `pulumi up` changes nothing on them, and the difference applies to what is created later.
   */
  unapplied: ResourceChange[];
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

/** Secret inputs masked alike on both sides whose values differ (known secrets only). */
function changedSecrets(before: PlannedResource, after: PlannedResource): ValueChange[] {
  const old = secretDigestsOf(before);
  return Object.entries(secretDigestsOf(after))
    .filter(([path, digest]) => old[path] !== undefined && old[path] !== digest)
    .map(([path]) => ({ path, before: SECRET, after: SECRET, secret: true }));
}

/**
 * True when `path` is `prefix` or lies below it (`networks[0].ip` is below `networks`); `[*]` in a prefix
 * matches any index, as in replaceOnChanges (`triggers[*]`, which @pulumi/command sets itself).
 */
export function isUnder(path: string, prefix: string): boolean {
  const pattern = prefix
    .split("[*]")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("\\[\\d+\\]");
  return new RegExp(`^${pattern}($|[.[])`).test(path);
}

function change(resource: PlannedResource, paths: string[]): ResourceChange {
  return { urn: resource.urn, type: resource.type, name: resource.name, paths };
}

export function diffPlans(before: Plan, after: Plan): PlanDiff {
  const old = new Map(before.resources.map((resource) => [resource.urn, resource]));
  const result: PlanDiff = { create: [], update: [], replace: [], delete: [], unapplied: [] };
  for (const resource of after.resources) {
    const previous = old.get(resource.urn);
    if (!previous) {
      result.create.push(change(resource, []));
      continue;
    }
    const ignored = resource.options.ignoreChanges;
    const all = [...changedValues(previous.inputs, resource.inputs), ...changedSecrets(previous, resource)];
    const values = all.filter((value) => !ignored.some((prefix) => isUnder(value.path, prefix)));
    const paths = values.map((value) => value.path);
    if (JSON.stringify(previous.options) !== JSON.stringify(resource.options))
      paths.push("(resource options)");
    if (paths.length === 0) {
      if (all.length > 0)
        result.unapplied.push({
          ...change(
            resource,
            all.map((value) => value.path),
          ),
          values: all,
        });
      continue;
    }
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
