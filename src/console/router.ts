import type * as http from "node:http";
import { HttpError } from "./http";

/**
 * A route table: a method and a path to a handler. In a path, `:name` stands for one segment (decoded
 * into `params.name`) and `:name(regex)` for one that matches the regex.
 */

export type WriteMethod = "POST" | "PUT" | "DELETE";
export type Method = "GET" | WriteMethod;

export interface RouteCall {
  request: http.IncomingMessage;
  response: http.ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export interface Route {
  method: Method;
  path: string;
  handle(call: RouteCall): void | Promise<void>;
}

const WRITE_METHODS: ReadonlySet<string> = new Set<WriteMethod>(["POST", "PUT", "DELETE"]);

/** A write changes the stack file or starts a deploy: only the console's own page may send one. */
export function isWrite(method: Method): method is WriteMethod {
  return WRITE_METHODS.has(method);
}

/** HEAD reads as GET (Node leaves out the body); a method no route can have is refused outright. */
export function methodOf(request: http.IncomingMessage): Method {
  const method = request.method ?? "GET";
  if (method === "GET" || method === "HEAD") return "GET";
  if (WRITE_METHODS.has(method)) return method as WriteMethod;
  throw new HttpError(405, "method not allowed");
}

function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path
    .split("/")
    .map((segment) => {
      const param = /^:(\w+)(?:\((.+)\))?$/.exec(segment);
      if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      names.push(param[1]);
      return `(${param[2] ?? "[^/]+"})`;
    })
    .join("/");
  return { pattern: new RegExp(`^${source}$`), names };
}

export type RouteMatch = { route: Route; params: Record<string, string> };

/** The table compiled once; the lookup answers undefined for a path no route of the method has. */
export function routeTable(
  routes: readonly Route[],
): (method: Method, path: string) => RouteMatch | undefined {
  const compiled = routes.map((route) => ({ route, ...compile(route.path) }));
  return (method, path) => {
    for (const { route, pattern, names } of compiled) {
      const match = route.method === method ? pattern.exec(path) : null;
      if (match)
        return {
          route,
          params: Object.fromEntries(names.map((name, at) => [name, decodeURIComponent(match[at + 1])])),
        };
    }
    return undefined;
  };
}
