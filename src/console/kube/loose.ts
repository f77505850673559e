/** Reading YAML and JSON whose shape nobody promised (a kubeconfig, the API's answers) without trusting it. */

export type Loose = Record<string, unknown>;

export function record(value: unknown): Loose {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Loose) : {};
}

/** A non-empty string, else undefined: an empty kubeconfig field means the same as a missing one. */
export function text(value: unknown): string | undefined {
  return typeof value === "string" && value !== "" ? value : undefined;
}
