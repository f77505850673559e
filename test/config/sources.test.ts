import { ConfigError, formatProblem } from "../../src/config/errors";
import {
  assertDeployableSources,
  checkDeployableSources,
  nonPublicReason,
} from "../../src/config/sourceRules";
import { key, parsedAfter, problemsAfter } from "./fixtures";

describe("firewall sources", () => {
  it.each([
    ["203.0.113.0/24", "a documentation range (RFC 5737)"],
    ["198.51.100.10/32", "a documentation range (RFC 5737)"],
    ["192.0.2.7", "a documentation range (RFC 5737)"],
    ["2001:db8::/48", "a documentation range (RFC 3849)"],
    ["10.0.0.0/8", "a private range (RFC 1918)"],
    ["172.20.1.0/24", "a private range (RFC 1918)"],
    ["192.168.1.10", "a private range (RFC 1918)"],
    ["100.64.0.0/10", "a carrier-grade NAT range (RFC 6598)"],
    ["fd00:1::/64", "a private range (RFC 4193)"],
    ["127.0.0.1/32", "loopback"],
    ["::1", "loopback"],
    ["169.254.10.0/24", "link-local"],
    ["fe80::1", "link-local"],
  ])("%s is not a public address: %s", (source, reason) => {
    expect(nonPublicReason(source)).toBe(reason);
  });

  it.each(["0.0.0.0/0", "::/0", "8.8.8.0/24", "2a01:4f8::/32", "95.216.10.1", "172.32.0.0/16", "11.0.0.0/8"])(
    "%s can be a public source",
    (source) => {
      expect(nonPublicReason(source)).toBeUndefined();
    },
  );

  it("does not call a range public because it is wider than a special one", () => {
    // 192.0.0.0/8 holds public addresses besides the documentation /24 inside it.
    expect(nonPublicReason("192.0.0.0/8")).toBeUndefined();
  });

  it("refuses documentation and private sources for a deployment, naming the key and the entry", () => {
    const config = parsedAfter((raw) => {
      raw[key("sshAllowedSources")] = ["95.216.10.1/32", "10.1.0.0/16"];
      raw[key("apiAllowedSources")] = ["203.0.113.0/24"];
    });
    expect(checkDeployableSources(config).map(formatProblem)).toEqual([
      expect.stringMatching(
        /^hetzner-k8s:sshAllowedSources\[1\]: 10\.1\.0\.0\/16 is a private range \(RFC 1918\), not a public address .*: put the public address/,
      ),
    ]);
    expect(() => assertDeployableSources(config)).toThrow(ConfigError);
  });

  it("checks apiAllowedSources only where the firewall applies them", () => {
    const firewalled = parsedAfter((raw) => {
      raw[key("sshAllowedSources")] = ["95.216.10.1/32"];
      raw[key("apiAllowedSources")] = ["203.0.113.0/24"];
      raw[key("apiExposure")] = "firewalled";
      raw[key("apiHostname")] = "api.dev.example.com";
    });
    expect(checkDeployableSources(firewalled).map((problem) => problem.path.join("."))).toEqual([
      "apiAllowedSources.0",
    ]);
  });

  it("keeps the shipped example stacks plannable: their documentation ranges only fail a deployment", () => {
    const shipped = parsedAfter(() => undefined);
    expect(checkDeployableSources(shipped).map((problem) => problem.path.join("."))).toEqual([
      "sshAllowedSources.0",
    ]);
  });

  it("refuses SSH from anywhere unless sshAllowAnywhere says so", () => {
    expect(problemsAfter((raw) => (raw[key("sshAllowedSources")] = ["95.216.10.1/32", "::/0"]))).toEqual([
      "hetzner-k8s:sshAllowedSources[1]: ::/0 opens SSH to the whole internet: list your own addresses, or set sshAllowAnywhere: true",
    ]);
    expect(
      problemsAfter((raw) => {
        raw[key("sshAllowedSources")] = ["0.0.0.0/0", "::/0"];
        raw[key("sshAllowAnywhere")] = true;
      }),
    ).toEqual([]);
    // The API may be open to everyone: its credentials protect it, and the load balancer cannot filter.
    expect(problemsAfter((raw) => (raw[key("apiAllowedSources")] = ["0.0.0.0/0"]))).toEqual([]);
  });
});
