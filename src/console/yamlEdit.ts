import { isMap, isScalar, isSeq, visit, YAMLMap, YAMLSeq, type Document, type Node } from "yaml";
import { PROJECT } from "../names";
import { EditRefused } from "./stackStore";
import type { EditFocus } from "./validation";

/**
 * Comment-preserving edits of the stack file through the `yaml` Document API. Only the entries an edit
 * is about are touched; with these options an untouched document prints byte for byte as it was read.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

function configMap(doc: Document): YAMLMap {
  const config = doc.get("config", true);
  if (isMap(config)) return config;
  const created = new YAMLMap();
  doc.set("config", created);
  return created;
}

/** The list under `hetzner-k8s:<key>` (or the bare key, which Pulumi also accepts), created if absent. */
function listOf(doc: Document, key: ListKey): YAMLSeq {
  const config = configMap(doc);
  const existingKey = [`${PROJECT}:${key}`, key].find((candidate) => config.has(candidate));
  const list = existingKey ? config.get(existingKey, true) : undefined;
  if (isSeq(list)) return list;
  if (list !== undefined && !(isScalar(list) && list.value === null)) {
    throw new EditRefused([{ path: [key], message: "is not a list in the stack file" }], 409);
  }
  const created = new YAMLSeq();
  config.set(existingKey ?? `${PROJECT}:${key}`, created);
  return created;
}

type ListKey = "nodes" | "nodePools" | "tenants";

function entryName(item: unknown): unknown {
  return isMap(item) ? item.get("name") : undefined;
}

const ENTRY_WORD: Readonly<Record<ListKey, string>> = {
  nodes: "node",
  nodePools: "node pool",
  tenants: "tenant",
};

function indexByName(list: YAMLSeq, key: ListKey, name: string): number {
  const index = list.items.findIndex((item) => entryName(item) === name);
  if (index < 0)
    throw new EditRefused([{ path: [key], message: `there is no ${ENTRY_WORD[key]} named "${name}"` }], 404);
  return index;
}

/**
 * A pool's node has no entry of its own: the pool's entry says what all its nodes are, and its count which
 * of them exist. Refuses a per-node edit of one, naming the pool to change instead.
 */
function refusePoolNode(doc: Document, name: string): void {
  const config = configMap(doc);
  const key = [`${PROJECT}:nodePools`, "nodePools"].find((candidate) => config.has(candidate));
  const pools = key === undefined ? undefined : config.get(key, true);
  if (!isSeq(pools)) return;
  pools.items.forEach((item, index) => {
    const pool = entryName(item);
    const suffix = typeof pool === "string" && name.startsWith(`${pool}-`) ? name.slice(pool.length + 1) : "";
    if (!/^[1-9]\d*$/.test(suffix)) return;
    throw new EditRefused(
      [
        {
          path: ["nodePools", index],
          message:
            `${name} belongs to node pool "${String(pool)}", which says what all its nodes are: change the ` +
            "pool instead (lowering its count removes the highest-numbered nodes, after draining them)",
        },
      ],
      409,
    );
  });
}

function itemMap(list: YAMLSeq, index: number): YAMLMap {
  const item = list.items[index];
  if (!isMap(item)) throw new Error("unreachable: indexByName returns map entries");
  return item;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, sortKeys(inner)]),
    );
  }
  return value;
}

function isPlainObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** New lists of plain values are written inline (`[a, b]`), as the shipped stack files write them. */
function createValue(doc: Document, value: Json, flow?: boolean): Node {
  const node = doc.createNode(value);
  visit(node, {
    Seq(_, seq) {
      seq.flow = flow ?? seq.items.every((item) => isScalar(item));
    },
  });
  return node;
}

/**
 * Sets `keys` of `map` to `value`'s entries: unchanged values keep their node (and comments), missing or
 * undefined ones are removed, nested maps are merged the same way.
 */
function mergeKeys(doc: Document, map: YAMLMap, value: JsonObject, keys: readonly string[]): void {
  for (const key of keys) {
    const next = value[key];
    const existing = map.get(key, true);
    if (next === undefined) {
      map.delete(key);
      continue;
    }
    const current: unknown =
      isMap(existing) || isSeq(existing) || isScalar(existing) ? existing.toJSON() : undefined;
    if (existing !== undefined && sameJson(current, next)) continue;
    if (isMap(existing) && isPlainObject(next)) {
      const nestedKeys = [
        ...new Set([
          ...existing.items.map((pair) => String(isScalar(pair.key) ? pair.key.value : pair.key)),
          ...Object.keys(next),
        ]),
      ];
      mergeKeys(doc, existing, next, nestedKeys);
      continue;
    }
    map.set(key, createValue(doc, next, isSeq(existing) ? existing.flow : undefined));
  }
}

/** What a new node's form sets. */
export const NEW_NODE_FIELDS = [
  "name",
  "role",
  "serverType",
  "privateIp",
  "location",
  "volumeSizeGb",
  "labels",
  "taints",
  "deleteProtection",
] as const;

/** What an edit of an existing node may change (name, role, address and location are its identity). */
export const NODE_UPDATE_FIELDS = [
  "labels",
  "taints",
  "serverType",
  "volumeSizeGb",
  "deleteProtection",
] as const;

/** Keeps the named fields, dropping empty ones (an empty field means "use the default"). */
export function pickFields(body: unknown, fields: readonly string[]): JsonObject {
  const result: JsonObject = {};
  if (!isPlainObject(body)) return result;
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null || value === "") continue;
    result[field] = value;
  }
  return result;
}

/**
 * Removes `remove` and appends `add` in one edit, so that the result is validated as a whole: growing the
 * control plane from 3 to 5 passes through no even count, and a failed server is replaced in one step.
 */
export function changeNodes(doc: Document, add: JsonObject[], remove: string[]): EditFocus {
  const list = listOf(doc, "nodes");
  for (const name of remove) removeNode(doc, name);
  const first = list.items.length;
  for (const node of add) list.add(createValue(doc, node));
  return { key: "nodes", indexes: add.map((_, offset) => first + offset) };
}

export function updateNode(
  doc: Document,
  name: string,
  changes: JsonObject,
  keys: readonly string[],
): EditFocus {
  const list = listOf(doc, "nodes");
  if (!list.items.some((item) => entryName(item) === name)) refusePoolNode(doc, name);
  const index = indexByName(list, "nodes", name);
  mergeKeys(doc, itemMap(list, index), changes, keys);
  return { key: "nodes", indexes: [index] };
}

/** Sets a node pool's count: the nodes above it leave (drained), the ones up to it are added. */
export function setPoolCount(doc: Document, name: string, count: number): EditFocus {
  const list = listOf(doc, "nodePools");
  const index = indexByName(list, "nodePools", name);
  if (itemMap(list, index).has("autoscaling"))
    throw new EditRefused(
      [
        {
          path: ["nodePools", index, "count"],
          message:
            "an autoscaled pool has no count: the cluster-autoscaler sizes it; edit autoscaling.min and max",
        },
      ],
      409,
    );
  mergeKeys(doc, itemMap(list, index), { count }, ["count"]);
  return { key: "nodePools", indexes: [index] };
}

/** Removes an entry; a comment written above it moves to whatever follows, so no comment is lost. */
function removeEntry(list: YAMLSeq, key: ListKey, name: string): void {
  const index = indexByName(list, key, name);
  const [removed] = list.items.splice(index, 1);
  const comment = isMap(removed) ? removed.commentBefore : undefined;
  if (!comment) return;
  const next = list.items[index];
  if (isMap(next)) next.commentBefore = next.commentBefore ? `${comment}\n${next.commentBefore}` : comment;
  else list.comment = list.comment ? `${comment}\n${list.comment}` : comment;
}

export function removeNode(doc: Document, name: string): void {
  const list = listOf(doc, "nodes");
  if (!list.items.some((item) => entryName(item) === name)) refusePoolNode(doc, name);
  removeEntry(list, "nodes", name);
}

export function removeTenant(doc: Document, name: string): void {
  removeEntry(listOf(doc, "tenants"), "tenants", name);
}

/** The tenant fields the console edits; others in an entry (hostnames, egressInternet) are left as they are. */
export const TENANT_FIELDS = [
  "name",
  "namespaces",
  "users",
  "quota",
  "limits",
  "podSecurity",
  "priorityClasses",
  "allowFrom",
  "allowDeletion",
] as const;

export function upsertTenant(doc: Document, tenant: JsonObject, existingName?: string): EditFocus {
  const list = listOf(doc, "tenants");
  if (existingName === undefined) {
    const name = tenant.name;
    if (typeof name === "string" && list.items.some((item) => entryName(item) === name)) {
      throw new EditRefused([{ path: ["tenants"], message: `a tenant named "${name}" already exists` }], 409);
    }
    list.add(createValue(doc, tenant));
    return { key: "tenants", indexes: [list.items.length - 1] };
  }
  const index = indexByName(list, "tenants", existingName);
  mergeKeys(doc, itemMap(list, index), tenant, TENANT_FIELDS);
  return { key: "tenants", indexes: [index] };
}
