import * as pulumi from "@pulumi/pulumi";
import { createHmac, randomBytes } from "node:crypto";

/** Turns registered inputs and stack outputs into plain JSON for the plan, masking every secret. */

export const SECRET = "[secret]";
export const UNKNOWN = "(known after apply)";

export interface MaskedValue {
  value: unknown;
  /** Dotted paths of the secret values that were masked ("" for the whole value). */
  secretPaths: string[];
  /**
   * A fingerprint of each masked secret whose value is known, by path, so that two plans made in this
   * process can tell a changed secret from an unchanged one. Keyed with a random key of this process that
   * is never written anywhere, so a fingerprint says nothing about the secret outside it.
   */
  secretDigests?: Record<string, string>;
}

const DIGEST_KEY = randomBytes(32);

function fingerprint(value: unknown): string {
  return createHmac("sha256", DIGEST_KEY)
    .update(JSON.stringify(value) ?? "undefined")
    .digest("hex");
}

function masked(path: string, secret: Marked | undefined): MaskedValue {
  const known = secret !== undefined && "value" in secret;
  return {
    value: SECRET,
    secretPaths: [path],
    ...(known && { secretDigests: { [path]: fingerprint(secret.value) } }),
  };
}

function mergeDigests(parts: MaskedValue[]): Record<string, string> | undefined {
  const merged = Object.assign({}, ...parts.map((part) => part.secretDigests ?? {})) as Record<
    string,
    string
  >;
  return Object.keys(merged).length > 0 ? merged : undefined;
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
  const sig = signature(value);
  const marked = value as Marked;
  if (knownSecretPaths.includes(path) && path !== "") {
    const wrapped = sig === pulumi.runtime.specialSecretSig || sig === pulumi.runtime.specialOutputValueSig;
    if (wrapped) return masked(path, marked);
    return masked(path, value === pulumi.runtime.unknownValue ? undefined : { value });
  }
  if (sig === pulumi.runtime.specialSecretSig) return masked(path, marked);
  if (sig === pulumi.runtime.specialOutputValueSig) {
    if (marked.secret === true) return masked(path, marked);
    return "value" in marked
      ? maskInputs(marked.value, knownSecretPaths, path)
      : { value: UNKNOWN, secretPaths: [] };
  }
  if (sig === pulumi.runtime.specialResourceSig) return { value: marked.urn, secretPaths: [] };
  if (sig !== undefined) return { value: "[asset]", secretPaths: [] };
  if (value === pulumi.runtime.unknownValue) return { value: UNKNOWN, secretPaths: [] };
  if (Array.isArray(value)) {
    const parts = value.map((item, index) => maskInputs(item, knownSecretPaths, join(path, index)));
    const secretDigests = mergeDigests(parts);
    return {
      value: parts.map((part) => part.value),
      secretPaths: parts.flatMap((part) => part.secretPaths),
      ...(secretDigests && { secretDigests }),
    };
  }
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    const parts = entries.map(([key, item]) => maskInputs(item, knownSecretPaths, join(path, key)));
    const secretDigests = mergeDigests(parts);
    return {
      value: Object.fromEntries(entries.map(([key], index) => [key, parts[index].value])),
      secretPaths: parts.flatMap((part) => part.secretPaths),
      ...(secretDigests && { secretDigests }),
    };
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

// Beside the plan rather than in it: `plan --json` prints resources whole, and fingerprints are for this
// process only.
const DIGESTS = new WeakMap<object, Record<string, string>>();

export function rememberSecretDigests(resource: object, digests: Record<string, string> | undefined): void {
  if (digests) DIGESTS.set(resource, digests);
}

/** The fingerprints of a planned resource's known secret inputs, by path (see MaskedValue.secretDigests). */
export function secretDigestsOf(resource: object): Record<string, string> {
  return DIGESTS.get(resource) ?? {};
}
