/**
 * The part of Hetzner Cloud's catalogue the program validates against. Embedded rather than
 * fetched so that validation and the offline plan work without an account.
 */

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

export interface ServerType {
  vcpus: number;
  memoryGb: number;
  diskGb: number;
  architecture: "x86" | "arm";
  /** Locations where Hetzner sells this type. */
  locations: readonly Location[];
}

const EU: readonly Location[] = ["fsn1", "nbg1", "hel1"];
const ALL: readonly Location[] = LOCATIONS;
// Singapore does not sell the dedicated-vCPU line.
const NOT_SIN: readonly Location[] = ["fsn1", "nbg1", "hel1", "ash", "hil"];

function type(
  vcpus: number,
  memoryGb: number,
  diskGb: number,
  locations: readonly Location[],
  architecture: "x86" | "arm" = "x86",
): ServerType {
  return { vcpus, memoryGb, diskGb, architecture, locations };
}

export const SERVER_TYPES: Readonly<Record<string, ServerType>> = {
  // Shared Intel (cost-optimised), EU only.
  cx22: type(2, 4, 40, EU),
  cx32: type(4, 8, 80, EU),
  cx42: type(8, 16, 160, EU),
  cx52: type(16, 32, 320, EU),
  cx23: type(2, 4, 40, EU),
  cx33: type(4, 8, 80, EU),
  cx43: type(8, 16, 160, EU),
  cx53: type(16, 32, 320, EU),
  // Shared AMD (regular performance), every location.
  cpx11: type(2, 2, 40, ALL),
  cpx21: type(3, 4, 80, ALL),
  cpx31: type(4, 8, 160, ALL),
  cpx41: type(8, 16, 240, ALL),
  cpx51: type(16, 32, 360, ALL),
  cpx12: type(1, 2, 40, ALL),
  cpx22: type(2, 4, 80, ALL),
  cpx32: type(4, 8, 160, ALL),
  cpx42: type(8, 16, 320, ALL),
  cpx52: type(12, 24, 480, ALL),
  cpx62: type(16, 32, 640, ALL),
  // Shared Ampere ARM, EU only.
  cax11: type(2, 4, 40, EU, "arm"),
  cax21: type(4, 8, 80, EU, "arm"),
  cax31: type(8, 16, 160, EU, "arm"),
  cax41: type(16, 32, 320, EU, "arm"),
  // Dedicated AMD vCPUs.
  ccx13: type(2, 8, 80, NOT_SIN),
  ccx23: type(4, 16, 160, NOT_SIN),
  ccx33: type(8, 32, 240, NOT_SIN),
  ccx43: type(16, 64, 360, NOT_SIN),
  ccx53: type(32, 128, 600, NOT_SIN),
  ccx63: type(48, 192, 960, NOT_SIN),
};

export const LOAD_BALANCER_TYPES = ["lb11", "lb21", "lb31"] as const;

/** Hetzner's limits that validation enforces. */
export const HETZNER_LIMITS = {
  volumeMinGb: 10,
  volumeMaxGb: 10240,
  serversPerNetwork: 100,
  serversPerPlacementGroup: 10,
} as const;
