import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { pulumiOnPath } from "../pulumiCli";
import { errorText, type KubeConnection } from "./client";
import { record, text, type Loose } from "./loose";

/**
 * Where the console finds the cluster: a kubeconfig file or the stack's kubeconfig output, read down to
 * its current context's server and credentials. Credential plugins are refused, never run.
 */

export type KubeconfigSource =
  | { kind: "file"; file: string }
  | { kind: "pulumi"; stack: string; projectDir: string }
  | { kind: "none"; reason: string };

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

const run = promisify(execFile);

/** Throws an Error whose message says, for the page, why there is no connection. */
export async function loadConnection(source: KubeconfigSource): Promise<KubeConnection> {
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
