import {
  cidrContains,
  cidrContainsIp,
  cidrsOverlap,
  formatIpv4,
  isSourceRange,
  parseCidr,
  parseIpv4,
  type Cidr,
} from "../../src/config/ipv4";

function cidr(text: string): Cidr {
  const parsed = parseCidr(text);
  if (typeof parsed === "string") throw new Error(parsed);
  return parsed;
}

describe("parseIpv4", () => {
  it.each([
    ["0.0.0.0", 0],
    ["10.0.1.10", 10 * 2 ** 24 + 1 * 2 ** 8 + 10],
    ["192.168.0.1", 3232235521],
    ["255.255.255.255", 2 ** 32 - 1],
  ])("reads %s as %d", (text, value) => {
    expect(parseIpv4(text)).toBe(value);
  });

  it.each([
    "",
    "10.0.1",
    "10.0.1.1.1",
    "256.0.0.1",
    "10.0.1.300",
    "010.0.0.1",
    "01.0.0.1",
    "1.2.3.04",
    "10.0.0.-1",
    " 10.0.0.1",
    "a.b.c.d",
  ])("rejects %j", (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});

describe("formatIpv4", () => {
  it.each([
    [0, "0.0.0.0"],
    [167772426, "10.0.1.10"],
    [2 ** 32 - 1, "255.255.255.255"],
  ])("writes %d as %s", (value, text) => {
    expect(formatIpv4(value)).toBe(text);
  });
});

describe("parseCidr", () => {
  it("reads a canonical CIDR", () => {
    expect(parseCidr("10.0.1.0/24")).toEqual({ base: parseIpv4("10.0.1.0"), prefix: 24, size: 256 });
  });

  it("reads the whole address space and single hosts", () => {
    expect(parseCidr("0.0.0.0/0")).toEqual({ base: 0, prefix: 0, size: 2 ** 32 });
    expect(parseCidr("203.0.113.7/32")).toEqual({ base: parseIpv4("203.0.113.7"), prefix: 32, size: 1 });
  });

  it.each([
    "10.0.0.0",
    "10.0.0.0/",
    "10.0.0.0/33",
    "10.0.0.0/1/2",
    "10.0.0/16",
    "/16",
    "10.0.0.0/x",
    "10.0.0.0/-1",
  ])("rejects %j as not a CIDR", (text) => {
    expect(parseCidr(text)).toBe(`"${text}" is not an IPv4 CIDR (expected a.b.c.d/n)`);
  });

  it("rejects host bits and names the network address", () => {
    expect(parseCidr("10.0.1.0/16")).toBe(
      '"10.0.1.0/16" has host bits set; the network address is 10.0.0.0/16',
    );
    expect(parseCidr("203.0.113.7/24")).toBe(
      '"203.0.113.7/24" has host bits set; the network address is 203.0.113.0/24',
    );
  });
});

describe("CIDR relations", () => {
  it("contains a block inside it, including itself and its last sub-block", () => {
    expect(cidrContains(cidr("10.0.0.0/16"), cidr("10.0.1.0/24"))).toBe(true);
    expect(cidrContains(cidr("10.0.0.0/16"), cidr("10.0.255.0/24"))).toBe(true);
    expect(cidrContains(cidr("10.0.0.0/16"), cidr("10.0.0.0/16"))).toBe(true);
    expect(cidrContains(cidr("0.0.0.0/0"), cidr("255.255.255.255/32"))).toBe(true);
  });

  it("does not contain a larger, adjacent or disjoint block", () => {
    expect(cidrContains(cidr("10.0.1.0/24"), cidr("10.0.0.0/16"))).toBe(false);
    expect(cidrContains(cidr("10.0.0.0/16"), cidr("10.1.0.0/24"))).toBe(false);
    expect(cidrContains(cidr("10.0.0.0/16"), cidr("9.255.255.0/24"))).toBe(false);
  });

  it("contains exactly the addresses from base to broadcast", () => {
    const subnet = cidr("10.0.1.0/24");
    expect(cidrContainsIp(subnet, parseIpv4("10.0.1.0") as number)).toBe(true);
    expect(cidrContainsIp(subnet, parseIpv4("10.0.1.255") as number)).toBe(true);
    expect(cidrContainsIp(subnet, parseIpv4("10.0.0.255") as number)).toBe(false);
    expect(cidrContainsIp(subnet, parseIpv4("10.0.2.0") as number)).toBe(false);
  });

  it("detects overlap but not adjacency", () => {
    expect(cidrsOverlap(cidr("10.0.0.0/16"), cidr("10.0.128.0/17"))).toBe(true);
    expect(cidrsOverlap(cidr("10.42.0.0/16"), cidr("10.0.0.0/8"))).toBe(true);
    expect(cidrsOverlap(cidr("10.0.0.0/16"), cidr("10.1.0.0/16"))).toBe(false);
    expect(cidrsOverlap(cidr("10.42.0.0/16"), cidr("10.43.0.0/16"))).toBe(false);
  });
});

describe("isSourceRange", () => {
  it.each(["203.0.113.7", "203.0.113.0/24", "0.0.0.0/0", "::/0", "2001:db8::/32", "2001:db8::1"])(
    "accepts %j",
    (text) => {
      expect(isSourceRange(text)).toBe(true);
    },
  );

  it.each(["", "example.com", "203.0.113.7/24", "203.0.113.0/33", "300.0.0.1", "2001:db8::/129", "any"])(
    "rejects %j",
    (text) => {
      expect(isSourceRange(text)).toBe(false);
    },
  );
});
