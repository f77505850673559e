import { BlockList, isIPv6 } from "node:net";
import { ConfigError, type ConfigProblem } from "./errors";
import type { StackConfig } from "./schema";

/**
 * Rules for the firewall sources, which must be the public addresses of the people and machines that
 * reach SSH and the API. A range that no such client can have (a documentation example, a private or
 * loopback range) passes the firewall for nobody: the first `pulumi up` would create billed servers and
 * then retry SSH for minutes.
 */

const SOURCE_KEYS = ["sshAllowedSources", "apiAllowedSources"] as const;
const ANYWHERE = new Set(["0.0.0.0/0", "::/0"]);

interface SpecialRange {
  cidr: string;
  what: string;
}

// IANA special-purpose registries (RFC 6890 and the RFCs named): ranges that never hold a client's
// public address on the internet.
const SPECIAL_RANGES: readonly SpecialRange[] = [
  { cidr: "192.0.2.0/24", what: "a documentation range (RFC 5737)" },
  { cidr: "198.51.100.0/24", what: "a documentation range (RFC 5737)" },
  { cidr: "203.0.113.0/24", what: "a documentation range (RFC 5737)" },
  { cidr: "2001:db8::/32", what: "a documentation range (RFC 3849)" },
  { cidr: "10.0.0.0/8", what: "a private range (RFC 1918)" },
  { cidr: "172.16.0.0/12", what: "a private range (RFC 1918)" },
  { cidr: "192.168.0.0/16", what: "a private range (RFC 1918)" },
  { cidr: "100.64.0.0/10", what: "a carrier-grade NAT range (RFC 6598)" },
  { cidr: "fc00::/7", what: "a private range (RFC 4193)" },
  { cidr: "127.0.0.0/8", what: "loopback" },
  { cidr: "::1/128", what: "loopback" },
  { cidr: "169.254.0.0/16", what: "link-local" },
  { cidr: "fe80::/10", what: "link-local" },
  { cidr: "0.0.0.0/8", what: "an unspecified address" },
];

function splitSource(source: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } {
  const [address, prefix] = source.split("/");
  const family = isIPv6(address) ? "ipv6" : "ipv4";
  return { address, prefix: prefix === undefined ? (family === "ipv6" ? 128 : 32) : Number(prefix), family };
}

/** What makes a source unusable as a client's public address, or undefined when it can be one. */
export function nonPublicReason(source: string): string | undefined {
  if (ANYWHERE.has(source)) return undefined;
  const { address, prefix, family } = splitSource(source);
  for (const range of SPECIAL_RANGES) {
    const special = splitSource(range.cidr);
    if (special.family !== family || prefix < special.prefix) continue;
    const list = new BlockList();
    list.addSubnet(special.address, special.prefix, family);
    if (list.check(address, family)) return range.what;
  }
  return undefined;
}

/**
 * Config rules, checked everywhere: SSH open to the whole internet needs sshAllowAnywhere, so that it is a
 * decision somebody wrote down rather than a copied example.
 */
export function checkSourceScope(config: StackConfig): ConfigProblem[] {
  if (config.sshAllowAnywhere) return [];
  return config.sshAllowedSources.flatMap((source, index) =>
    ANYWHERE.has(source)
      ? [
          {
            path: ["sshAllowedSources", index],
            message: `${source} opens SSH to the whole internet: list your own addresses, or set sshAllowAnywhere: true`,
          },
        ]
      : [],
  );
}

/**
 * Rules for a deployment (`pulumi preview` and `pulumi up`): every source must be able to be a client's
 * public address. The offline plan reports them as warnings, so the shipped example stacks can be tried
 * before they hold real addresses.
 */
export function checkDeployableSources(config: StackConfig): ConfigProblem[] {
  // apiAllowedSources filters nothing while the API is public on its load balancer.
  const keys = SOURCE_KEYS.filter(
    (key) => key === "sshAllowedSources" || config.apiExposure === "firewalled",
  );
  return keys.flatMap((key) =>
    config[key].flatMap((source, index) => {
      const reason = nonPublicReason(source);
      return reason === undefined
        ? []
        : [
            {
              path: [key, index],
              message: `${source} is ${reason}, not a public address anyone connects from: put the public address (or range) of your office, VPN or CI runners here`,
            },
          ];
    }),
  );
}

/** Throws a ConfigError listing every source a deployment cannot use, before any resource is registered. */
export function assertDeployableSources(config: StackConfig): void {
  const problems = checkDeployableSources(config);
  if (problems.length > 0) throw new ConfigError(problems);
}
