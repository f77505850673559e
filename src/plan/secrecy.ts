import * as pulumi from "@pulumi/pulumi";

/**
 * During a preview, an input that is not known yet reaches the engine without its secret flag. The plan
 * still has to say which inputs are secret, so a resource transformation looks at every input before it
 * is serialized and notes the paths of secret outputs, known or not.
 */

// Output's secrecy is not public API.
interface OutputInternals {
  isSecret: Promise<boolean>;
}

export interface SecrecyProbe {
  transformation: pulumi.ResourceTransformation;
  /** `${type}::${name}` -> paths of secret inputs, once every check has settled. */
  secretPaths(): Promise<Map<string, string[]>>;
}

function join(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

export function resourceKey(type: string, name: string): string {
  return `${type}::${name}`;
}

export function createSecrecyProbe(): SecrecyProbe {
  const checks: Promise<[string, string] | undefined>[] = [];
  const walk = (key: string, value: unknown, path: string): void => {
    if (pulumi.Output.isInstance(value)) {
      const output = value as unknown as OutputInternals;
      checks.push(output.isSecret.then((secret) => (secret ? [key, path] : undefined)));
    } else if (Array.isArray(value)) {
      value.forEach((item, index) => walk(key, item, join(path, index)));
    } else if (value && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
      for (const [name, item] of Object.entries(value)) walk(key, item, join(path, name));
    }
  };
  return {
    transformation: (args) => {
      walk(resourceKey(args.type, args.name), args.props, "");
      return undefined;
    },
    secretPaths: async () => {
      const found = new Map<string, string[]>();
      for (const entry of await Promise.all(checks)) {
        if (entry) found.set(entry[0], [...(found.get(entry[0]) ?? []), entry[1]]);
      }
      return found;
    },
  };
}
