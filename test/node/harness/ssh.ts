import { spawn, execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

/** An ED25519 key pair made with ssh-keygen, as the program's tls.PrivateKey makes one (OpenSSH format). */
export interface KeyPair {
  privateKeyPath: string;
  privateKey: string;
  publicKey: string;
}

export function makeKeyPair(dir: string, name: string): KeyPair {
  const privateKeyPath = path.join(dir, name);
  fs.rmSync(privateKeyPath, { force: true });
  fs.rmSync(`${privateKeyPath}.pub`, { force: true });
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", name, "-f", privateKeyPath]);
  return {
    privateKeyPath,
    privateKey: fs.readFileSync(privateKeyPath, "utf8"),
    publicKey: fs.readFileSync(`${privateKeyPath}.pub`, "utf8").trim(),
  };
}

export interface SshResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface SshOptions {
  /** Standard input of the session (the program sends secrets this way). */
  stdin?: string;
  /** The host keys to require, in known_hosts form; without it any key is accepted (a first contact). */
  knownHosts?: string;
  /** More `ssh` options (e.g. which authentication methods to try); by default only the given key is offered. */
  extraOptions?: string[];
  timeoutSeconds?: number;
  /**
   * A bastion to reach the host through, as the command provider's proxy connection does: a session to
   * the bastion, then a direct-tcpip channel to the host (OpenSSH's -W), with the bastion's host keys.
   */
  jump?: { host: string; knownHosts?: string };
  /** Redial a refused connection, as the provider does (default true; false where refusal is the answer). */
  redial?: boolean;
}

/**
 * A refused connection is retried a few times before it counts: sshd re-executes itself on the reload
 * cloud-init's hardening asks for, and the command provider redials a failed dial (pulumi-command v1.2.1,
 * `connection.go`: dialErrorLimit, default 10). Nothing ran on the host then, so the retry is safe.
 */
const REDIALS = 5;
const REFUSED = /connect to host .* Connection refused|open failed: connect failed: Connection refused/;

/**
 * One SSH session as root, the way the program's command provider opens them: the command text is the
 * remote shell's command line, secrets come on standard input. OpenSSH's client stands in for the
 * provider's Go client; the server side is the real sshd of the node.
 */
export function ssh(
  host: string,
  key: KeyPair,
  command: string,
  options: SshOptions = {},
): Promise<SshResult> {
  const knownHostsFile = path.join(path.dirname(key.privateKeyPath), `known_hosts-${host}-${process.pid}`);
  const hostKeyOptions =
    options.knownHosts === undefined
      ? ["-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"]
      : ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHostsFile}`];
  if (options.knownHosts !== undefined) fs.writeFileSync(knownHostsFile, options.knownHosts);
  const jump = options.jump ? proxyCommand(options.jump, key) : [];
  const args = [
    ...jump,
    "-i",
    key.privateKeyPath,
    "-o",
    "IdentitiesOnly=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-o",
    "LogLevel=ERROR",
    ...hostKeyOptions,
    ...(options.extraOptions ?? []),
    `root@${host}`,
    command,
  ];
  return redialing(() => sshOnce(args, options), options.redial ?? true);
}

async function redialing(attempt: () => Promise<SshResult>, redial: boolean): Promise<SshResult> {
  let result = await attempt();
  for (let i = 0; redial && i < REDIALS && result.code === 255 && REFUSED.test(result.stderr); i++) {
    await new Promise((resolve) => setTimeout(resolve, 3000));
    result = await attempt();
  }
  return result;
}

function sshOnce(args: string[], options: SshOptions): Promise<SshResult> {
  return new Promise((resolve, reject) => {
    const child = spawn("ssh", args, { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), (options.timeoutSeconds ?? 600) * 1000);
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    // ssh may exit before it reads its input (a refused connection): its exit code says so, not EPIPE.
    child.stdin.on("error", () => undefined);
    child.stdin.end(options.stdin ?? "");
  });
}

function proxyCommand(jump: NonNullable<SshOptions["jump"]>, key: KeyPair): string[] {
  const file = path.join(path.dirname(key.privateKeyPath), `known_hosts-${jump.host}-${process.pid}`);
  if (jump.knownHosts !== undefined) fs.writeFileSync(file, jump.knownHosts);
  const hostKeys =
    jump.knownHosts === undefined
      ? "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
      : `-o StrictHostKeyChecking=yes -o UserKnownHostsFile=${file}`;
  return [
    "-o",
    `ProxyCommand=ssh -i ${key.privateKeyPath} -o IdentitiesOnly=yes -o BatchMode=yes -o ConnectTimeout=5 -o LogLevel=ERROR ${hostKeys} -W %h:%p root@${jump.host}`,
  ];
}

/** Runs a command that must succeed; fails with its output otherwise. */
export async function sshOk(
  host: string,
  key: KeyPair,
  command: string,
  options: SshOptions = {},
): Promise<string> {
  const result = await ssh(host, key, command, options);
  if (result.code !== 0) {
    throw new Error(
      `ssh ${host} exited ${result.code}: ${command.slice(0, 200)}\n${result.stdout}\n${result.stderr}`,
    );
  }
  return result.stdout;
}
