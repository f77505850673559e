import { readFileSync } from "node:fs";
import * as path from "node:path";

/**
 * Builds the command text that runs the node scripts over SSH. The scripts travel inside the command as
 * quoted here-documents, so what each node runs is readable in the plan and in Pulumi's state; secrets
 * travel on standard input only, so they never appear in a command line, a log or a plain input.
 */

export const SCRIPTS_DIR = path.resolve(__dirname, "../../scripts");

export type NodeScript =
  | "prepare-node"
  | "install-k3s"
  | "fetch-kubeconfig"
  | "drain-node"
  | "apply-node-taints"
  | "report-node-identity"
  | "prepare-gateway"
  | "join-autoscaled-node";

/** The functions every node script shares (fail, log, wait_until, write_if_changed), defined once. */
export const PRELUDE_FILE = "prelude.sh";

/**
 * A script file of scripts/ with scripts/prelude.sh in front, as one text: what a node runs. The prelude
 * travels inside each script's text rather than as a file of its own, so the plan and Pulumi's state show
 * everything a node runs, and a script written to a server as a file (an autoscaled server's user data)
 * needs nothing beside it. The prelude starts with the shebang; the script's own, below it, is a comment.
 * Equal to `cat scripts/prelude.sh scripts/<file>`, which is how an operator runs restore-etcd.sh.
 */
export function readScriptWithPrelude(file: string): string {
  const prelude = readFileSync(path.join(SCRIPTS_DIR, PRELUDE_FILE), "utf8");
  return prelude + readFileSync(path.join(SCRIPTS_DIR, file), "utf8");
}

export function readNodeScript(name: NodeScript): string {
  return readScriptWithPrelude(`${name}.sh`);
}

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `KEY='value'` lines, with keys that are valid shell names. */
export function exportLines(variables: Record<string, string>): string {
  return Object.entries(variables)
    .map(([key, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(key)) throw new Error(`invalid environment variable name ${key}`);
      return `export ${key}=${shellQuote(value)}`;
    })
    .join("\n");
}

function hereDocument(marker: string, script: string): string {
  if (script.split("\n").includes(marker))
    throw new Error(`script contains its here-document marker ${marker}`);
  return `bash <<'${marker}'\n${script.endsWith("\n") ? script : `${script}\n`}${marker}`;
}

export interface RemoteScriptArgs {
  /** Plain parameters, visible in the plan. */
  environment: Record<string, string>;
  /** Scripts run one after another; the first failure stops the rest. */
  scripts: { name: string; text: string }[];
  /** Whether the secret parameters arrive on standard input (as `export` lines). */
  secretsOnStdin: boolean;
}

export function remoteScript(args: RemoteScriptArgs): string {
  const lines = ["set -euo pipefail"];
  // Standard input carries the secret exports; reading it here keeps them out of the command text. Read
  // through cat: /dev/stdin cannot be opened when standard input is a socket, as some SSH servers use.
  if (args.secretsOnStdin) lines.push('eval "$(cat)"');
  lines.push(exportLines(args.environment));
  for (const script of args.scripts) {
    lines.push(hereDocument(`__HETZNER_K8S_${script.name.toUpperCase().replace(/-/g, "_")}__`, script.text));
  }
  return lines.join("\n") + "\n";
}
