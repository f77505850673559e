import type { Location } from "./catalogue";

/**
 * Hetzner Cloud's monthly prices for what the program creates, embedded like the catalogue so that the
 * offline plan can show a stack's cost without an account.
 *
 * Every price is Hetzner's monthly cap (servers, IPs, load balancers and volumes are billed by the hour, never
 * above the cap), net of VAT, in EUR for every location: the Cloud API's price list has one currency for
 * all locations, EUR for an account in euros (the website also shows USD for the US). A price no source
 * gave is `undefined`, never guessed; the cost model reports such an item as "price unknown".
 *
 * Server prices are those of a server ordered now. Hetzner's adjustment of 2026-06-15 raised server prices
 * for new orders and rescales only (its announcement of 2026-05-27, as quoted on pastebin.com/GPkzvM77,
 * 2026-05-28); a server created before keeps its 2026-04-01 price until it is rescaled, so a running
 * cluster may pay less than shown. IPs, load balancers and volumes were left out of that adjustment: their
 * prices are those of 2026-04-01.
 *
 * Not priced, because the program does not create them or their amount depends on use: traffic beyond
 * what each server includes, backups (a percentage of the server price), snapshots, object storage (etcd
 * snapshots may go to a bucket), floating IPs, and load balancers that tenants' LoadBalancer Services would
 * make the cloud controller create.
 */

/** The newest day a source shows these prices in force (the list itself dates from 2026-06-15). */
export const PRICES_DATE = "2026-10-28";
export const PRICES_CURRENCY = "EUR";

/** A monthly net price per location; undefined where none was found. */
export type LocationPrices = Readonly<Record<Location, number | undefined>>;

export interface PriceTable {
  date: string;
  currency: string;
  /** Per server type, without the primary IPv4, which Hetzner bills as an item of its own. */
  servers: Readonly<Record<string, LocationPrices>>;
  /** Per load balancer type; the price includes the load balancer's own addresses. */
  loadBalancers: Readonly<Record<string, LocationPrices>>;
  /** A server's primary IPv4; primary IPv6 is free. */
  primaryIpv4: LocationPrices;
  /** Per GB of volume: the Cloud API's price list has one volume price, the same in every location. */
  volumePerGb: number | undefined;
}

const UNKNOWN: LocationPrices = {
  fsn1: undefined,
  nbg1: undefined,
  hel1: undefined,
  ash: undefined,
  hil: undefined,
  sin: undefined,
};

/** The same price in Falkenstein, Nuremberg and Helsinki; the other locations not found. */
function europe(price: number): LocationPrices {
  return { ...UNKNOWN, fsn1: price, nbg1: price, hel1: price };
}

/*
 * Servers in Europe. Hetzner's website shows each plan's price with one primary IPv4 included; its Cloud API
 * and its price-adjustment table (docs.hetzner.com/general/infrastructure-and-availability/price-adjustment)
 * list the server alone, €0.50 less. Taken without the IPv4:
 * - directly: cx23 5.49, cx33 8.49, cx43 15.99, cx53 29.49 (CanineHQ/canine#652, 2026-07-26, "post-June 2026
 *   EUR pricing"); cpx22 19.49, cax41 40.99, ccx13 42.99, ccx53 533.49 (the price-adjustment table as quoted
 *   in robhunter/agentdeals#1324, 2026-09-04); ccx13 42.99, ccx23 85.99, ccx33 138.49 (Hetzner's price API as
 *   read by moveinfra/eu-cloud-prices, data of 2026-10-28); cpx12 11.49 (€13.67 with 19% VAT in
 *   derhuerst's VPS benchmark gist, 2026-07-22);
 * - as the website's price less €0.50: cax11, cax21, cax31, cpx32, cpx42, cpx52, cpx62 (website prices read
 *   from Hetzner's website price API on 2026-09-03/04, robhunter/agentdeals#1181 and #1286) and ccx43, ccx63
 *   (mixxor/eu-cloud-prices prices/hetzner.json of 2026-08-17, gross at 19% VAT). Both sources also give
 *   every directly quoted price above as exactly €0.50 more, which is what the derivation rests on.
 * Outside Europe no price without the IPv4 was found: the website shows Singapore cpx12 €15.99 and cpx22
 * €26.99 and US-only cpx11 €17.99 (cpx21-cpx51 €32.49, €62.99, €120.99, €238.49) with an IPv4 whose price
 * there is unknown, and nothing for ccx in ash, hil or sin. Those stay undefined.
 */
const SERVERS: Record<string, LocationPrices> = {
  cx23: europe(5.49),
  cx33: europe(8.49),
  cx43: europe(15.99),
  cx53: europe(29.49),
  cpx12: europe(11.49),
  cpx22: europe(19.49),
  cpx32: europe(35.49),
  cpx42: europe(69.49),
  cpx52: europe(100.49),
  cpx62: europe(129.99),
  cpx11: UNKNOWN,
  cpx21: UNKNOWN,
  cpx31: UNKNOWN,
  cpx41: UNKNOWN,
  cpx51: UNKNOWN,
  cax11: europe(5.99),
  cax21: europe(10.49),
  cax31: europe(20.99),
  cax41: europe(40.99),
  ccx13: europe(42.99),
  ccx23: europe(85.99),
  ccx33: europe(138.49),
  ccx43: europe(275.99),
  ccx53: europe(533.49),
  ccx63: europe(853.49),
};

/*
 * lb11: €7.49 since 2026-04-01 (mixxor/eu-cloud-prices, from Hetzner's price-adjustment table, 2026-02-23,
 * €8.91 gross at 19%; €5.39 before). No 2026 price of lb21 or lb31 was found in any location.
 */
const LOAD_BALANCERS: Record<string, LocationPrices> = {
  lb11: europe(7.49),
  lb21: UNKNOWN,
  lb31: UNKNOWN,
};

/*
 * Primary IPv4 in Europe: €0.50, the difference between the website's and the API's price of every plan
 * above (2026-09); IPs were left out of the 2026-06-15 adjustment. Not found for ash, hil or sin.
 * Volumes: €0.0572 per GB since 2026-04-01, 30% above the €0.044 before (Hetzner's /v1/pricing as quoted in
 * devantler-tech/platform commit cb791c6, 2026-05-27; mixxor/eu-cloud-prices, €0.0681 gross at 19%).
 */
export const PRICES: PriceTable = {
  date: PRICES_DATE,
  currency: PRICES_CURRENCY,
  servers: SERVERS,
  loadBalancers: LOAD_BALANCERS,
  primaryIpv4: europe(0.5),
  volumePerGb: 0.0572,
};
