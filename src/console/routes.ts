import type * as http from "node:http";
import type { Document } from "yaml";
import type { Assets } from "./bundle";
import type {
  ChangesView,
  DeployAvailability,
  DeployEvent,
  DeployStarted,
  LiveView,
  StateView,
  WriteResult,
} from "./contract";
import type { DeployRunner } from "./deploy";
import { deployActionOf, nodeBatchOf, nodeUpdateOf, poolCountOf, tenantOf } from "./editRequests";
import { HttpError, readBody, send, sendJson } from "./http";
import type { Route, RouteCall } from "./router";
import type { EditResult, StackStore } from "./stackStore";
import type { EditFocus } from "./validation";
import { changeNodes, removeNode, removeTenant, setPoolCount, updateNode, upsertTenant } from "./yamlEdit";

/** Every request the console answers: the page and its assets, the views, the edits and the deploys. */

export interface RouteContext {
  store: StackStore;
  committedText: string;
  deployer: DeployRunner;
  deployAvailability: DeployAvailability;
  assets: Assets;
  page: () => string;
  state: () => StateView;
  live: () => LiveView;
  changes: () => Promise<ChangesView>;
  /** Reads the stack's outputs again (after a pulumi up elsewhere): the last deployment. */
  rereadLastDeployment: () => Promise<void>;
}

/** A run's output as server-sent events: what was said so far, then the rest as it comes. */
function streamDeploy(response: http.ServerResponse, deployer: DeployRunner, id: string): void {
  const job = deployer.get(id);
  if (!job) throw new HttpError(404, "no such run");
  response.writeHead(200, {
    "Content-Type": "text/event-stream; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
  });
  const write = (event: DeployEvent) =>
    response.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  job.events.forEach(write);
  if (job.finished) return void response.end();
  const listener = (event: DeployEvent) => {
    write(event);
    if (event.type === "done") response.end();
  };
  job.listeners.add(listener);
  response.on("close", () => job.listeners.delete(listener));
}

export function consoleRoutes(context: RouteContext): Route[] {
  const { store, deployer, deployAvailability } = context;
  const respond = (response: http.ServerResponse, result: EditResult) =>
    result.ok
      ? sendJson(response, 200, {
          ok: true,
          changed: result.changed,
          state: context.state(),
        } satisfies WriteResult)
      : sendJson(response, result.status, { ok: false, problems: result.problems } satisfies WriteResult);
  /** An edit of the stack file; `?dryRun=1` only says whether it would be accepted. */
  const edit = async ({ response, url }: RouteCall, change: (doc: Document) => EditFocus | undefined) =>
    respond(response, await store.edit(change, { dryRun: url.searchParams.get("dryRun") === "1" }));
  const body = ({ request }: RouteCall) => readBody(request);

  return [
    {
      method: "GET",
      path: "/",
      handle: ({ response }) => send(response, 200, context.page(), "text/html; charset=utf-8"),
    },
    {
      method: "GET",
      path: "/app.js",
      handle: ({ response }) => send(response, 200, context.assets.script, "text/javascript; charset=utf-8"),
    },
    {
      method: "GET",
      path: "/app.css",
      handle: ({ response }) => send(response, 200, context.assets.styles, "text/css; charset=utf-8"),
    },
    { method: "GET", path: "/api/state", handle: ({ response }) => sendJson(response, 200, context.state()) },
    { method: "GET", path: "/api/live", handle: ({ response }) => sendJson(response, 200, context.live()) },
    {
      method: "GET",
      path: "/api/changes",
      handle: async ({ response }) => sendJson(response, 200, await context.changes()),
    },
    {
      method: "GET",
      path: "/api/deploy",
      handle: ({ response }) => sendJson(response, 200, deployAvailability),
    },
    {
      method: "GET",
      path: "/api/deploy/:id([0-9a-f]+)/events",
      handle: ({ response, params }) => streamDeploy(response, deployer, params.id),
    },
    {
      method: "POST",
      path: "/api/last-deployment",
      handle: async ({ response }) => {
        await context.rereadLastDeployment();
        sendJson(response, 200, { ok: true, state: context.state() } satisfies WriteResult);
      },
    },
    {
      method: "POST",
      path: "/api/nodes",
      handle: async (call) => {
        const { add, remove } = nodeBatchOf(await body(call));
        return edit(call, (doc) => changeNodes(doc, add, remove));
      },
    },
    {
      method: "PUT",
      path: "/api/nodes/:name",
      handle: async (call) => {
        const { changes, keys } = nodeUpdateOf(await body(call));
        return edit(call, (doc) => updateNode(doc, call.params.name, changes, keys));
      },
    },
    {
      method: "DELETE",
      path: "/api/nodes/:name",
      handle: (call) => edit(call, (doc) => (removeNode(doc, call.params.name), undefined)),
    },
    {
      method: "PUT",
      path: "/api/nodePools/:name",
      handle: async (call) => {
        const count = poolCountOf(await body(call));
        return edit(call, (doc) => setPoolCount(doc, call.params.name, count));
      },
    },
    {
      method: "POST",
      path: "/api/tenants",
      handle: async (call) => {
        const tenant = tenantOf(await body(call));
        return edit(call, (doc) => upsertTenant(doc, tenant));
      },
    },
    {
      method: "PUT",
      path: "/api/tenants/:name",
      handle: async (call) => {
        const tenant = { ...tenantOf(await body(call)), name: call.params.name };
        return edit(call, (doc) => upsertTenant(doc, tenant, call.params.name));
      },
    },
    {
      method: "DELETE",
      path: "/api/tenants/:name",
      handle: (call) => edit(call, (doc) => (removeTenant(doc, call.params.name), undefined)),
    },
    {
      method: "POST",
      path: "/api/undo",
      handle: async ({ response }) => respond(response, await store.undo()),
    },
    {
      method: "POST",
      path: "/api/discard",
      handle: async ({ response }) => respond(response, await store.restore(context.committedText)),
    },
    {
      method: "POST",
      path: "/api/deploy",
      handle: async (call) => {
        if (!deployAvailability.available)
          throw new HttpError(409, deployAvailability.reason ?? "deploys are unavailable");
        const action = deployActionOf(await body(call));
        if (!store.validateCurrent().ok)
          throw new HttpError(409, "the stack file is not valid; fix it first");
        const job = deployer.start(action);
        if (!job) throw new HttpError(409, "a preview or deployment is already running");
        sendJson(call.response, 202, { ok: true, jobId: job.id } satisfies DeployStarted);
      },
    },
  ];
}
