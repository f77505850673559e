import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { parseQuantity } from "../config/quantity";

/**
 * A minimal read-only Kubernetes client for the console's live view: the kubeconfig's current context,
 * bearer token or client certificate, three GET requests. Credentials never leave this module.
 */

export interface KubeConnection {
  server: URL;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  token?: string;
  basicAuth?: string;
  insecureSkipTlsVerify: boolean;
}

type Loose = Record<string, unknown>;

function record(value: unknown): Loose {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Loose) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}

function named(list: unknown, name: string | undefined, field: string): Loose | undefined {
  if (!Array.isArray(list)) return undefined;
  const entry = list.map(record).find((item) => item.name === name);
  return entry ? record(entry[field]) : undefined;
}

/** Reads inline `*-data` (base64) or the file a kubeconfig names (relative to the kubeconfig's directory). */
function material(section: Loose, key: string, baseDir: string): Buffer | undefined {
  const data = text(section[`${key}-data`]);
  if (data) return Buffer.from(data, "base64");
  const file = text(section[key]);
  return file ? readFileSync(path.resolve(baseDir, file)) : undefined;
}

/** Throws an Error whose message says, for the page, why the kubeconfig cannot be used. */
export function parseKubeconfig(content: string, baseDir = process.cwd()): KubeConnection {
  const document = record(parse(content));
  const contextName = text(document["current-context"]);
  const context = named(document.contexts, contextName, "context");
  if (!context)
    throw new Error(`the kubeconfig has no current context${contextName ? ` "${contextName}"` : ""}`);
  const cluster = named(document.clusters, text(context.cluster), "cluster");
  const server = cluster && text(cluster.server);
  if (!cluster || !server)
    throw new Error(`the kubeconfig's cluster "${String(context.cluster)}" has no server`);
  const user = named(document.users, text(context.user), "user") ?? {};
  if (user.exec || user["auth-provider"]) {
    throw new Error(
      "the kubeconfig uses a credential plugin (exec/auth-provider), which the console does not run",
    );
  }
  const tokenFile = text(user.tokenFile) ?? text(user["token-file"]);
  const username = text(user.username);
  return {
    server: new URL(server),
    ca: material(cluster, "certificate-authority", baseDir),
    cert: material(user, "client-certificate", baseDir),
    key: material(user, "client-key", baseDir),
    token:
      text(user.token) ??
      (tokenFile ? readFileSync(path.resolve(baseDir, tokenFile), "utf8").trim() : undefined),
    basicAuth: username ? `${username}:${text(user.password) ?? ""}` : undefined,
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  };
}

export class KubeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function kubeGet(connection: KubeConnection, apiPath: string, timeoutMs = 5000): Promise<unknown> {
  const url = new URL(apiPath, connection.server);
  const headers: Record<string, string> = { Accept: "application/json" };
  if (connection.token) headers.Authorization = `Bearer ${connection.token}`;
  else if (connection.basicAuth)
    headers.Authorization = `Basic ${Buffer.from(connection.basicAuth).toString("base64")}`;
  const secure = url.protocol === "https:";
  return new Promise((resolve, reject) => {
    const request = (secure ? https : http).request(
      url,
      {
        method: "GET",
        headers,
        timeout: timeoutMs,
        ...(secure
          ? {
              ca: connection.ca,
              cert: connection.cert,
              key: connection.key,
              rejectUnauthorized: !connection.insecureSkipTlsVerify,
            }
          : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const status = response.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            reject(
              new KubeHttpError(
                status,
                `GET ${url.pathname} answered HTTP ${status} ${response.statusMessage ?? ""}`.trim(),
              ),
            );
            return;
          }
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
          } catch {
            reject(new Error(`GET ${url.pathname} did not answer JSON`));
          }
        });
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`GET ${url.pathname} timed out after ${timeoutMs} ms`)),
    );
    request.on("error", reject);
    request.end();
  });
}

export interface LiveNode {
  name: string;
  ready: boolean;
  /** The Ready condition's reason or "Ready". */
  status: string;
  kubeletVersion?: string;
  cpu?: { usedCores: number; capacityCores: number };
  memory?: { usedBytes: number; capacityBytes: number };
}

export interface LiveQuota {
  tenant: string;
  namespace: string;
  name: string;
  hard: Record<string, string>;
  used: Record<string, string>;
}

export type LiveStatus =
  | { connected: false; reason: string; checkedAt: string }
  | {
      connected: true;
      /** Host of the API server (not secret; the credentials stay on the server). */
      server: string;
      checkedAt: string;
      nodes: LiveNode[];
      metrics: { available: boolean; reason?: string };
      quotas: LiveQuota[];
      quotaReason?: string;
    };

const TENANT_LABEL = "hetzner-k8s.io/tenant";

/** Kubernetes quantities including the metrics API's nano- and microcores. */
export function quantityValue(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^([0-9.]+)(n|u)$/.exec(value);
  if (match) return Number(match[1]) * (match[2] === "n" ? 1e-9 : 1e-6);
  return parseQuantity(value);
}

function items(list: unknown): Loose[] {
  const value = record(list).items;
  return Array.isArray(value) ? value.map(record) : [];
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value)).map(([key, inner]) => [key, String(inner)]));
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

/** One look at the cluster: nodes (required), node metrics and tenant quotas (optional). */
export async function readLiveStatus(connection: KubeConnection): Promise<LiveStatus> {
  const checkedAt = new Date().toISOString();
  let nodeList: unknown;
  try {
    nodeList = await kubeGet(connection, "/api/v1/nodes");
  } catch (error) {
    return {
      connected: false,
      reason: `the Kubernetes API at ${connection.server.host} is not reachable: ${errorText(error)}`,
      checkedAt,
    };
  }
  const usage = new Map<string, { cpu?: number; memory?: number }>();
  let metrics: { available: boolean; reason?: string } = { available: true };
  try {
    for (const item of items(await kubeGet(connection, "/apis/metrics.k8s.io/v1beta1/nodes"))) {
      const resources = record(item.usage);
      usage.set(String(record(item.metadata).name), {
        cpu: quantityValue(resources.cpu),
        memory: quantityValue(resources.memory),
      });
    }
  } catch (error) {
    metrics = { available: false, reason: `node metrics unavailable: ${errorText(error)}` };
  }
  const nodes = items(nodeList).map((item): LiveNode => {
    const name = String(record(item.metadata).name);
    const status = record(item.status);
    const conditions = Array.isArray(status.conditions) ? status.conditions.map(record) : [];
    const ready = conditions.find((condition) => condition.type === "Ready");
    const capacity = record(status.allocatable ?? status.capacity);
    const used = usage.get(name);
    const capacityCores = quantityValue(capacity.cpu);
    const capacityBytes = quantityValue(capacity.memory);
    return {
      name,
      ready: ready?.status === "True",
      status: ready ? (ready.status === "True" ? "Ready" : String(ready.reason ?? "NotReady")) : "Unknown",
      kubeletVersion: text(record(status.nodeInfo).kubeletVersion),
      cpu: used?.cpu !== undefined && capacityCores ? { usedCores: used.cpu, capacityCores } : undefined,
      memory:
        used?.memory !== undefined && capacityBytes ? { usedBytes: used.memory, capacityBytes } : undefined,
    };
  });
  let quotas: LiveQuota[] = [];
  let quotaReason: string | undefined;
  try {
    const list = await kubeGet(
      connection,
      `/api/v1/resourcequotas?labelSelector=${encodeURIComponent(TENANT_LABEL)}`,
    );
    quotas = items(list).map((item) => {
      const metadata = record(item.metadata);
      const status = record(item.status);
      return {
        tenant: String(record(metadata.labels)[TENANT_LABEL] ?? ""),
        namespace: String(metadata.namespace ?? ""),
        name: String(metadata.name ?? ""),
        hard: stringMap(status.hard ?? record(item.spec).hard),
        used: stringMap(status.used),
      };
    });
  } catch (error) {
    quotaReason = `tenant quotas unavailable: ${errorText(error)}`;
  }
  return { connected: true, server: connection.server.host, checkedAt, nodes, metrics, quotas, quotaReason };
}

const run = promisify(execFile);

export type KubeconfigSource =
  | { kind: "file"; file: string }
  | { kind: "pulumi"; stack: string; projectDir: string }
  | { kind: "none"; reason: string };

function onPath(command: string): boolean {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((directory) => directory !== "" && existsSync(path.join(directory, command)));
}

export function pulumiOnPath(): boolean {
  return onPath("pulumi");
}

/** --kubeconfig, else KUBECONFIG (its first existing file), else the stack output when the Pulumi CLI exists. */
export function chooseKubeconfigSource(
  option: string | undefined,
  env: string | undefined,
  stack: string,
  projectDir: string,
): KubeconfigSource {
  if (option) return { kind: "file", file: path.resolve(option) };
  const fromEnv = (env ?? "").split(path.delimiter).filter((file) => file !== "");
  if (fromEnv.length > 0)
    return { kind: "file", file: fromEnv.find((file) => existsSync(file)) ?? fromEnv[0] };
  if (pulumiOnPath()) return { kind: "pulumi", stack, projectDir };
  return {
    kind: "none",
    reason:
      "no kubeconfig: set KUBECONFIG or pass --kubeconfig (the Pulumi CLI is not on PATH to read the stack's kubeconfig output)",
  };
}

async function loadConnection(source: KubeconfigSource): Promise<KubeConnection> {
  if (source.kind === "none") throw new Error(source.reason);
  if (source.kind === "file") {
    let content: string;
    try {
      content = readFileSync(source.file, "utf8");
    } catch (error) {
      throw new Error(`cannot read the kubeconfig ${source.file}: ${errorText(error)}`, { cause: error });
    }
    return parseKubeconfig(content, path.dirname(source.file));
  }
  try {
    const { stdout } = await run(
      "pulumi",
      ["stack", "output", "kubeconfig", "--show-secrets", "--stack", source.stack],
      {
        cwd: source.projectDir,
        timeout: 60_000,
        maxBuffer: 4 * 1024 * 1024,
      },
    );
    return parseKubeconfig(stdout, source.projectDir);
  } catch (error) {
    throw new Error(
      `could not read the stack's kubeconfig output with the Pulumi CLI: ${errorText(error).split("\n")[0]}`,
      { cause: error },
    );
  }
}

/** Polls the cluster every `intervalMs` in the background; the page reads the latest status. */
export class LivePoller {
  private status: LiveStatus = {
    connected: false,
    reason: "checking the cluster…",
    checkedAt: new Date().toISOString(),
  };
  private timer: NodeJS.Timeout | undefined;
  private connection: Promise<KubeConnection> | undefined;
  private stopped = false;

  constructor(
    private readonly source: KubeconfigSource,
    private readonly intervalMs = 5000,
  ) {}

  start(): void {
    void this.tick();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  latest(): LiveStatus {
    return this.status;
  }

  private async tick(): Promise<void> {
    this.status = await this.poll();
    if (!this.stopped) {
      this.timer = setTimeout(() => void this.tick(), this.intervalMs);
      this.timer.unref();
    }
  }

  private async poll(): Promise<LiveStatus> {
    const checkedAt = new Date().toISOString();
    if (this.source.kind === "none") return { connected: false, reason: this.source.reason, checkedAt };
    this.connection ??= loadConnection(this.source);
    let connection: KubeConnection;
    try {
      connection = await this.connection;
    } catch (error) {
      // Try again next time: the file (or the stack output) may appear later.
      this.connection = undefined;
      return { connected: false, reason: errorText(error), checkedAt };
    }
    return readLiveStatus(connection);
  }
}
