import { HETZNER_LIMITS, LOCATIONS, type Location } from "../config/catalogue";
import { PRICES, type LocationPrices, type PriceTable } from "../config/prices";
import { locationOf, type NodePoolConfig, type StackConfig } from "../config/schema";
import { buildLoadBalancers } from "./network";

/** What a stack costs per month at Hetzner's list prices: pure, from the validated config alone. */

export type CostKind = "server" | "primary-ipv4" | "volume" | "load-balancer";

export interface CostItem {
  kind: CostKind;
  /** What it is for: the node, the load balancer ("api", "ingress") or the platform claim ("prometheus"). */
  resource: string;
  /** What Hetzner bills: the server or load balancer type, "IPv4", or the volume size ("20 GB"). */
  product: string;
  location: Location;
  /** True for a volume the CSI driver creates for a platform claim (the claim's owner is `resource`). */
  claim?: boolean;
  /** The monthly cap, net of VAT; undefined when the price table has no price for it. */
  monthlyNet: number | undefined;
}

export interface LocationCost {
  location: Location;
  net: number;
  gross: number;
  /** Items here whose price is unknown, left out of `net` and `gross`. */
  unknown: number;
}

export interface CostBreakdown {
  pricesDate: string;
  currency: string;
  /** The VAT rate `gross` was computed with, as a fraction (0.19 for 19%). */
  vatRate: number;
  /** Node by node in stack-file order (server, IPv4, volume), then load balancers, then claims. */
  items: CostItem[];
  /** In catalogue order, only locations that have items. */
  locations: LocationCost[];
  /** Of the items with a known price: a lower bound while `unknown` is not empty. */
  net: number;
  gross: number;
  unknown: CostItem[];
  /** With autoscaled pools (counted at their min): what they add, net, at their max. */
  autoscaledMaxExtraNet?: number;
}

export interface CostOptions {
  /** As a fraction; it depends on the customer's country and status. @default DEFAULT_VAT_RATE */
  vatRate?: number;
  prices?: PriceTable;
}

/**
 * Germany's rate, Hetzner's seat, which its German customers pay. Businesses elsewhere in the EU usually pay
 * none (reverse charge), consumers elsewhere in the EU their own country's rate, customers outside the EU none.
 */
export const DEFAULT_VAT_RATE = 0.19;

/**
 * Alertmanager's claim in Gi, as charts/kube-prometheus-stack/values.yaml requests it (a test keeps the two
 * equal). Prometheus's claim is prometheusStorageGb; Grafana has no persistence and Rancher no claim.
 */
export const ALERTMANAGER_CLAIM_GI = 2;

function priceIn(table: Readonly<Record<string, LocationPrices>>, name: string, location: Location) {
  return Object.hasOwn(table, name) ? table[name][location] : undefined;
}

function volume(resource: string, sizeGb: number, location: Location, prices: PriceTable): CostItem {
  const monthlyNet = prices.volumePerGb === undefined ? undefined : sizeGb * prices.volumePerGb;
  return { kind: "volume", resource, product: `${sizeGb} GB`, location, monthlyNet };
}

/**
 * The claims the hcloud CSI driver turns into Hetzner volumes: only while hcloud-volumes is the default
 * class, which Prometheus's claim names and Alertmanager's takes by default. The driver sizes in GiB as
 * Hetzner's "GB", with Hetzner's 10 GB minimum. Tenants' storage quotas are limits on claims tenants may
 * make, not volumes the program creates, so they are not counted.
 */
function platformClaims(config: StackConfig): { resource: string; sizeGb: number }[] {
  const hcloudDefault = config.hcloudCsiEnabled && config.defaultStorageClass === "hcloud-volumes";
  if (!config.monitoringEnabled || !hcloudDefault) return [];
  return [
    { resource: "prometheus", sizeGb: config.prometheusStorageGb },
    { resource: "alertmanager", sizeGb: ALERTMANAGER_CLAIM_GI },
  ].map((claim) => ({ ...claim, sizeGb: Math.max(Math.ceil(claim.sizeGb), HETZNER_LIMITS.volumeMinGb) }));
}

/** An autoscaled pool's first `count` servers, with their IPv4 addresses (the cluster-autoscaler asks for both). */
function autoscaledItems(
  config: StackConfig,
  pool: NodePoolConfig,
  count: number,
  prices: PriceTable,
): CostItem[] {
  const location = locationOf(config, pool) as Location;
  return Array.from({ length: count }, (_, index) => `${pool.name} (autoscaled ${index + 1})`).flatMap(
    (resource): CostItem[] => [
      {
        kind: "server",
        resource,
        product: pool.serverType,
        location,
        monthlyNet: priceIn(prices.servers, pool.serverType, location),
      },
      // Private nodes have no public addresses (the cluster-autoscaler's HCLOUD_PUBLIC_IPV4 is false).
      ...(config.privateNodes
        ? []
        : [
            {
              kind: "primary-ipv4" as const,
              resource,
              product: "IPv4",
              location,
              monthlyNet: prices.primaryIpv4[location],
            },
          ]),
    ],
  );
}

/** What the autoscaled pools add on top of the breakdown, net, when every one runs at its max. */
export function autoscaledMaxExtraNet(config: StackConfig, prices: PriceTable = PRICES): number | undefined {
  const extra = config.nodePools.flatMap((pool) =>
    pool.autoscaling
      ? autoscaledItems(config, pool, pool.autoscaling.max - pool.autoscaling.min, prices)
      : [],
  );
  if (!config.nodePools.some((pool) => pool.autoscaling)) return undefined;
  return sumNet(extra);
}

export function costItems(config: StackConfig, prices: PriceTable = PRICES): CostItem[] {
  const clusterLocation = config.location as Location;
  const items: CostItem[] = [];
  for (const node of config.nodes) {
    const location = locationOf(config, node) as Location;
    const server = priceIn(prices.servers, node.serverType, location);
    items.push({
      kind: "server",
      resource: node.name,
      product: node.serverType,
      location,
      monthlyNet: server,
    });
    // Every server but a private node has a public IPv4 (src/infra/node.ts), which Hetzner bills as a
    // primary IP of its own (docs.hetzner.com/cloud/servers/primary-ips/overview: €0.50 a month).
    const ipv4 = prices.primaryIpv4[location];
    if (!config.privateNodes)
      items.push({ kind: "primary-ipv4", resource: node.name, product: "IPv4", location, monthlyNet: ipv4 });
    if (node.volumeSizeGb !== undefined) items.push(volume(node.name, node.volumeSizeGb, location, prices));
  }
  for (const pool of config.nodePools)
    if (pool.autoscaling) items.push(...autoscaledItems(config, pool, pool.autoscaling.min, prices));
  if (config.privateNodes) {
    const product = config.gatewayServerType;
    const monthlyNet = priceIn(prices.servers, product, clusterLocation);
    items.push({ kind: "server", resource: "gateway", product, location: clusterLocation, monthlyNet });
    const ipv4 = prices.primaryIpv4[clusterLocation];
    items.push({
      kind: "primary-ipv4",
      resource: "gateway",
      product: "IPv4",
      location: clusterLocation,
      monthlyNet: ipv4,
    });
  }
  // The API load balancer exists even when private-only (firewalled API); Hetzner bills it the same.
  for (const { name, type } of buildLoadBalancers(config)) {
    const monthlyNet = priceIn(prices.loadBalancers, type, clusterLocation);
    items.push({
      kind: "load-balancer",
      resource: name,
      product: type,
      location: clusterLocation,
      monthlyNet,
    });
  }
  // A claim's volume is created where its pod runs; any location of the zone costs the same.
  for (const claim of platformClaims(config)) {
    items.push({ ...volume(claim.resource, claim.sizeGb, clusterLocation, prices), claim: true });
  }
  return items;
}

/** Sums in ten-thousandths of a euro, exact for the table's prices, so no float error reaches the cents. */
export function sumNet(items: readonly CostItem[]): number {
  return items.reduce((sum, item) => sum + Math.round((item.monthlyNet ?? 0) * 10000), 0) / 10000;
}

export function computeCost(config: StackConfig, options: CostOptions = {}): CostBreakdown {
  const prices = options.prices ?? PRICES;
  const vatRate = options.vatRate ?? DEFAULT_VAT_RATE;
  if (!Number.isFinite(vatRate) || vatRate < 0)
    throw new Error(`VAT rate must be a fraction >= 0, not ${vatRate}`);
  const items = costItems(config, prices);
  const gross = (net: number) => net * (1 + vatRate);
  const locations = LOCATIONS.flatMap((location): LocationCost[] => {
    const here = items.filter((item) => item.location === location);
    if (here.length === 0) return [];
    const net = sumNet(here);
    const unknown = here.filter((item) => item.monthlyNet === undefined).length;
    return [{ location, net, gross: gross(net), unknown }];
  });
  const net = sumNet(items);
  const unknown = items.filter((item) => item.monthlyNet === undefined);
  return {
    pricesDate: prices.date,
    currency: prices.currency,
    vatRate,
    items,
    locations,
    net,
    gross: gross(net),
    unknown,
    ...(autoscaledMaxExtraNet(config, prices) !== undefined && {
      autoscaledMaxExtraNet: autoscaledMaxExtraNet(config, prices),
    }),
  };
}

export interface CostItemChange {
  change: "added" | "removed" | "changed";
  before?: CostItem;
  after?: CostItem;
  /** After minus before, net; undefined when a price on either side is unknown. */
  deltaNet: number | undefined;
}

export interface CostChange {
  before: CostBreakdown;
  after: CostBreakdown;
  /**
   * The sum of the items' deltas whose prices are known on both sides. The totals' difference would count
   * an item whose price became unknown as removed, so it is not used.
   */
  deltaNet: number;
  deltaGross: number;
  /** Item changes left out of `deltaNet` and `deltaGross` because a price is unknown. */
  unknown: number;
  /** Changed and removed items in the order of `before`, then added ones in the order of `after`. */
  items: CostItemChange[];
}

/** An item keeps its identity across stack files by what it is and what it is for, as resources do. */
const identity = (item: CostItem) => `${item.kind}/${item.claim ? "claim/" : ""}${item.resource}`;

const priceOf = (item: CostItem | undefined) => (item ? item.monthlyNet : 0);

function delta(before: CostItem | undefined, after: CostItem | undefined): number | undefined {
  const [old, now] = [priceOf(before), priceOf(after)];
  if (old === undefined || now === undefined) return undefined;
  return (Math.round(now * 10000) - Math.round(old * 10000)) / 10000;
}

export function diffCost(before: CostBreakdown, after: CostBreakdown): CostChange {
  const afterById = new Map(after.items.map((item) => [identity(item), item]));
  const beforeIds = new Set(before.items.map(identity));
  const items: CostItemChange[] = [];
  const change = (kind: CostItemChange["change"], old?: CostItem, now?: CostItem) =>
    items.push({ change: kind, before: old, after: now, deltaNet: delta(old, now) });
  for (const old of before.items) {
    const now = afterById.get(identity(old));
    if (!now) change("removed", old, undefined);
    else if (
      now.product !== old.product ||
      now.location !== old.location ||
      now.monthlyNet !== old.monthlyNet
    )
      change("changed", old, now);
  }
  for (const now of after.items) if (!beforeIds.has(identity(now))) change("added", undefined, now);
  const known = items.filter((item) => item.deltaNet !== undefined);
  const deltaNet = known.reduce((sum, item) => sum + Math.round((item.deltaNet ?? 0) * 10000), 0) / 10000;
  const gross = (item: CostItem | undefined, vatRate: number) => (priceOf(item) ?? 0) * (1 + vatRate);
  const deltaGross = known.reduce(
    (sum, item) => sum + gross(item.after, after.vatRate) - gross(item.before, before.vatRate),
    0,
  );
  return { before, after, deltaNet, deltaGross, unknown: items.length - known.length, items };
}
