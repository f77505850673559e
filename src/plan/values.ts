import * as pulumi from "@pulumi/pulumi";

/** Turns registered inputs and stack outputs into plain JSON for the plan, masking every secret. */

export const SECRET = "[secret]";
export const UNKNOWN = "(known after apply)";

export interface MaskedValue {
  value: unknown;
  /** Dotted paths of the secret values that were masked ("" for the whole value). */
  secretPaths: string[];
}

type Marked = Record<string, unknown>;

function signature(value: unknown): unknown {
  return typeof value === "object" && value !== null
    ? (value as Marked)[pulumi.runtime.specialSigKey]
    : undefined;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/**
 * Masks registered inputs as the engine would receive them: secrets (known or not) become "[secret]",
 * values the cloud has not assigned yet become "(known after apply)".
 */
export function maskInputs(value: unknown, knownSecretPaths: readonly string[] = [], path = ""): MaskedValue {
  // Secret values not known yet arrive without their secret marker; the program's own record says which.
  if (knownSecretPaths.includes(path) && path !== "") return { value: SECRET, secretPaths: [path] };
  const sig = signature(value);
  const marked = value as Marked;
  if (sig === pulumi.runtime.specialSecretSig) return { value: SECRET, secretPaths: [path] };
  if (sig === pulumi.runtime.specialOutputValueSig) {
    if (marked.secret === true) return { value: SECRET, secretPaths: [path] };
    return "value" in marked
      ? maskInputs(marked.value, knownSecretPaths, path)
      : { value: UNKNOWN, secretPaths: [] };
  }
  if (sig === pulumi.runtime.specialResourceSig) return { value: marked.urn, secretPaths: [] };
  if (sig !== undefined) return { value: "[asset]", secretPaths: [] };
  if (value === pulumi.runtime.unknownValue) return { value: UNKNOWN, secretPaths: [] };
  if (Array.isArray(value)) {
    const parts = value.map((item, index) => maskInputs(item, knownSecretPaths, join(path, index)));
    return { value: parts.map((part) => part.value), secretPaths: parts.flatMap((part) => part.secretPaths) };
  }
  if (value && typeof value === "object") {
    const result: Record<string, unknown> = {};
    const secretPaths: string[] = [];
    for (const [key, item] of Object.entries(value)) {
      const part = maskInputs(item, knownSecretPaths, join(path, key));
      result[key] = part.value;
      secretPaths.push(...part.secretPaths);
    }
    return { value: result, secretPaths };
  }
  return { value, secretPaths: [] };
}

export interface ResolvedOutput {
  secret: boolean;
  known: boolean;
  value: unknown;
}

// Output's knownness and secrecy are not public API; the plan needs them to show outputs like a preview.
interface OutputInternals {
  isKnown: Promise<boolean>;
  isSecret: Promise<boolean>;
  promise(): Promise<unknown>;
}

/** Resolves a stack output leaf by leaf, so one unknown address does not hide a whole node table. */
export async function resolveOutput(value: unknown): Promise<ResolvedOutput> {
  if (pulumi.Output.isInstance(value)) {
    const output = value as unknown as OutputInternals;
    const [known, secret] = await Promise.all([output.isKnown, output.isSecret]);
    if (!known) return { secret, known: false, value: secret ? SECRET : UNKNOWN };
    const inner = await resolveOutput(await output.promise());
    return { secret: secret || inner.secret, known: inner.known, value: secret ? SECRET : inner.value };
  }
  if (Array.isArray(value)) return combine(await Promise.all(value.map(resolveOutput)), (values) => values);
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    const resolved = await Promise.all(entries.map(([, item]) => resolveOutput(item)));
    return combine(resolved, (values) =>
      Object.fromEntries(entries.map(([key], index) => [key, values[index]])),
    );
  }
  return { secret: false, known: true, value: value ?? null };
}

function combine(parts: ResolvedOutput[], build: (values: unknown[]) => unknown): ResolvedOutput {
  return {
    secret: parts.some((part) => part.secret),
    known: parts.every((part) => part.known),
    value: build(parts.map((part) => part.value)),
  };
}
