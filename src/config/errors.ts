/** The project's name, and so the namespace of every config key (`hetzner-k8s:nodes`). */
export const PROJECT = "hetzner-k8s";

export interface ConfigProblem {
  /** Path inside the stack config, starting with the top-level key: ["nodes", 3, "serverType"]. */
  path: readonly (string | number)[];
  message: string;
}

/** `["nodes", 3, "serverType"]` -> `hetzner-k8s:nodes[3].serverType`; keys of other namespaces stay as given. */
export function formatKeyPath(path: readonly (string | number)[]): string {
  const [top, ...rest] = path;
  const tail = rest.map((part) => (typeof part === "number" ? `[${part}]` : `.${part}`)).join("");
  const key = String(top);
  return `${key.includes(":") ? "" : `${PROJECT}:`}${key}${tail}`;
}

export function formatProblem(problem: ConfigProblem): string {
  return `${formatKeyPath(problem.path)}: ${problem.message}`;
}

/** Thrown before any resource is created; its message holds one line per problem. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      `invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
        problems.map(formatProblem).join("\n"),
    );
    this.name = "ConfigError";
  }

  /** The problem lines alone, as printed by the plan. */
  get lines(): string[] {
    return this.problems.map(formatProblem);
  }
}
