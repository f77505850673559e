import fc from "fast-check";
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

const address = fc.integer({ min: 0, max: 2 ** 32 - 1 });
const octets = fc.tuple(...Array.from({ length: 4 }, () => fc.integer({ min: 0, max: 255 })));

/** A valid CIDR: a random address with its host bits cleared. */
const cidrArb = fc.record({ ip: address, prefix: fc.integer({ min: 0, max: 32 }) }).map(({ ip, prefix }) => {
  const size = 2 ** (32 - prefix);
  return { text: `${formatIpv4(ip - (ip % size))}/${prefix}`, base: ip - (ip % size), prefix, size };
});

function parsed(text: string): Cidr {
  const result = parseCidr(text);
  if (typeof result === "string") throw new Error(result);
  return result;
}

/** Independent oracle with 32-bit masks: `inner` lies in `outer` iff it is as specific and shares the prefix. */
function maskContains(outer: Cidr, inner: Cidr): boolean {
  const mask = outer.prefix === 0 ? 0 : (0xffffffff << (32 - outer.prefix)) >>> 0;
  return inner.prefix >= outer.prefix && (inner.base & mask) >>> 0 === outer.base;
}

describe("ipv4 properties", () => {
  it("formatIpv4(parseIpv4(x)) round-trips any dotted quad", () => {
    fc.assert(
      fc.property(octets, (parts) => {
        const text = parts.join(".");
        const value = parseIpv4(text);
        expect(value).toBe(((parts[0] * 256 + parts[1]) * 256 + parts[2]) * 256 + parts[3]);
        expect(formatIpv4(value as number)).toBe(text);
      }),
    );
  });

  it("parseIpv4(formatIpv4(n)) round-trips any 32-bit address", () => {
    fc.assert(fc.property(address, (value) => parseIpv4(formatIpv4(value)) === value));
  });

  it("parseCidr reads back every canonical CIDR, and isSourceRange accepts it", () => {
    fc.assert(
      fc.property(cidrArb, ({ text, base, prefix, size }) => {
        expect(parseCidr(text)).toEqual({ base, prefix, size });
        expect(isSourceRange(text)).toBe(true);
      }),
    );
  });

  it("parseCidr rejects any address with host bits set and names the network address", () => {
    fc.assert(
      fc.property(cidrArb, fc.integer({ min: 1, max: 2 ** 31 }), ({ base, prefix, size }, offset) => {
        fc.pre(size > 1);
        const ip = base + (offset % (size - 1)) + 1;
        expect(parseCidr(`${formatIpv4(ip)}/${prefix}`)).toBe(
          `"${formatIpv4(ip)}/${prefix}" has host bits set; the network address is ${formatIpv4(base)}/${prefix}`,
        );
      }),
    );
  });

  it("cidrsOverlap is symmetric", () => {
    fc.assert(
      fc.property(
        cidrArb,
        cidrArb,
        (a, b) =>
          cidrsOverlap(parsed(a.text), parsed(b.text)) === cidrsOverlap(parsed(b.text), parsed(a.text)),
      ),
    );
  });

  it("cidrContains implies overlap, and CIDRs overlap only when one contains the other", () => {
    fc.assert(
      fc.property(cidrArb, cidrArb, (a, b) => {
        const [x, y] = [parsed(a.text), parsed(b.text)];
        if (cidrContains(x, y)) expect(cidrsOverlap(x, y)).toBe(true);
        expect(cidrsOverlap(x, y)).toBe(cidrContains(x, y) || cidrContains(y, x));
      }),
    );
  });

  it("cidrContains agrees with a bit-mask oracle", () => {
    fc.assert(
      fc.property(
        cidrArb,
        cidrArb,
        (a, b) => cidrContains(parsed(a.text), parsed(b.text)) === maskContains(a, b),
      ),
    );
  });

  it("cidrContainsIp holds exactly for addresses that share the prefix", () => {
    fc.assert(
      fc.property(cidrArb, address, (block, ip) => {
        const single = { base: ip, prefix: 32, size: 1 };
        expect(cidrContainsIp(parsed(block.text), ip)).toBe(maskContains(block, single));
      }),
    );
  });
});
