import * as fs from "node:fs";

/**
 * Figures of a node-tier run (boot and reboot times), one tab-separated line each in the file
 * test/node/run.sh names; it prints them when the run ends. They are measurements, not assertions.
 */
export function recordFigure(name: string, value: number, unit: string): void {
  const file = process.env.NODE_TIER_FIGURES;
  if (file) fs.appendFileSync(file, `${name}\t${value.toFixed(1)}\t${unit}\n`);
}
