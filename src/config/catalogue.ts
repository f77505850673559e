/**
 * The part of Hetzner Cloud's catalogue the program validates against. Embedded rather than
 * fetched so that validation and the offline plan work without an account.
 *
 * A type's locations are where Hetzner sells it, not where it has stock right now: Hetzner runs out of a
 * type in a location for hours or weeks at a time (the API then answers resource_unavailable), which no
 * embedded list can know. Each fact below names where it was checked and the date that source reflects.
 */

/** The day the facts below were last checked against their sources. Refresh it with them. */
export const CATALOGUE_DATE = "2026-12-02";

export const NETWORK_ZONES = {
  fsn1: "eu-central",
  nbg1: "eu-central",
  hel1: "eu-central",
  ash: "us-east",
  hil: "us-west",
  sin: "ap-southeast",
} as const;

export type Location = keyof typeof NETWORK_ZONES;
export type NetworkZone = (typeof NETWORK_ZONES)[Location];
export const LOCATIONS = Object.keys(NETWORK_ZONES) as Location[];

export interface ServerSize {
  vcpus: number;
  memoryGb: number;
  diskGb: number;
  architecture: "x86" | "arm";
}

/** An end of sale Hetzner announced: from the day after `lastOrderDay` no new server of the type starts. */
export interface EndOfSale {
  /** ISO date of Hetzner's announcement. */
  announced: string;
  /** ISO date: the last day Hetzner accepted (or accepts) new servers of the type. */
  lastOrderDay: string;
  /** The current type to order instead: the same line's successor, with at least the memory. */
  replacement: string;
}

export interface ServerType extends ServerSize {
  /**
   * "available": sold, no end announced. "deprecated": still sold, but Hetzner has announced the last order
   * day in `deprecation`; existing servers keep running after it.
   */
  status: "available" | "deprecated";
  /** Locations where Hetzner sells this type. */
  locations: readonly Location[];
  deprecation?: EndOfSale;
  /** Locations where Hetzner has stopped selling the type while others still sell it. */
  retired?: EndOfSale & { locations: readonly Location[] };
}

/** A type Hetzner sells nowhere any more and whose name its API no longer accepts for new servers. */
export interface RemovedServerType extends ServerSize {
  status: "removed";
  removal: EndOfSale;
}

const EU: readonly Location[] = ["fsn1", "nbg1", "hel1"];
const EU_AND_SIN: readonly Location[] = ["fsn1", "nbg1", "hel1", "sin"];
const US: readonly Location[] = ["ash", "hil"];
const ALL: readonly Location[] = LOCATIONS;

function size(
  vcpus: number,
  memoryGb: number,
  diskGb: number,
  architecture: "x86" | "arm" = "x86",
): ServerSize {
  return { vcpus, memoryGb, diskGb, architecture };
}

function sold(
  server: ServerSize,
  locations: readonly Location[],
  retired?: ServerType["retired"],
): ServerType {
  return { ...server, status: "available", locations, ...(retired && { retired }) };
}

/*
 * The October 2025 generation change. Hetzner's Cloud API changelog entry of 2025-10-16 ("server types
 * deprecated", docs.hetzner.cloud/changelog) deprecated the CX Gen2 line (cx22-cx52) and the CPX Gen1
 * line (cpx11-cpx51), the latter per location (see gen1Cpx). The API's deprecation objects carry announced
 * 2025-10-16 and unavailable_after 2025-12-31 (as quoted in hcloud-talos/terraform-hcloud-talos#316,
 * 2025-10-22, and in a third-party note quoting a server_types response, 2026-04-15). Hetzner's own
 * integrations swapped both lines out of their docs, expecting them to leave the API when 2025 ended
 * (hetznercloud/terraform-provider-hcloud#1233, hetznercloud/packer-plugin-hcloud#317,
 * ansible-collections/hetzner.hcloud#718, all 2025-10-27/28).
 */
const GENERATION_CHANGE = { announced: "2025-10-16", lastOrderDay: "2025-12-31" } as const;

function gen1Cpx(server: ServerSize, replacement: string): ServerType {
  // Still sold in the US, where no CPX Gen2 is: the 2026-04-15 server_types quote has cpx21 available in
  // ash with no deprecation while deprecated in fsn1, and mid-2026 cluster notes (PittampalliOrg/stacks)
  // order cpx41/cpx51 in ash and hil because cpx42/cpx62 are not sold there. In Europe the API refuses
  // them for new servers (kubermatic/dashboard#7804, 2026-02-04: cpx21 in nbg1 and hel1;
  // Dakera-AI/dakera-deploy#186, 2026-06-15: cpx31 in fsn1 and nbg1). Singapore listed no CPX Gen1 after
  // the change (hetzner.com/cloud prices as transcribed on 2025-10-21).
  return sold(server, US, { ...GENERATION_CHANGE, replacement, locations: EU_AND_SIN });
}

/*
 * Sizes and locations: hetzner.com/cloud prices per location as transcribed on 2025-10-21
 * (tonoid/hcloud-multiregion-mongodb-replicaset, HETZNER_SERVERS.md), checked against later orders:
 * cpx32 orderable in fsn1, nbg1, hel1 and sin on 2026-07-15 (jikig-ai/soleur#6463); cx23 and cpx22 in
 * nbg1/hel1 listed as supported on 2026-02-04 (kubermatic/dashboard#7804). No newer line was found.
 */
export const SERVER_TYPES: Readonly<Record<string, ServerType>> = {
  // Cost-optimised shared vCPUs (Intel or AMD), CX Gen3 since October 2025: Europe only.
  cx23: sold(size(2, 4, 40), EU),
  cx33: sold(size(4, 8, 80), EU),
  cx43: sold(size(8, 16, 160), EU),
  cx53: sold(size(16, 32, 320), EU),
  // Regular-performance shared AMD vCPUs, CPX Gen2 since October 2025: Europe and Singapore, not the US;
  // the one-vCPU cpx12 only in Singapore.
  cpx12: sold(size(1, 2, 40), ["sin"]),
  cpx22: sold(size(2, 4, 80), EU_AND_SIN),
  cpx32: sold(size(4, 8, 160), EU_AND_SIN),
  cpx42: sold(size(8, 16, 320), EU_AND_SIN),
  cpx52: sold(size(12, 24, 480), EU_AND_SIN),
  cpx62: sold(size(16, 32, 640), EU_AND_SIN),
  // CPX Gen1: only in Ashburn and Hillsboro now (see gen1Cpx).
  cpx11: gen1Cpx(size(2, 2, 40), "cpx22"),
  cpx21: gen1Cpx(size(3, 4, 80), "cpx22"),
  cpx31: gen1Cpx(size(4, 8, 160), "cpx32"),
  cpx41: gen1Cpx(size(8, 16, 240), "cpx42"),
  cpx51: gen1Cpx(size(16, 32, 360), "cpx62"),
  // Shared Ampere ARM vCPUs: Europe only.
  cax11: sold(size(2, 4, 40, "arm"), EU),
  cax21: sold(size(4, 8, 80, "arm"), EU),
  cax31: sold(size(8, 16, 160, "arm"), EU),
  cax41: sold(size(16, 32, 320, "arm"), EU),
  // Dedicated AMD vCPUs: every location, Singapore included.
  ccx13: sold(size(2, 8, 80), ALL),
  ccx23: sold(size(4, 16, 160), ALL),
  ccx33: sold(size(8, 32, 240), ALL),
  ccx43: sold(size(16, 64, 360), ALL),
  ccx53: sold(size(32, 128, 600), ALL),
  ccx63: sold(size(48, 192, 960), ALL),
};

function removed(server: ServerSize, replacement: string): RemovedServerType {
  return { ...server, status: "removed", removal: { ...GENERATION_CHANGE, replacement } };
}

/*
 * CX Gen2, sold only in Europe, is gone from the API: cx22 refused as of 2026-01-02
 * (testflows/TestFlows-GitHub-Hetzner-Runners#96), cx32 no longer supported by 2026-02-17
 * (kubermatic/kubermatic#15494) and unknown to the API on 2026-06-15 (Dakera-AI/dakera-deploy#187).
 * Existing servers of these types keep running; none can be created.
 */
export const REMOVED_SERVER_TYPES: Readonly<Record<string, RemovedServerType>> = {
  cx22: removed(size(2, 4, 40), "cx23"),
  cx32: removed(size(4, 8, 80), "cx33"),
  cx42: removed(size(8, 16, 160), "cx43"),
  cx52: removed(size(16, 32, 320), "cx53"),
};

/** The size of a server type, sold or removed: a running server of a removed type keeps its size. */
export function serverSizeOf(name: string): ServerSize | undefined {
  if (Object.hasOwn(SERVER_TYPES, name)) return SERVER_TYPES[name];
  return Object.hasOwn(REMOVED_SERVER_TYPES, name) ? REMOVED_SERVER_TYPES[name] : undefined;
}

export interface LoadBalancerType {
  /** Targets it can have; every server a label-selector target matches counts as one. */
  maxTargets: number;
  maxServices: number;
  maxCertificates: number;
}

/*
 * Load-balancer limits as the Cloud API's load_balancer_types report them: lb11 25 targets, 5 services,
 * 10 certificates and lb21 75, 15, 25 (API reference samples, as reused in hcloud client test fixtures);
 * lb31 150 targets (a third-party pricing note) with 30 services and 50 certificates (hetzner.com/cloud/
 * load-balancer, not re-checked for this date).
 */
export const LOAD_BALANCER_TYPES: Readonly<Record<string, LoadBalancerType>> = {
  lb11: { maxTargets: 25, maxServices: 5, maxCertificates: 10 },
  lb21: { maxTargets: 75, maxServices: 15, maxCertificates: 25 },
  lb31: { maxTargets: 150, maxServices: 30, maxCertificates: 50 },
};

/** Hetzner's limits that validation enforces. */
export const HETZNER_LIMITS = {
  volumeMinGb: 10,
  volumeMaxGb: 10240,
  serversPerNetwork: 100,
  serversPerPlacementGroup: 10,
} as const;
