import { ConfigError } from "../../src/config/errors";
import { parseStackConfig, type RawConfig } from "../../src/config/load";
import { devRaw, key, nodesOf, parsedAfter, problemsAfter, problemsOf, removeKey } from "./fixtures";

/** The raw config as the Pulumi engine hands it over: strings as text, everything else as JSON text. */
function asEngineText(raw: RawConfig): RawConfig {
  return Object.fromEntries(
    Object.entries(raw).map(([name, value]) => [
      name,
      typeof value === "string" ? value : JSON.stringify(value),
    ]),
  );
}

describe("keys", () => {
  it("rejects an unknown top-level key and suggests the nearest known one", () => {
    const lines = problemsAfter((raw) => {
      raw[key("nodez")] = raw[key("nodes")];
      removeKey(raw, key("nodes"));
    });
    expect(lines).toEqual([
      'hetzner-k8s:nodez: unknown key, did you mean "nodes"?',
      "hetzner-k8s:nodes: required: the list of nodes",
    ]);
  });

  it("says where the known keys are when no known key is close", () => {
    expect(problemsAfter((raw) => (raw[key("colour")] = "blue"))).toEqual([
      "hetzner-k8s:colour: unknown key (the known keys are declared in Pulumi.yaml)",
    ]);
  });

  it("rejects an unknown key inside a node (and reports the key it replaced as missing)", () => {
    const lines = problemsAfter((_, nodes) => {
      nodes[0].serverTyp = nodes[0].serverType;
      delete nodes[0].serverType;
    });
    expect(lines).toContain('hetzner-k8s:nodes[0].serverTyp: unknown key, did you mean "serverType"?');
    expect(lines).toContainEqual(expect.stringMatching(/^hetzner-k8s:nodes\[0\]\.serverType: /));
    expect(lines).toHaveLength(2);
  });

  it("requires the node list", () => {
    expect(problemsAfter((raw) => removeKey(raw, key("nodes")))).toEqual([
      "hetzner-k8s:nodes: required: the list of nodes",
    ]);
  });

  it("ignores keys of other namespaces", () => {
    const raw = { ...devRaw(), "hcloud:token": "not-a-real-token", "kubernetes:context": "x" };
    expect(problemsOf(raw)).toEqual([]);
    expect(parseStackConfig(raw)).toEqual(parseStackConfig(devRaw()));
  });
});

describe("scalar values", () => {
  it("rejects text that is not an OpenSSH public key", () => {
    const lines = problemsAfter(
      (raw) => (raw[key("sshPublicKeys")] = ["ssh-ed25519 AAAAC3Nz you@laptop", "hunter2"]),
    );
    expect(lines).toEqual([
      'hetzner-k8s:sshPublicKeys[1]: is not an OpenSSH public key (expected e.g. "ssh-ed25519 AAAA... you@laptop")',
    ]);
  });

  it("rejects an unknown load balancer type", () => {
    expect(problemsAfter((raw) => (raw[key("loadBalancerType")] = "lb99"))).toEqual([
      'hetzner-k8s:loadBalancerType: unknown load balancer type "lb99" (expected one of lb11, lb21, lb31)',
    ]);
  });

  it("rejects a bad apiExposure value", () => {
    expect(problemsAfter((raw) => (raw[key("apiExposure")] = "public"))).toEqual([
      'hetzner-k8s:apiExposure: must be "load-balancer" or "firewalled", got "public"',
    ]);
  });

  it("rejects a cluster name that is not a DNS label of at most 20 characters", () => {
    expect(problemsAfter((raw) => (raw[key("clusterName")] = "Dev"))).toEqual([
      expect.stringMatching(/^hetzner-k8s:clusterName: must be a DNS-1123 label/),
    ]);
    expect(problemsAfter((raw) => (raw[key("clusterName")] = "c".repeat(21)))).toEqual([
      `hetzner-k8s:clusterName: must be at most 20 characters, got "${"c".repeat(21)}"`,
    ]);
  });
});

describe("values as the Pulumi engine passes them (JSON text)", () => {
  it("parses the same as native values", () => {
    const raw = devRaw();
    raw[key("rancherEnabled")] = false;
    raw[key("sshPublicKeys")] = ["ssh-ed25519 AAAAC3Nz you@laptop"];
    const text = asEngineText(raw);
    expect(text[key("nodes")]).toEqual(expect.any(String));
    expect(text[key("rancherEnabled")]).toBe("false");
    expect(parseStackConfig(text)).toEqual(parseStackConfig(raw));
  });

  it('reads booleans given as "true" and "false"', () => {
    expect(parsedAfter((raw) => (raw[key("rancherEnabled")] = "false")).rancherEnabled).toBe(false);
    expect(parsedAfter((raw) => (raw[key("rancherEnabled")] = "true")).rancherEnabled).toBe(true);
  });

  it("keeps string values as text even when they look like JSON", () => {
    expect(parsedAfter((raw) => (raw[key("serverImage")] = "123")).serverImage).toBe("123");
  });

  it("reports structured values that are not JSON", () => {
    expect(problemsAfter((raw) => (raw[key("sshAllowedSources")] = "203.0.113.0/24"))).toEqual([
      'hetzner-k8s:sshAllowedSources: expected a list of addresses or CIDRs, got the text "203.0.113.0/24"',
    ]);
  });

  it("names the exact key of a problem inside JSON text", () => {
    const raw = devRaw();
    nodesOf(raw)[3].serverType = "cx99";
    expect(problemsOf(asEngineText(raw))).toEqual([
      'hetzner-k8s:nodes[3].serverType: unknown server type "cx99"',
    ]);
  });
});

describe("several problems", () => {
  it("reports one line per problem", () => {
    const raw = devRaw();
    raw[key("loadBalancerType")] = "lb99";
    nodesOf(raw)[3].serverType = "cx99";
    nodesOf(raw)[1].privateIp = "10.0.1.10";
    let error: unknown;
    try {
      parseStackConfig(raw);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const lines = (error as ConfigError).lines;
    expect([...lines].sort()).toEqual(
      [
        'hetzner-k8s:loadBalancerType: unknown load balancer type "lb99" (expected one of lb11, lb21, lb31)',
        'hetzner-k8s:nodes[3].serverType: unknown server type "cx99"',
        "hetzner-k8s:nodes[1].privateIp: 10.0.1.10 is already taken by nodes[0] (cp-1)",
      ].sort(),
    );
    expect((error as ConfigError).message).toBe(
      `invalid stack configuration (3 problems):\n${lines.join("\n")}`,
    );
  });

  it("reports several schema problems together", () => {
    const lines = problemsAfter((raw, nodes) => {
      raw[key("apiExposure")] = "public";
      nodes[2].role = "master";
      nodes[3].volumeSizeGb = 20.5;
    });
    expect([...lines].sort()).toEqual([
      'hetzner-k8s:apiExposure: must be "load-balancer" or "firewalled", got "public"',
      'hetzner-k8s:nodes[2].role: must be "control-plane" or "worker", got "master"',
      "hetzner-k8s:nodes[3].volumeSizeGb: must be a whole number of GB, got 20.5",
    ]);
  });
});
