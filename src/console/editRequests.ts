import type { DeployAction } from "./deploy";
import { HttpError, record } from "./http";
import { NEW_NODE_FIELDS, NODE_UPDATE_FIELDS, pickFields, TENANT_FIELDS, type JsonObject } from "./yamlEdit";

/** What the bodies of the console's write requests mean; a body that means nothing is a 400. */

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === "object" && Object.keys(value).length === 0;
}

/** One node, or {add: [...], remove: [...]} validated as one change. */
export function nodeBatchOf(body: unknown): { add: JsonObject[]; remove: string[] } {
  const given = record(body);
  const add = Array.isArray(given.add)
    ? given.add.map((node) => pickFields(node, NEW_NODE_FIELDS))
    : [pickFields(given, NEW_NODE_FIELDS)];
  const remove = names(given.remove);
  if (add.length === 0 && remove.length === 0) throw new HttpError(400, "nothing to add or remove");
  return { add, remove };
}

/**
 * An update names the fields it changes; null, "" or an empty list removes the field (its default then
 * applies), so a form can clear labels or taints.
 */
export function nodeUpdateOf(body: unknown): { changes: JsonObject; keys: string[] } {
  const given = record(body);
  const keys = NODE_UPDATE_FIELDS.filter((field) => field in given);
  if (keys.length === 0) throw new HttpError(400, `send one of ${NODE_UPDATE_FIELDS.join(", ")}`);
  const cleared = Object.fromEntries(
    Object.entries(given).map(([key, value]) => [key, isEmpty(value) ? null : value]),
  );
  return { changes: pickFields(cleared, keys), keys };
}

export function poolCountOf(body: unknown): number {
  const count = record(body).count;
  // A fraction or a negative count reaches the stack's own rules, which name the key.
  if (typeof count !== "number") throw new HttpError(400, "send count, a number of nodes");
  return count;
}

export function tenantOf(body: unknown): JsonObject {
  return pickFields(record(body).tenant, TENANT_FIELDS);
}

export function deployActionOf(body: unknown): DeployAction {
  const action = record(body).action;
  if (action !== "preview" && action !== "up") throw new HttpError(400, 'action must be "preview" or "up"');
  return action;
}
