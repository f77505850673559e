import type {
  PolicyResource,
  ResourceValidation,
  ResourceValidationPolicy,
  StackValidationPolicy,
} from "@pulumi/policy";

/** A resource policy with one validation function, so the pack and the tests can call it directly. */
export type ResourcePolicy = ResourceValidationPolicy & {
  validateResource: ResourceValidation;
  enforcementLevel: "mandatory";
};

export type StackPolicy = StackValidationPolicy & { enforcementLevel: "mandatory" };

/**
 * A value Pulumi does not know yet (during `pulumi preview`, e.g. an ID or an address the cloud assigns).
 *
 * `@pulumi/policy` hands policies their properties behind a proxy that throws its own `UnknownValueError`
 * on reading such a value. `plain` catches that error and keeps it here: a resource policy rethrows it (the
 * SDK then reports "can't run policy during preview" as an advisory, and the policy runs again on the real
 * values during `pulumi up`), a stack policy skips what it cannot judge yet instead of aborting the whole
 * check.
 */
export class Unknown {
  constructor(
    readonly cause: unknown,
    readonly path: string,
  ) {}
}

/** Resource properties as plain data, with `Unknown` where Pulumi does not know a value yet. */
export type Plain =
  | undefined
  | null
  | boolean
  | number
  | string
  | Unknown
  | readonly Plain[]
  | { readonly [key: string]: Plain };

export type PlainRecord = { readonly [key: string]: Plain };

/** A check's outcome when some values may not be known yet (stack policies report only "no"). */
export type Verdict = "yes" | "no" | "unknown";

/** A value that is known (it may still contain unknown values deeper down). */
export type KnownPlain = Exclude<Plain, Unknown>;

function isUnknownValueError(error: unknown): boolean {
  // The SDK does not export the class's type, so recognise it by name.
  return error instanceof Error && error.constructor.name === "UnknownValueError";
}

/** Copies (possibly proxied) resource properties into plain data, turning unknown values into `Unknown`. */
export function plain(value: unknown, path = ""): Plain {
  if (value === undefined || value === null) return value;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    const copy: Plain[] = [];
    for (let index = 0; index < items.length; index += 1) {
      copy.push(read(() => items[index], `${path}[${index}]`));
    }
    return copy;
  }
  if (typeof value === "object") {
    const source = value as Readonly<Record<string, unknown>>;
    const copy: Record<string, Plain> = {};
    for (const key of Object.keys(source)) {
      copy[key] = read(() => source[key], path === "" ? key : `${path}.${key}`);
    }
    return copy;
  }
  return undefined;
}

function read(get: () => unknown, path: string): Plain {
  let value: unknown;
  try {
    value = get();
  } catch (error) {
    if (isUnknownValueError(error)) return new Unknown(error, path);
    throw error;
  }
  return plain(value, path);
}

/** The properties of a resource as plain data. */
export function plainProps(props: Readonly<Record<string, unknown>>): PlainRecord {
  const copy = plain(props);
  return isRecord(copy) ? copy : {};
}

export function isRecord(value: Plain): value is PlainRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value) && !(value instanceof Unknown);
}

export function isList(value: Plain): value is readonly Plain[] {
  return Array.isArray(value);
}

/** `value[key]` if `value` is a record, else `undefined`. */
export function field(value: Plain, key: string): Plain {
  return isRecord(value) ? value[key] : undefined;
}

/** For resource policies: a value the verdict depends on must be known, else the SDK's advisory applies. */
export function known(value: Plain): KnownPlain {
  if (value instanceof Unknown) throw value.cause;
  return value;
}

export function nonEmptyString(value: Plain): value is string {
  return typeof value === "string" && value.trim() !== "";
}

/** The string values of a record of labels (unknown or non-string values left out). */
export function stringMap(value: Plain): ReadonlyMap<string, string> {
  const map = new Map<string, string>();
  if (isRecord(value)) {
    for (const [key, item] of Object.entries(value)) {
      if (typeof item === "string") map.set(key, item);
    }
  }
  return map;
}

/** How a resource is named in violation messages: its Pulumi name, and its own name if that differs. */
export function describe(kind: string, pulumiName: string, ownName: Plain): string {
  return nonEmptyString(ownName) && ownName !== pulumiName
    ? `${kind} "${pulumiName}" (${ownName})`
    : `${kind} "${pulumiName}"`;
}

export function resourcesOfType(resources: readonly PolicyResource[], type: string): PolicyResource[] {
  return resources.filter((resource) => resource.type === type);
}

/** "a", "a and b", "a, b and c" */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} and ${items[items.length - 1]}`;
}
