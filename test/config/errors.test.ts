import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError, formatProblemIn } from "../../src/config/errors";
import { editDistance, nearestKey } from "../../src/config/issues";
import { readStackConfig } from "../../src/plan/stackFile";
import { key, problemsAfter } from "./fixtures";

/** The error contract: every problem at once, in one line format, with the value and the nearest key. */

type Entry = Record<string, unknown>;

function entries(raw: Record<string, unknown>, name: "nodes" | "tenants"): Entry[] {
  return raw[key(name)] as Entry[];
}

describe("every problem at once", () => {
  it("a bad node name hides neither an address taken twice nor an undersized volume", () => {
    const lines = problemsAfter((_, nodes) => {
      nodes[1].name = "Web_1";
      nodes[2].privateIp = "10.0.1.10";
      nodes[3].volumeSizeGb = 5;
    });
    expect(lines).toEqual([
      "hetzner-k8s:nodes[1].name: must be a DNS-1123 label (lower-case letters, digits and '-', alphanumeric at " +
        'both ends), got "Web_1"',
      "hetzner-k8s:nodes[3].volumeSizeGb: 5 GB is outside Hetzner's volume sizes (10-10240 GB)",
      "hetzner-k8s:nodes[2].privateIp: 10.0.1.10 is already taken by nodes[0] (cp-1)",
    ]);
  });

  it("names the entries of a list by their place in the stack file, also inside messages", () => {
    // nodes[0] is left out of the rules; the others keep their numbers, in paths and in the text.
    const lines = problemsAfter((_, nodes) => {
      nodes[0].role = "master";
      nodes[3].privateIp = "10.0.1.11";
    });
    expect(lines).toEqual([
      'hetzner-k8s:nodes[0].role: must be "control-plane" or "worker", got "master"',
      "hetzner-k8s:nodes[3].privateIp: 10.0.1.11 is already taken by nodes[1] (cp-2)",
    ]);
  });

  it("drops a count over a list that lost entries: the invalid node still exists", () => {
    // Without cp-3 the rules would see two control-plane nodes, an even etcd count nobody wrote.
    expect(problemsAfter((_, nodes) => (nodes[2].name = "CP-3"))).toEqual([
      expect.stringMatching(/^hetzner-k8s:nodes\[2\]\.name: must be a DNS-1123 label .*, got "CP-3"$/),
    ]);
  });

  it("a DNS-1123 error on one tenant's name hides no reserved name of another", () => {
    const lines = problemsAfter((raw) => {
      const [first, second] = entries(raw, "tenants");
      first.name = "Team_A";
      second.name = "kube-system";
      Reflect.deleteProperty(second, "namespaces");
    });
    expect(lines).toEqual([
      "hetzner-k8s:tenants[0].name: must be a DNS-1123 label (lower-case letters, digits and '-'), got \"Team_A\"",
      'hetzner-k8s:tenants[1].name: namespace "kube-system" is reserved for the system and the platform',
    ]);
  });

  it("a key of the wrong type skips only the rules that read it", () => {
    // checkStackConfig reads ingressEnabled (load balancer targets), so it is skipped; the k3s rules are not.
    const lines = problemsAfter((raw, nodes) => {
      raw[key("ingressEnabled")] = "yes";
      raw[key("k3sVersion")] = "1.35.6";
      nodes[3].privateIp = "10.0.1.10";
    });
    expect(lines).toEqual([
      'hetzner-k8s:ingressEnabled: expected true or false, got the text "yes"',
      expect.stringMatching(/^hetzner-k8s:k3sVersion: "1\.35\.6" is not a k3s release/),
    ]);
  });
});

describe("unknown keys", () => {
  it.each([
    ["a top-level key", (raw: Record<string, unknown>) => (raw[key("tenats")] = []), "tenats", "tenants"],
    [
      "a node's key",
      (raw: Record<string, unknown>) => {
        const node = entries(raw, "nodes")[3];
        node.severType = node.serverType;
      },
      "nodes[3].severType",
      "serverType",
    ],
    [
      "a tenant's key",
      (raw: Record<string, unknown>) => (entries(raw, "tenants")[0].egresInternet = false),
      "tenants[0].egresInternet",
      "egressInternet",
    ],
    [
      "an overcommit key",
      (raw: Record<string, unknown>) => (raw[key("overcommit")] = { memroy: 2 }),
      "overcommit.memroy",
      "memory",
    ],
  ])("suggest the nearest known key for %s", (_, edit, at, nearest) => {
    expect(problemsAfter(edit)).toContain(`hetzner-k8s:${at}: unknown key, did you mean "${nearest}"?`);
  });

  it("count a swap of two letters as one edit, and suggest nothing far off", () => {
    expect(editDistance("tenats", "tenants")).toBe(1);
    expect(editDistance("ab", "ba")).toBe(1);
    expect(editDistance("kitten", "sitting")).toBe(3);
    expect(nearestKey("nodez", ["nodes", "tenants"])).toBe("nodes");
    expect(nearestKey("colour", ["nodes", "tenants"])).toBeUndefined();
  });
});

describe("messages say what was wanted and what was given", () => {
  it("a node list written as text", () => {
    expect(problemsAfter((raw) => (raw[key("nodes")] = "cp-1, cp-2"))).toEqual([
      'hetzner-k8s:nodes: expected a list of nodes, got the text "cp-1, cp-2"',
    ]);
  });

  it("a number written as text inside a tenant", () => {
    const lines = problemsAfter((raw) => ((entries(raw, "tenants")[0].quota as Entry).pods = "4"));
    expect(lines).toEqual(['hetzner-k8s:tenants[0].quota.pods: expected a number, got the text "4"']);
  });

  it("a node that is not a mapping", () => {
    expect(problemsAfter((_, nodes) => nodes.push("cx23" as unknown as Entry))).toEqual([
      'hetzner-k8s:nodes[4]: expected a node (a mapping with name, role, serverType, privateIp, ...), got the text "cx23"',
    ]);
  });
});

describe("stack files that cannot be read", () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), "stack-errors-"))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The problem lines of reading a stack file with this text, each naming the file as `Pulumi.x.yaml`. */
  function linesOf(text: string | undefined): string[] {
    const file = path.join(dir, "Pulumi.x.yaml");
    rmSync(file, { force: true });
    if (text !== undefined) writeFileSync(file, text);
    writeFileSync(path.join(dir, "Pulumi.yaml"), "name: hetzner-k8s\nruntime: nodejs\n");
    try {
      readStackConfig(file);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      expect(error.file).toBe(file);
      return error.problems.map((problem) => formatProblemIn("Pulumi.x.yaml", problem));
    }
    return [];
  }

  it.each([
    ["a syntax error, with line and column", "config:\n  a: [1\n", /^Pulumi\.x\.yaml:3:1: invalid YAML: /],
    ["a missing file", undefined, /^Pulumi\.x\.yaml: no such file$/],
    ["an empty file", "# only a comment\n", /^Pulumi\.x\.yaml: the file is empty$/],
    [
      "a list at the top",
      "- a\n",
      /^Pulumi\.x\.yaml: expected a mapping \(key: value\) at the top, got a list/,
    ],
    ["no config:", "encryptionsalt: abc\n", /^Pulumi\.x\.yaml: has no config: mapping/],
    [
      "a config: that is not a mapping",
      "config: 3\n",
      /^Pulumi\.x\.yaml: config: expected a mapping .*the number 3$/,
    ],
  ])("%s", (_, text, line) => {
    const lines = linesOf(text);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(line);
  });

  it("a duplicate key, with its path, even where the last value would be valid", () => {
    expect(linesOf("config:\n  hetzner-k8s:clusterName: a\n  hetzner-k8s:clusterName: b\n")).toEqual([
      "Pulumi.x.yaml:3:3: duplicate key config.hetzner-k8s:clusterName (each key may appear once)",
    ]);
    expect(linesOf("config:\n  hetzner-k8s:nodes:\n    - name: a\n    - name: b\n      name: c\n")).toEqual([
      "Pulumi.x.yaml:5:7: duplicate key config.hetzner-k8s:nodes[1].name (each key may appear once)",
    ]);
  });

  it("an alias bomb, refused at once; a few aliases are fine", () => {
    let anchors = "x-a: &a [x, x, x, x, x, x, x, x, x]\n";
    for (const [name, previous] of [..."bcdefghi"].map((letter, index) => [letter, "abcdefgh"[index]])) {
      anchors += `x-${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]\n`;
    }
    const started = Date.now();
    expect(linesOf(`${anchors}config:\n  hetzner-k8s:sshPublicKeys: *i\n`)).toEqual([
      "Pulumi.x.yaml: invalid YAML: its aliases (*name) expand to more than 100 copies; write the values out",
    ]);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(linesOf("x: &keys [a]\nconfig:\n  hetzner-k8s:sshPublicKeys: *keys\n")).toEqual([]);
  });
});
