import { summarizeDiff, type PlanDiff, type ResourceChange, type ValueChange } from "./diff";

/** The diff as text: each resource change with its values, or a command's meaning, then the notes. */

const SHOWN_VALUES = 6;
const SHOWN_PATHS = 6;

/** A value as one line of the diff: strings quoted, several lines counted, long ones cut. */
export function formatValue(value: unknown): string {
  if (value === undefined) return "(none)";
  if (typeof value === "string" && value.includes("\n")) return `(${value.split("\n").length} lines)`;
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Two texts of several lines as the lines that differ: the first and last line that are not the same in
 * both, and the first such line before and after (a script's changed setting, not "(557 lines)" twice).
 */
function formatTextChange(before: string, after: string): string {
  const old = before.split("\n");
  const now = after.split("\n");
  let first = 0;
  while (first < old.length && first < now.length && old[first] === now[first]) first++;
  let tail = 0;
  while (
    tail < old.length - first &&
    tail < now.length - first &&
    old[old.length - 1 - tail] === now[now.length - 1 - tail]
  )
    tail++;
  const removed = old.length - first - tail;
  const added = now.length - first - tail;
  const span = `line ${first + 1} of ${old.length}: ${removed} line(s) → ${added} line(s)`;
  return `${span}, ${formatValue(old[first] ?? "")} → ${formatValue(now[first] ?? "")}`;
}

export function formatChange(value: ValueChange): string {
  if (value.secret) return `${value.path}: [secret] → [secret] (changed)`;
  const { before, after } = value;
  if (typeof before === "string" && typeof after === "string" && (before + after).includes("\n"))
    return `${value.path}: ${formatTextChange(before, after)}`;
  return `${value.path}: ${formatValue(before)} → ${formatValue(after)}`;
}

function entryLines(symbol: string, verb: string, entry: ResourceChange): string[] {
  const detail =
    entry.paths.length > 0
      ? `  (${entry.paths.slice(0, SHOWN_PATHS).join(", ")}${entry.paths.length > SHOWN_PATHS ? ", ..." : ""})`
      : "";
  const shownVerb = entry.retained ? "forget" : verb;
  const retained = entry.retained ? "  (retained in Hetzner: only removed from the stack)" : "";
  const lines = [`  ${symbol} ${shownVerb.padEnd(7)} ${entry.type}  ${entry.name}${detail}${retained}`];
  if (entry.meaning && entry.meaning.length > 0) {
    for (const line of entry.meaning) lines.push(`        ${line}`);
    return lines;
  }
  const values = entry.values ?? [];
  for (const value of values.slice(0, SHOWN_VALUES)) lines.push(`        ${formatChange(value)}`);
  if (values.length > SHOWN_VALUES) lines.push(`        ... ${values.length - SHOWN_VALUES} more`);
  return lines;
}

export interface DiffExtras {
  /** What the change means beyond the resources (diffNotes.ts). */
  notes?: readonly string[];
  /** The change in monthly cost (renderCost.ts). */
  cost?: readonly string[];
}

export function renderDiff(diff: PlanDiff, from: string, to: string, extras: DiffExtras = {}): string {
  const lines = [`Changes from ${from} to ${to}:`];
  const groups: [string, string, ResourceChange[]][] = [
    ["+", "create", diff.create],
    ["~", "update", diff.update],
    ["±", "replace", diff.replace],
    ["-", "delete", diff.delete],
  ];
  for (const [symbol, verb, changes] of groups)
    for (const entry of changes) lines.push(...entryLines(symbol, verb, entry));
  if (lines.length === 1) lines.push("  no changes to any resource");
  const notes = extras.notes ?? [];
  if (notes.length > 0) lines.push("", "What this means:", ...notes.map((note) => `  - ${note}`));
  if (extras.cost && extras.cost.length > 0) lines.push("", ...extras.cost);
  return [...lines, "", summarizeDiff(diff)].join("\n") + "\n";
}
