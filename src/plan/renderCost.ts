import { LOCATIONS } from "../config/catalogue";
import { diffCost, sumNet, type CostBreakdown, type CostItem, type CostKind } from "../model/cost";
import { table } from "./table";

/** The monthly cost in the plan and the diff, as text lines and as JSON. Amounts are rounded here only. */

/** What the totals leave out: usage-dependent charges and what the program does not create. */
export const NOT_INCLUDED = [
  "traffic beyond what each server includes",
  "backups",
  "snapshots",
  "object storage",
  "load balancers the cloud controller creates for tenants' LoadBalancer Services",
] as const;

function cents(eur: number): number {
  // The epsilon keeps a product such as 1.145 that floats store as 1.14499… on its half-up side.
  return Math.sign(eur) * Math.round(Math.abs(eur) * 100 + 1e-6);
}

export function euros(eur: number): string {
  const value = cents(eur);
  return `${value < 0 ? "-" : ""}€${(Math.abs(value) / 100).toFixed(2)}`;
}

function signed(eur: number): string {
  return cents(eur) < 0 ? euros(eur) : `+${euros(eur)}`;
}

function percent(rate: number): string {
  return `${Math.round(rate * 10000) / 100}%`;
}

const KIND_NAMES: Readonly<Record<CostKind, string>> = {
  server: "server",
  "primary-ipv4": "primary IPv4",
  volume: "volume",
  "load-balancer": "load balancer",
};

/** The table's item: kind and product ("server cx23", "volume 20 GB"), and the claim a volume is for. */
function label(item: CostItem): string {
  if (item.kind === "primary-ipv4") return KIND_NAMES[item.kind];
  return `${KIND_NAMES[item.kind]} ${item.product}${item.claim ? ` (${item.resource})` : ""}`;
}

const KIND_ORDER: readonly CostKind[] = ["server", "primary-ipv4", "volume", "load-balancer"];

interface Row {
  label: string;
  location: string;
  items: CostItem[];
}

/** Identical items (same product in the same location) on one row, by location, then kind. */
function rows(items: readonly CostItem[]): Row[] {
  const byKey = new Map<string, Row>();
  for (const item of items) {
    const key = `${item.location}/${label(item)}`;
    const row = byKey.get(key) ?? { label: label(item), location: item.location, items: [] };
    row.items.push(item);
    byKey.set(key, row);
  }
  const rank = (row: Row) =>
    LOCATIONS.indexOf(row.items[0].location) * KIND_ORDER.length + KIND_ORDER.indexOf(row.items[0].kind);
  return [...byKey.values()].sort((a, b) => rank(a) - rank(b));
}

function amount(eur: number, unknown: number): string {
  return unknown > 0 ? `at least ${euros(eur)}` : euros(eur);
}

function pricesLines(cost: CostBreakdown): string[] {
  return [
    `  prices of ${cost.pricesDate} (Hetzner, ${cost.currency} excl. VAT, servers at new-order prices), billed ` +
      "hourly up to these monthly caps",
    `  not included: ${NOT_INCLUDED.join(", ")}`,
  ];
}

export function renderCost(cost: CostBreakdown): string[] {
  const body = rows(cost.items).map((row) => {
    const unknown = row.items.some((item) => item.monthlyNet === undefined);
    return [
      row.label,
      String(row.items.length),
      row.location,
      unknown ? "price unknown" : euros(sumNet(row.items)),
    ];
  });
  const totals = [
    ...cost.locations.map((location) => [
      "subtotal",
      "",
      location.location,
      amount(location.net, location.unknown),
    ]),
    ["total net", "", "", amount(cost.net, cost.unknown.length)],
    [`total gross (VAT ${percent(cost.vatRate)})`, "", "", amount(cost.gross, cost.unknown.length)],
  ];
  const all = [["ITEM", "COUNT", "LOCATION", "PER MONTH"], ...body, ...totals];
  // Counts and amounts right-aligned, so that the cents line up.
  const width = (column: number) => Math.max(...all.map((row) => row[column].length));
  const aligned = all.map((row, index) =>
    index === 0 ? row : [row[0], row[1].padStart(width(1)), row[2], row[3].padStart(width(3))],
  );
  const unknown = rows(cost.unknown).map((row) => `${row.items.length} × ${row.label} in ${row.location}`);
  return [
    `Monthly cost: ${amount(cost.net, cost.unknown.length)} net, ${amount(cost.gross, cost.unknown.length)} gross`,
    ...table(aligned),
    ...(unknown.length > 0
      ? [`  price unknown, left out of the totals: ${unknown.join(", ")} (not in the price table)`]
      : []),
    ...(cost.autoscaledMaxExtraNet !== undefined
      ? [
          `  autoscaled pools are counted at their min; at their max they add up to ` +
            `${euros(cost.autoscaledMaxExtraNet)} net per month`,
        ]
      : []),
    ...pricesLines(cost),
  ];
}

/** "server cx33 for worker-2 in fsn1", "volume 10 GB for alertmanager's claim in fsn1". */
function describe(item: CostItem): string {
  return `${label(item).replace(/ \(.*\)$/, "")} for ${item.resource}${item.claim ? "'s claim" : ""} in ${item.location}`;
}

export function renderCostChange(before: CostBreakdown, after: CostBreakdown): string[] {
  const change = diffCost(before, after);
  const unpriced = change.unknown;
  const unknown =
    unpriced > 0 ? `, not counting ${unpriced} change${unpriced === 1 ? "" : "s"} of unknown price` : "";
  const headline =
    change.items.length === 0
      ? `cost: ${amount(after.net, after.unknown.length)} per month (unchanged)`
      : `cost: ${amount(before.net, before.unknown.length)} → ${amount(after.net, after.unknown.length)} per month ` +
        `(${signed(change.deltaNet)} net${unknown})`;
  const lines = change.items.map((item) => {
    const money = item.deltaNet === undefined ? "price unknown" : signed(item.deltaNet);
    if (item.change === "added" && item.after) return `  + ${describe(item.after)}: ${money}`;
    // Volumes are retained (node volumes retainOnDelete, claims' class reclaim Retain): billed until deleted.
    const retained = item.before?.kind === "volume" ? " once you delete it in Hetzner (it is retained)" : "";
    if (item.change === "removed" && item.before) return `  - ${describe(item.before)}: ${money}${retained}`;
    const [old, now] = [item.before as CostItem, item.after as CostItem];
    const moved = old.location === now.location ? "" : `, ${old.location} → ${now.location}`;
    const retyped = old.product === now.product ? "" : `: ${old.product} → ${now.product}`;
    return `  ~ ${KIND_NAMES[now.kind]} for ${now.resource}${retyped}${moved}: ${money}`;
  });
  return [headline, ...lines];
}

/** `--json`: amounts rounded to cents like the text; an unknown price is null. */
export interface CostItemJson {
  kind: CostKind;
  resource: string;
  product: string;
  location: string;
  claim: boolean;
  monthlyNet: number | null;
}

export interface CostJson {
  pricesDate: string;
  currency: string;
  vatRate: number;
  items: CostItemJson[];
  locations: { location: string; net: number; gross: number; unknown: number }[];
  net: number;
  gross: number;
  /** False while any item's price is unknown: net and gross are then lower bounds. */
  complete: boolean;
  notIncluded: string[];
}

export interface CostChangeJson {
  before: { net: number; gross: number; complete: boolean };
  after: { net: number; gross: number; complete: boolean };
  deltaNet: number;
  deltaGross: number;
  /** Item changes left out of deltaNet and deltaGross because a price is unknown. */
  unknown: number;
  items: {
    change: "added" | "removed" | "changed";
    before: CostItemJson | null;
    after: CostItemJson | null;
    deltaNet: number | null;
  }[];
}

const money = (eur: number) => cents(eur) / 100;

function itemJson(item: CostItem): CostItemJson {
  const { kind, resource, product, location } = item;
  const monthlyNet = item.monthlyNet === undefined ? null : money(item.monthlyNet);
  return { kind, resource, product, location, claim: item.claim === true, monthlyNet };
}

export function costJson(cost: CostBreakdown): CostJson {
  return {
    pricesDate: cost.pricesDate,
    currency: cost.currency,
    vatRate: cost.vatRate,
    items: cost.items.map(itemJson),
    locations: cost.locations.map((location) => ({
      ...location,
      net: money(location.net),
      gross: money(location.gross),
    })),
    net: money(cost.net),
    gross: money(cost.gross),
    complete: cost.unknown.length === 0,
    notIncluded: [...NOT_INCLUDED],
  };
}

export function costChangeJson(before: CostBreakdown, after: CostBreakdown): CostChangeJson {
  const change = diffCost(before, after);
  const side = (cost: CostBreakdown) => ({
    net: money(cost.net),
    gross: money(cost.gross),
    complete: cost.unknown.length === 0,
  });
  return {
    before: side(before),
    after: side(after),
    deltaNet: money(change.deltaNet),
    deltaGross: money(change.deltaGross),
    unknown: change.unknown,
    items: change.items.map((item) => ({
      change: item.change,
      before: item.before ? itemJson(item.before) : null,
      after: item.after ? itemJson(item.after) : null,
      deltaNet: item.deltaNet === undefined ? null : money(item.deltaNet),
    })),
  };
}
