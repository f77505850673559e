/** The project's name (names.ts), which config keys and messages begin with. */
export { PROJECT } from "../names";
import { PROJECT } from "../names";

export interface ConfigProblem {
  /**
   * Path inside the stack config, starting with the top-level key: ["nodes", 3, "serverType"]; empty for a
   * problem of the file itself (unreadable YAML, no `config:`).
   */
  path: readonly (string | number)[];
  message: string;
  /** Where in the file, when the YAML reader knows (1-based). */
  at?: { line: number; column: number };
}

/** `["nodes", 3, "serverType"]` -> `hetzner-k8s:nodes[3].serverType`; keys of other namespaces stay as given. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  const [top, ...rest] = path;
  const tail = rest.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("");
  const key = String(top);
  return `${key.includes(":") ? "" : `${PROJECT}:`}${key}${tail}`;
}

/**
 * The one line format of every problem: `[file[:line:column]: ][key: ]message`, e.g.
 * `Pulumi.dev.yaml: hetzner-k8s:nodes[3].serverType: unknown server type "cx99"` or
 * `Pulumi.dev.yaml:7:3: duplicate key "hetzner-k8s:nodes"`.
 */
export function formatProblemIn(file: string | undefined, problem: ConfigProblem): string {
  const where = problem.at ? `${problem.at.line}:${problem.at.column}` : undefined;
  const parts = file ? [where ? `${file}:${where}` : file] : where ? [where] : [];
  if (problem.path.length > 0) parts.push(formatKeyPath(problem.path));
  return [...parts, problem.message].join(": ");
}

/** A problem's line without a file, for callers that say the file themselves (the console). */
export function formatProblem(problem: ConfigProblem): string {
  return formatProblemIn(undefined, problem);
}

/** Thrown before any resource is created; its message holds one line per problem. */
export class ConfigError extends Error {
  /**
   * @param file the file the problems are in, when known; lines then start with it. Parsing a raw config does
   * not know it: whoever read the file names it (inFile).
   */
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly file?: string,
  ) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map((problem) => formatProblemIn(file, problem)).join("\n"),
    );
    this.name = "ConfigError";
  }

  /** The problem lines alone, as printed by the plan. */
  get lines(): string[] {
    return this.problems.map((problem) => formatProblemIn(this.file, problem));
  }

  /** The same problems, named as in `file` unless they already name a file of their own. */
  inFile(file: string): ConfigError {
    return this.file === undefined ? new ConfigError(this.problems, file) : this;
  }
}
