import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { startConsoleServer, type ConsoleServer } from "../../src/console/server";

/** A temp copy of the project's Pulumi.yaml and Pulumi.dev.yaml, with an encrypted value added. */

export const REPO = path.resolve(__dirname, "../..");
/** Stands in for the ciphertext `pulumi config set --secret` stores; it must never reach a response. */
export const SECURE_CIPHERTEXT = "v1:AAABAKq3ZmFrZS1jaXBoZXJ0ZXh0LW5ldmVyLXNlbnQ=";

export function tempProject(): { dir: string; stackFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "console-test-"));
  copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  const stack = readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8").replace(
    "config:\n",
    `config:\n  hcloud:token:\n    secure: ${SECURE_CIPHERTEXT}\n`,
  );
  const stackFile = path.join(dir, "Pulumi.dev.yaml");
  writeFileSync(stackFile, stack);
  return { dir, stackFile };
}

/** The `nodes` output as the program exports it (src/program.ts), for the given entries of the dev stack. */
export function nodesOutput(
  nodes: {
    name: string;
    role: "control-plane" | "worker";
    serverType: string;
    privateIp: string;
    deleteProtection?: boolean;
    volumeSizeGb?: number;
  }[],
) {
  return nodes.map((node) => ({
    location: "fsn1",
    deleteProtection: node.role === "control-plane",
    volumeSizeGb: 0,
    publicIpv4: "198.51.100.10",
    ...node,
  }));
}

/** The dev stack's four nodes as deployed. */
export const DEV_NODES_OUTPUT = nodesOutput([
  { name: "cp-1", role: "control-plane", serverType: "cx23", privateIp: "10.0.1.10" },
  { name: "cp-2", role: "control-plane", serverType: "cx23", privateIp: "10.0.1.11" },
  { name: "cp-3", role: "control-plane", serverType: "cx23", privateIp: "10.0.1.12" },
  { name: "worker-1", role: "worker", serverType: "cx33", privateIp: "10.0.1.13", volumeSizeGb: 20 },
]);

export const DEV_DEPLOYMENT_OUTPUT = {
  k3sVersion: "v1.35.6+k3s1",
  clusterName: "dev",
  networkCidr: "10.0.0.0/16",
  nodeSubnetCidr: "10.0.1.0/24",
  podCidr: "10.42.0.0/16",
  serviceCidr: "10.43.0.0/16",
};

/** Calls the console's API as its page does (CSRF token on writes), keeping every body for the secrecy check. */
export function apiClient(server: { url: string; csrfToken: string }, bodies: string[] = []) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        "Content-Type": "application/json",
        ...(method === "GET" ? {} : { "X-CSRF-Token": server.csrfToken }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
  };
}

/**
 * A console on a temp project, without a kubeconfig or a Pulumi CLI, whose last deployment has these
 * stack outputs (none: the outputs cannot be read).
 */
export function startTestConsole(
  projectDir: string,
  outputs?: Record<string, unknown>,
): Promise<ConsoleServer> {
  const reason = "no Pulumi CLI in this test";
  return startConsoleServer({
    stack: "dev",
    projectDir,
    port: 0,
    kubeconfig: { kind: "none", reason: "no kubeconfig in this test" },
    deployAvailability: { available: false, reason },
    stackOutputs: () => Promise.resolve(outputs ? { ok: true, outputs } : { ok: false, reason }),
  });
}

/** A problem as the console's API answers it. */
export interface ProblemJson {
  path: (string | number)[];
  message: string;
  line: string;
  entry?: number;
  field?: string;
}
