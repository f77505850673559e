/**
 * How the project writes amounts of CPU and memory for people: the plan, the config's messages and the
 * console's page. A leaf beside names.ts and versions.ts: it imports nothing, so the page may bundle it.
 */

export const GIB = 2 ** 30;

/** "2.5 cores": two decimals at most. */
export function formatCores(cores: number): string {
  return `${Number(cores.toFixed(2))} cores`;
}

/** "1.5 GiB": one decimal at most. */
export function formatBytes(bytes: number): string {
  return `${Number((bytes / GIB).toFixed(1))} GiB`;
}

/** A pool amount in its resource's unit: cores for cpu, GiB for memory and storage. */
export function formatAmount(resource: string, value: number): string {
  return resource === "cpu" ? formatCores(value) : formatBytes(value);
}
