import { randomBytes, timingSafeEqual } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { parseDocument } from "yaml";
import { LOCATIONS, SERVER_TYPES } from "../config/catalogue";
import { PROJECT, type ConfigProblem } from "../config/errors";
import { formatIpv4, parseCidr, parseIpv4 } from "../config/ipv4";
import { FIRST_NODE_HOST } from "../config/rules";
import type { StackConfig } from "../config/schema";
import { deploymentOf, etcdQuorum, type LastDeployment } from "../config/transition";
import { buildClusterModel } from "../model/cluster";
import { bundleAssets, renderPage, type Assets } from "./bundle";
import { readCommittedVersion, type CommittedVersion } from "./committed";
import { checkDeployAvailability, DeployRunner, type DeployAvailability, type DeployEvent } from "./deploy";
import { LivePoller, type KubeconfigSource } from "./kube";
import { Planner } from "./planner";
import {
  EditRefused,
  StackStore,
  toConsoleProblems,
  validateStackText,
  type ConsoleProblem,
  type EditResult,
} from "./stackStore";
import {
  addNode,
  pickFields,
  removeNode,
  TENANT_FIELDS,
  updateNode,
  upsertTenant,
  type JsonObject,
} from "./yamlEdit";

export interface ConsoleOptions {
  stack: string;
  projectDir: string;
  /** Defaults to Pulumi.<stack>.yaml in projectDir. */
  stackFile?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  kubeconfig: KubeconfigSource;
  livePollMs?: number;
  /** Skip probing the Pulumi CLI (tests); the deploy buttons then show this reason. */
  deployAvailability?: DeployAvailability;
}

export interface ConsoleServer {
  url: string;
  csrfToken: string;
  close(): Promise<void>;
}

const MAX_BODY = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function send(response: http.ServerResponse, status: number, body: string, type: string): void {
  response.writeHead(status, {
    "Content-Type": type,
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Content-Security-Policy":
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
  response.end(body);
}

function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), "application/json; charset=utf-8");
}

function readBody(request: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, "request body too large"));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      if (text === "") return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, "the request body is not JSON"));
      }
    });
    request.on("error", reject);
  });
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The raw entries of a list in the stack file, keeping only the named fields (no secrets live there). */
function rawEntries(text: string, key: string, fields: readonly string[]): JsonObject[] {
  const config = parseDocument(text).toJSON() as { config?: Record<string, unknown> } | null;
  const list = config?.config?.[`${PROJECT}:${key}`] ?? config?.config?.[key];
  return Array.isArray(list) ? list.map((entry) => pickFields(entry, fields)) : [];
}

function nextFreeIp(config: StackConfig): string | undefined {
  const subnet = parseCidr(config.nodeSubnetCidr);
  if (typeof subnet === "string") return undefined;
  const used = config.nodes.map((node) => parseIpv4(node.privateIp ?? "") ?? 0);
  const next = Math.max(subnet.base + FIRST_NODE_HOST - 1, ...used) + 1;
  return next <= subnet.base + subnet.size - 2 ? formatIpv4(next) : undefined;
}

export async function startConsoleServer(options: ConsoleOptions): Promise<ConsoleServer> {
  const projectDir = path.resolve(options.projectDir);
  const stackFile = path.resolve(options.stackFile ?? path.join(projectDir, `Pulumi.${options.stack}.yaml`));
  const host = options.host ?? "127.0.0.1";
  const csrfToken = randomBytes(32).toString("hex");
  const assets: Assets = await bundleAssets();

  const startText = readFileSync(stackFile, "utf8");
  const committed: CommittedVersion = await readCommittedVersion(stackFile, startText);
  const committedValidation = validateStackText(committed.text, projectDir);
  // The committed stack file stands for the last deployment: an edit obeys the rules `pulumi up` applies.
  const committedDeployment: LastDeployment | undefined = committedValidation.ok
    ? deploymentOf(committedValidation.config)
    : undefined;
  const store = new StackStore(stackFile, projectDir, () => committedDeployment);
  const planner = new Planner(options.stack);
  const poller = new LivePoller(options.kubeconfig, options.livePollMs ?? 5000);
  poller.start();
  const deployAvailability = options.deployAvailability ?? (await checkDeployAvailability(projectDir));
  const deployer = new DeployRunner(options.stack, projectDir);

  let origin = "";
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  function state() {
    const validation = store.validateCurrent();
    const text = store.readText();
    const base = {
      stack: options.stack,
      stackFile: path.basename(stackFile),
      committedSource: committed.source,
      catalogue: {
        serverTypes: Object.entries(SERVER_TYPES).map(([name, type]) => ({ name, ...type })),
        locations: LOCATIONS,
      },
      rawTenants: rawEntries(text, "tenants", TENANT_FIELDS),
    };
    if (!validation.ok) return { ...base, valid: false, problems: validation.problems };
    const config = validation.config;
    const model = buildClusterModel(config);
    const committedByName = new Map(
      committedValidation.ok ? committedValidation.config.nodes.map((node) => [node.name, node]) : [],
    );
    const controlPlane =
      committedDeployment?.nodes.filter((node) => node.role === "control-plane").length ?? 0;
    return {
      ...base,
      valid: true,
      problems: [] as ConsoleProblem[],
      clusterName: config.clusterName,
      location: config.location,
      nodeSubnetCidr: config.nodeSubnetCidr,
      nextFreeIp: nextFreeIp(config),
      committedControlPlane: controlPlane,
      etcdQuorum: controlPlane > 0 ? etcdQuorum(controlPlane) : 0,
      nodes: model.nodes.map((node, index) => {
        const before = committedByName.get(node.name);
        return {
          name: node.name,
          serverName: node.serverName,
          role: node.role,
          serverType: node.serverType,
          location: node.location,
          privateIp: node.privateIp,
          volumeSizeGb: node.volumeSizeGb ?? null,
          labels: config.nodes[index].labels ?? {},
          deleteProtection: node.deleteProtection,
          deployed: before !== undefined,
          deployedDeleteProtection: before
            ? (before.deleteProtection ?? before.role === "control-plane")
            : false,
        };
      }),
      loadBalancers: model.loadBalancers,
      pool: model.pool,
      tenants: model.tenants.map((tenant, index) => ({
        name: tenant.name,
        namespaces: tenant.namespaces,
        users: config.tenants[index].users,
        quota: config.tenants[index].quota,
        podSecurity: config.tenants[index].podSecurity,
      })),
    };
  }

  async function changes() {
    const current = store.validateCurrent();
    if (!current.ok) return { ok: false, reason: "the stack file is not valid", problems: current.problems };
    if (!committedValidation.ok) {
      return {
        ok: false,
        reason: `the committed version (${committed.source}) is not valid, so there is nothing to compare with`,
        problems: committedValidation.problems,
      };
    }
    const diff = await planner.diff(
      { text: committed.text, config: committedValidation.config },
      { text: store.readText(), config: current.config },
    );
    return { ok: true, committedSource: committed.source, ...diff };
  }

  function editResponse(response: http.ServerResponse, result: EditResult): void {
    if (result.ok) sendJson(response, 200, { ok: true, state: state() });
    else sendJson(response, result.status, { ok: false, problems: result.problems });
  }

  /** Refuses removing a control-plane node whose server is still delete-protected on Hetzner. */
  function protectionProblems(name: string): ConfigProblem[] {
    if (!committedValidation.ok) return [];
    const node = committedValidation.config.nodes.find((entry) => entry.name === name);
    if (!node || node.role !== "control-plane" || node.deleteProtection === false) return [];
    return [
      {
        path: ["nodes"],
        message: `${name} is a deployed control-plane node with delete protection: set deleteProtection: false and apply (pulumi up) before removing it`,
      },
    ];
  }

  async function handleWrite(
    request: http.IncomingMessage,
    response: http.ServerResponse,
    url: URL,
  ): Promise<void> {
    const method = request.method ?? "";
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    if (method === "POST" && url.pathname === "/api/nodes") {
      const node = pickFields(await readBody(request), [
        "name",
        "role",
        "serverType",
        "privateIp",
        "location",
        "volumeSizeGb",
      ]);
      return editResponse(response, await store.edit((doc) => addNode(doc, node)));
    }
    if (parts[0] === "api" && parts[1] === "nodes" && parts.length === 3) {
      const name = parts[2];
      if (method === "PUT") {
        const body = await readBody(request);
        const changes = pickFields(body, ["labels", "deleteProtection"]);
        const keys = Object.keys(changes).length > 0 ? Object.keys(changes) : ["labels"];
        return editResponse(response, await store.edit((doc) => updateNode(doc, name, changes, keys)));
      }
      if (method === "DELETE") {
        const result = await store.edit((doc) => {
          removeNode(doc, name);
          return undefined;
        }, protectionProblems(name));
        return editResponse(response, result);
      }
    }
    if (method === "POST" && url.pathname === "/api/tenants") {
      const tenant = pickFields(record(await readBody(request)).tenant, TENANT_FIELDS);
      return editResponse(response, await store.edit((doc) => upsertTenant(doc, tenant)));
    }
    if (method === "PUT" && parts[0] === "api" && parts[1] === "tenants" && parts.length === 3) {
      const tenant = pickFields(record(await readBody(request)).tenant, TENANT_FIELDS);
      tenant.name = parts[2];
      return editResponse(response, await store.edit((doc) => upsertTenant(doc, tenant, parts[2])));
    }
    if (method === "POST" && url.pathname === "/api/deploy") {
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
    throw new HttpError(404, "not found");
  }

  function streamDeploy(response: http.ServerResponse, id: string): void {
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

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    // DNS rebinding: only requests addressed to the console itself.
    if (!allowedHosts.has(request.headers.host ?? "")) throw new HttpError(403, "unexpected Host header");
    const url = new URL(request.url ?? "/", origin);
    const method = request.method ?? "GET";
    if (method === "GET" || method === "HEAD") {
      if (url.pathname === "/")
        return send(response, 200, renderPage(csrfToken, options.stack), "text/html; charset=utf-8");
      if (url.pathname === "/app.js")
        return send(response, 200, assets.script, "text/javascript; charset=utf-8");
      if (url.pathname === "/app.css") return send(response, 200, assets.styles, "text/css; charset=utf-8");
      if (url.pathname === "/api/state") return sendJson(response, 200, state());
      if (url.pathname === "/api/live") return sendJson(response, 200, poller.latest());
      if (url.pathname === "/api/changes") return sendJson(response, 200, await changes());
      if (url.pathname === "/api/deploy") return sendJson(response, 200, deployAvailability);
      const events = /^\/api\/deploy\/([0-9a-f]+)\/events$/.exec(url.pathname);
      if (events) return streamDeploy(response, events[1]);
      throw new HttpError(404, "not found");
    }
    if (!["POST", "PUT", "DELETE"].includes(method)) throw new HttpError(405, "method not allowed");
    const requestOrigin = request.headers.origin;
    if (requestOrigin !== undefined && !allowedOrigins.has(requestOrigin))
      throw new HttpError(403, "cross-origin request refused");
    const token = request.headers["x-csrf-token"];
    if (!sameToken(typeof token === "string" ? token : undefined, csrfToken))
      throw new HttpError(403, "missing or wrong CSRF token");
    if (method !== "DELETE" && !(request.headers["content-type"] ?? "").startsWith("application/json")) {
      throw new HttpError(415, "send JSON (Content-Type: application/json)");
    }
    await handleWrite(request, response, url);
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.end();
      if (error instanceof HttpError)
        return sendJson(response, error.status, { ok: false, error: error.message });
      if (error instanceof EditRefused)
        return sendJson(response, error.status, { ok: false, problems: toConsoleProblems(error.problems) });
      process.stderr.write(
        `console: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      sendJson(response, 500, { ok: false, error: "internal error (see the console's terminal)" });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 7700, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const hostPart = host.includes(":") ? `[${host}]` : host;
  origin = `http://${hostPart}:${port}`;
  allowedHosts = new Set([`${hostPart}:${port}`]);
  if (host === "127.0.0.1" || host === "::1") allowedHosts.add(`localhost:${port}`);
  allowedOrigins = new Set([...allowedHosts].map((allowed) => `http://${allowed}`));

  return {
    url: origin,
    csrfToken,
    close: () =>
      new Promise<void>((resolve) => {
        poller.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}
