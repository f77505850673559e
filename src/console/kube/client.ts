import * as http from "node:http";
import * as https from "node:https";

/**
 * A minimal read-only Kubernetes client for the console's live view: bearer token, basic auth or client
 * certificate, GET requests only. Credentials never leave the kube modules.
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

export class KubeHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An error's message for the page, with the system's code (ECONNREFUSED) when the message lacks it. */
export function errorText(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

function authorization(connection: KubeConnection): string | undefined {
  if (connection.token) return `Bearer ${connection.token}`;
  if (connection.basicAuth) return `Basic ${Buffer.from(connection.basicAuth).toString("base64")}`;
  return undefined;
}

export function kubeGet(connection: KubeConnection, apiPath: string, timeoutMs = 5000): Promise<unknown> {
  const url = new URL(apiPath, connection.server);
  const headers: Record<string, string> = { Accept: "application/json" };
  const auth = authorization(connection);
  if (auth) headers.Authorization = auth;
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
