import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { ConfigError } from "../config/errors";
import { runningServersOf } from "../config/lastDeployment";
import { bundleAssets, renderPage, type Assets } from "./bundle";
import { readCommittedVersion } from "./committed";
import type { ChangesView, DeployAvailability, LiveView, StateView, WriteRefused } from "./contract";
import { checkDeployAvailability, DeployRunner } from "./deploy";
import { checkHost, checkWrite, HttpError, sendJson, type Guards } from "./http";
import type { KubeconfigSource } from "./kube/kubeconfig";
import { LivePoller } from "./kube/poller";
import {
  pulumiStackOutputs,
  readKnownDeployment,
  type KnownDeployment,
  type StackOutputsReader,
} from "./knownDeployment";
import { Planner } from "./planner";
import { isWrite, methodOf, routeTable } from "./router";
import { consoleRoutes } from "./routes";
import { compareLive } from "./status";
import { EditRefused, StackStore } from "./stackStore";
import { readRawStackText, toConsoleProblems, type RawStack } from "./validation";
import { stateView, type CommittedStack, type PriceOf } from "./views";
import { tryLoadStack, type LoadedStack } from "../stack";

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
  /** How to read the stack's outputs, the last deployment (default: the Pulumi CLI; tests inject their own). */
  stackOutputs?: StackOutputsReader;
  /** Prices of server types, when known (see views.ts). */
  priceOf?: PriceOf;
}

export interface ConsoleServer {
  url: string;
  csrfToken: string;
  close(): Promise<void>;
}

/** The committed stack as the last deployment reads it: its servers exist, so a retired type is no error. */
function committedStack(stack: RawStack): LoadedStack | undefined {
  const result = tryLoadStack(stack, { running: runningServersOf(stack.raw) });
  return result.ok ? result.stack : undefined;
}

/** The committed text as stack config; unreadable YAML reads as no config, which the last deployment reports. */
function readCommittedStack(text: string, projectDir: string): RawStack {
  try {
    return readRawStackText(text, projectDir);
  } catch (error) {
    if (error instanceof ConfigError) return { raw: {}, secretKeys: new Set() };
    throw error;
  }
}

export async function startConsoleServer(options: ConsoleOptions): Promise<ConsoleServer> {
  const projectDir = path.resolve(options.projectDir);
  const stackFile = path.resolve(options.stackFile ?? path.join(projectDir, `Pulumi.${options.stack}.yaml`));
  const host = options.host ?? "127.0.0.1";
  const guards: Guards = {
    allowedHosts: new Set(),
    allowedOrigins: new Set(),
    csrfToken: randomBytes(32).toString("hex"),
  };
  const assets: Assets = await bundleAssets();

  const version = await readCommittedVersion(stackFile, readFileSync(stackFile, "utf8"));
  const committedRaw = readCommittedStack(version.text, projectDir);
  const committed: CommittedStack = {
    ...version,
    stack: committedRaw,
    loaded: committedStack(committedRaw),
  };
  const readOutputs = options.stackOutputs ?? pulumiStackOutputs(options.stack, projectDir);
  let known: KnownDeployment = await readKnownDeployment(readOutputs, committed);
  const refreshKnown = async () => {
    known = await readKnownDeployment(readOutputs, committed);
  };

  const store = new StackStore(stackFile, projectDir, () => known.deployment);
  const planner = new Planner(options.stack);
  const poller = new LivePoller(options.kubeconfig, options.livePollMs ?? 5000);
  poller.start();
  const deployAvailability = options.deployAvailability ?? (await checkDeployAvailability(projectDir));
  // After a run the outputs may have changed: they are the last deployment every later edit is checked against.
  const deployer = new DeployRunner(
    options.stack,
    projectDir,
    () => void refreshKnown().catch(() => undefined),
  );

  const state = (): StateView =>
    stateView({
      stack: options.stack,
      stackFile: path.basename(stackFile),
      store,
      committed,
      known: () => known,
      priceOf: options.priceOf,
    });

  function live(): LiveView {
    const status = poller.latest();
    const current = store.validateCurrent();
    const fileNodes = current.ok ? current.loaded.config.nodes.map((node) => node.name) : [];
    const clusterName = current.ok
      ? current.loaded.config.clusterName
      : (committed.loaded?.config.clusterName ?? "");
    return { ...status, comparison: compareLive(status, known, clusterName, fileNodes) };
  }

  async function changes(): Promise<ChangesView> {
    const current = store.validateCurrent();
    if (!current.ok) return { ok: false, reason: "the stack file is not valid", problems: current.problems };
    if (!committed.loaded) {
      return {
        ok: false,
        reason: `the committed version (${committed.source}) is not valid, so there is nothing to compare with`,
        problems: known.problems,
      };
    }
    const diff = await planner.diff(
      { text: committed.text, loaded: committed.loaded },
      { text: store.readText(), loaded: current.loaded },
    );
    return { ok: true, committedSource: committed.source, ...diff };
  }

  const findRoute = routeTable(
    consoleRoutes({
      store,
      committedText: committed.text,
      deployer,
      deployAvailability,
      assets,
      page: () => renderPage(guards.csrfToken, options.stack),
      state,
      live,
      changes,
      rereadLastDeployment: refreshKnown,
    }),
  );

  async function handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    checkHost(request, guards);
    const url = new URL(request.url ?? "/", `http://${request.headers.host ?? ""}`);
    const method = methodOf(request);
    // Before the route is looked up: a foreign page learns nothing, not even which write paths exist.
    if (isWrite(method)) checkWrite(request, guards);
    const found = findRoute(method, url.pathname);
    if (!found) throw new HttpError(404, "not found");
    await found.route.handle({ request, response, url, params: found.params });
  }

  const server = http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.end();
      if (error instanceof HttpError)
        return sendJson(response, error.status, { ok: false, error: error.message } satisfies WriteRefused);
      if (error instanceof EditRefused)
        return sendJson(response, error.status, {
          ok: false,
          problems: toConsoleProblems(error.problems),
        } satisfies WriteRefused);
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
  guards.allowedHosts.add(`${hostPart}:${port}`);
  if (host === "127.0.0.1" || host === "::1") guards.allowedHosts.add(`localhost:${port}`);
  for (const allowed of guards.allowedHosts) guards.allowedOrigins.add(`http://${allowed}`);

  return {
    url: `http://${hostPart}:${port}`,
    csrfToken: guards.csrfToken,
    close: () =>
      new Promise<void>((resolve) => {
        poller.stop();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
