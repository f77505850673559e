/**
 * Merges an operator's values file with the values the program computes. Objects merge key by key; any
 * other value (lists, scalars, and deploy-time values such as secrets) is taken whole from the computed side.
 */

type Values = Record<string, unknown>;

function isPlainObject(value: unknown): value is Values {
  return typeof value === "object" && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

export function mergeValues(operator: Values, computed: Values): Values {
  const merged: Values = { ...operator };
  for (const [key, value] of Object.entries(computed)) {
    const existing = merged[key];
    merged[key] = isPlainObject(existing) && isPlainObject(value) ? mergeValues(existing, value) : value;
  }
  return merged;
}
