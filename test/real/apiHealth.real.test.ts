import * as https from "node:https";
import { parse } from "yaml";
import { realEnvironment } from "./harness/environment";

/**
 * The API server's authentication config (scripts/k3s-authentication-config.yaml, which the tier's API
 * server runs with, as the program's servers do): the API load balancer's health check may ask /readyz
 * without credentials, and anonymous requests get nothing else.
 */

interface Answer {
  status: number;
  body: string;
}

/** An HTTPS GET without any credentials, trusting only the cluster's CA. */
function anonymousGet(path: string): Promise<Answer> {
  const env = realEnvironment();
  const kubeconfig = parse(env.adminKubeconfig) as {
    clusters: { cluster: { "certificate-authority-data"?: string; "certificate-authority"?: string } }[];
  };
  const cluster = kubeconfig.clusters[0].cluster;
  const ca = cluster["certificate-authority-data"]
    ? Buffer.from(cluster["certificate-authority-data"], "base64")
    : undefined;
  return new Promise((resolve, reject) => {
    const request = https.get(new URL(path, env.apiServer), { ca, timeout: 10_000 }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => (body += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
  });
}

describe("anonymous requests to the API server", () => {
  it.each(["/readyz", "/livez"])("may ask %s, which the API load balancer checks", async (path) => {
    expect(await anonymousGet(path)).toEqual({ status: 200, body: "ok" });
  });

  it.each(["/healthz", "/version", "/api", "/api/v1/namespaces", "/livez/etcd"])(
    "get nothing at %s",
    async (path) => {
      expect((await anonymousGet(path)).status).toBe(401);
    },
  );
});
