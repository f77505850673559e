import { mkdtempSync, writeFileSync } from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * No real Kubernetes API runs in the unit tier, so this stand-in (node:http on 127.0.0.1) serves recorded
 * responses of the reads the console makes (nodes, node metrics, the tenants' resource quotas), to a bearer
 * token only. `responses` may be changed between requests.
 */

export const STAND_IN_TOKEN = "stand-in-bearer-token-0123456789";

export interface KubeStandIn {
  url: string;
  /** Every path and query asked for. */
  seen: string[];
  responses: Record<string, unknown>;
  /** A kubeconfig file for `server` (default: this stand-in) with the token. */
  kubeconfig(server?: string): string;
  close(): Promise<void>;
}

export async function startKubeStandIn(responses: Record<string, unknown>): Promise<KubeStandIn> {
  const seen: string[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://stand-in");
    seen.push(`${url.pathname}${url.search}`);
    if (request.headers.authorization !== `Bearer ${STAND_IN_TOKEN}`) {
      response.writeHead(401).end();
      return;
    }
    const body = standIn.responses[url.pathname];
    response
      .writeHead(body ? 200 : 404, { "Content-Type": "application/json" })
      .end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const standIn: KubeStandIn = {
    url,
    seen,
    responses,
    kubeconfig(apiServer = url) {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "console-kube-")), "config");
      writeFileSync(
        file,
        [
          "apiVersion: v1",
          "kind: Config",
          "current-context: dev",
          "clusters:",
          `  - name: dev\n    cluster:\n      server: ${apiServer}`,
          "contexts:",
          "  - name: dev\n    context:\n      cluster: dev\n      user: admin",
          "users:",
          `  - name: admin\n    user:\n      token: ${STAND_IN_TOKEN}`,
          "",
        ].join("\n"),
      );
      return file;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
  return standIn;
}

/** A Node as the API lists it: ready or not, with its kubelet's version and allocatable resources. */
export function liveNode(name: string, kubeletVersion: string, ready = true) {
  return {
    metadata: { name },
    status: {
      allocatable: { cpu: "2", memory: "3900Mi" },
      conditions: [
        ready
          ? { type: "Ready", status: "True", reason: "KubeletReady" }
          : { type: "Ready", status: "False", reason: "KubeletNotReady" },
      ],
      nodeInfo: { kubeletVersion },
    },
  };
}

export function nodeList(items: unknown[]) {
  return { kind: "NodeList", apiVersion: "v1", items };
}
