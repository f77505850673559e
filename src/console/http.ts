import { timingSafeEqual } from "node:crypto";
import type * as http from "node:http";

/** The console's HTTP plumbing: responses with strict headers, JSON bodies, and the write guards. */

const MAX_BODY = 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export function send(response: http.ServerResponse, status: number, body: string, type: string): void {
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

export function sendJson(response: http.ServerResponse, status: number, value: unknown): void {
  send(response, status, JSON.stringify(value), "application/json; charset=utf-8");
}

export function readBody(request: http.IncomingMessage): Promise<unknown> {
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

export function record(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function sameToken(given: string | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Who may talk to the console: set once the port is known. */
export interface Guards {
  allowedHosts: Set<string>;
  allowedOrigins: Set<string>;
  csrfToken: string;
}

/** DNS rebinding: only requests addressed to the console itself. */
export function checkHost(request: http.IncomingMessage, guards: Guards): void {
  if (!guards.allowedHosts.has(request.headers.host ?? ""))
    throw new HttpError(403, "unexpected Host header");
}

/** A write must come from the console's own page: its origin, its per-start CSRF token, and JSON. */
export function checkWrite(request: http.IncomingMessage, guards: Guards): void {
  const origin = request.headers.origin;
  if (origin !== undefined && !guards.allowedOrigins.has(origin))
    throw new HttpError(403, "cross-origin request refused");
  const token = request.headers["x-csrf-token"];
  if (!sameToken(typeof token === "string" ? token : undefined, guards.csrfToken))
    throw new HttpError(403, "missing or wrong CSRF token");
  if (request.method !== "DELETE" && !(request.headers["content-type"] ?? "").startsWith("application/json"))
    throw new HttpError(415, "send JSON (Content-Type: application/json)");
}
