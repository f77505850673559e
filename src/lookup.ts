import * as pulumi from "@pulumi/pulumi";

/**
 * The entry of `key` in a map a component built itself, or a ResourceError on `parent` that names the map
 * and the key. A missing entry is a defect of the program, never of the stack file, so it says exactly
 * where instead of surfacing later as `undefined`.
 */
export function entryOf<K, V>(map: ReadonlyMap<K, V>, key: K, what: string, parent: pulumi.Resource): V {
  const value = map.get(key);
  if (value === undefined) throw new pulumi.ResourceError(`${what} has no entry for ${String(key)}`, parent);
  return value;
}
