import { isIPv6 } from "node:net";

/** IPv4 and CIDR arithmetic for validation and address planning (no dependency needed for this much). */

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  /** Number of addresses in the block. */
  size: number;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const IPV4 = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}$`);

export function parseIpv4(text: string): number | undefined {
  if (!IPV4.test(text)) return undefined;
  return text.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");
}

/** Parses `a.b.c.d/n`; returns a reason when the text is not a canonical IPv4 CIDR. */
export function parseCidr(text: string): Cidr | string {
  const [address, prefixText, ...rest] = text.split("/");
  if (rest.length > 0 || prefixText === undefined || !/^(0|[1-9]\d?)$/.test(prefixText)) {
    return `"${text}" is not an IPv4 CIDR (expected a.b.c.d/n)`;
  }
  const base = parseIpv4(address);
  const prefix = Number(prefixText);
  if (base === undefined || prefix > 32) return `"${text}" is not an IPv4 CIDR (expected a.b.c.d/n)`;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    return `"${text}" has host bits set; the network address is ${formatIpv4(base - (base % size))}/${prefix}`;
  }
  return { base, prefix, size };
}

export function cidrContains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function cidrContainsIp(cidr: Cidr, ip: number): boolean {
  return ip >= cidr.base && ip < cidr.base + cidr.size;
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

/** Sources for firewall rules: an IPv4/IPv6 address or CIDR. */
export function isSourceRange(text: string): boolean {
  if (text.includes(":")) {
    const [address, prefix, ...rest] = text.split("/");
    const validPrefix = prefix === undefined || (/^(0|[1-9]\d{0,2})$/.test(prefix) && Number(prefix) <= 128);
    return rest.length === 0 && validPrefix && isIPv6(address);
  }
  if (!text.includes("/")) return parseIpv4(text) !== undefined;
  return typeof parseCidr(text) !== "string";
}
