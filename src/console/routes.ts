import type * as http from "node:http";
import type { DeployRunner } from "./deploy";
import type { DeployAvailability } from "./deploy";
import { HttpError, readBody, record, sendJson } from "./http";
import type { EditResult, StackStore } from "./stackStore";
import {
  changeNodes,
  NEW_NODE_FIELDS,
  NODE_UPDATE_FIELDS,
  pickFields,
  removeNode,
  removeTenant,
  setPoolCount,
  TENANT_FIELDS,
  updateNode,
  upsertTenant,
  type JsonObject,
} from "./yamlEdit";

/** The console's write requests: each edits the stack file through the store, or starts a deploy. */

export interface WriteContext {
  store: StackStore;
  committedText: string;
  deployer: DeployRunner;
  deployAvailability: DeployAvailability;
  /** The page's state after a write. */
  state: () => unknown;
}

function respond(response: http.ServerResponse, context: WriteContext, result: EditResult): void {
  if (result.ok) sendJson(response, 200, { ok: true, changed: result.changed, state: context.state() });
  else sendJson(response, result.status, { ok: false, problems: result.problems });
}

function names(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

function isEmpty(value: unknown): boolean {
  if (Array.isArray(value)) return value.length === 0;
  return value !== null && typeof value === "object" && Object.keys(value).length === 0;
}

/**
 * An update names the fields it changes; null, "" or an empty list removes the field (its default then
 * applies), so a form can clear labels or taints.
 */
function updateOf(body: unknown): { changes: JsonObject; keys: string[] } {
  const given = record(body);
  const keys = NODE_UPDATE_FIELDS.filter((field) => field in given);
  const cleared = Object.fromEntries(
    Object.entries(given).map(([key, value]) => [key, isEmpty(value) ? null : value]),
  );
  return { changes: pickFields(cleared, keys), keys };
}

export async function handleWrite(
  request: http.IncomingMessage,
  response: http.ServerResponse,
  url: URL,
  context: WriteContext,
): Promise<void> {
  const { store } = context;
  const method = request.method ?? "";
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const route = `${method} /${parts.slice(0, 2).join("/")}${parts.length > 2 ? "/:name" : ""}`;
  const name = parts[2] ?? "";
  const dryRun = url.searchParams.get("dryRun") === "1";
  switch (route) {
    case "POST /api/nodes": {
      // One node, or {add: [...], remove: [...]} validated as one change.
      const body = record(await readBody(request));
      const add = Array.isArray(body.add)
        ? body.add.map((node) => pickFields(node, NEW_NODE_FIELDS))
        : [pickFields(body, NEW_NODE_FIELDS)];
      const remove = names(body.remove);
      if (add.length === 0 && remove.length === 0) throw new HttpError(400, "nothing to add or remove");
      return respond(response, context, await store.edit((doc) => changeNodes(doc, add, remove), { dryRun }));
    }
    case "PUT /api/nodes/:name": {
      const { changes, keys } = updateOf(await readBody(request));
      if (keys.length === 0) throw new HttpError(400, `send one of ${NODE_UPDATE_FIELDS.join(", ")}`);
      return respond(
        response,
        context,
        await store.edit((doc) => updateNode(doc, name, changes, keys), { dryRun }),
      );
    }
    case "DELETE /api/nodes/:name":
      return respond(
        response,
        context,
        await store.edit((doc) => (removeNode(doc, name), undefined), { dryRun }),
      );
    case "PUT /api/nodePools/:name": {
      const count = record(await readBody(request)).count;
      // A fraction or a negative count reaches the stack's own rules, which name the key.
      if (typeof count !== "number") throw new HttpError(400, "send count, a number of nodes");
      return respond(
        response,
        context,
        await store.edit((doc) => setPoolCount(doc, name, count), { dryRun }),
      );
    }
    case "POST /api/tenants": {
      const tenant = pickFields(record(await readBody(request)).tenant, TENANT_FIELDS);
      return respond(response, context, await store.edit((doc) => upsertTenant(doc, tenant), { dryRun }));
    }
    case "PUT /api/tenants/:name": {
      const tenant = pickFields(record(await readBody(request)).tenant, TENANT_FIELDS);
      tenant.name = name;
      return respond(
        response,
        context,
        await store.edit((doc) => upsertTenant(doc, tenant, name), { dryRun }),
      );
    }
    case "DELETE /api/tenants/:name":
      return respond(
        response,
        context,
        await store.edit((doc) => (removeTenant(doc, name), undefined), { dryRun }),
      );
    case "POST /api/undo":
      return respond(response, context, await store.undo());
    case "POST /api/discard":
      return respond(response, context, await store.restore(context.committedText));
    case "POST /api/deploy": {
      const { deployAvailability, deployer } = context;
      if (!deployAvailability.available)
        throw new HttpError(409, deployAvailability.reason ?? "deploys are unavailable");
      const action = record(await readBody(request)).action;
      if (action !== "preview" && action !== "up")
        throw new HttpError(400, 'action must be "preview" or "up"');
      if (!store.validateCurrent().ok) throw new HttpError(409, "the stack file is not valid; fix it first");
      const job = deployer.start(action);
      if (!job) throw new HttpError(409, "a preview or deployment is already running");
      return sendJson(response, 202, { ok: true, jobId: job.id });
    }
    default:
      throw new HttpError(404, "not found");
  }
}
