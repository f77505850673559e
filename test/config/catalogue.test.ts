import {
  CATALOGUE_DATE,
  LOAD_BALANCER_TYPES,
  LOCATIONS,
  REMOVED_SERVER_TYPES,
  SERVER_TYPES,
  type Location,
  type ServerType,
} from "../../src/config/catalogue";
import { parseStackConfig } from "../../src/config/load";
import { checkServerTypeNotices, checkStackConfig, type RunningServer } from "../../src/config/rules";
import { deploymentOf } from "../../src/config/transition";
import { shippedConfig } from "../helpers/plan";
import { devRaw, key, manyNodes, nodesOf, parsedAfter, problemsAfter, problemsOf } from "./fixtures";

/**
 * The catalogue as of CATALOGUE_DATE against what Hetzner starts: the October 2025 generation change removed
 * CX Gen2 everywhere and CPX Gen1 outside the US; the load balancers' target limits cap the cluster size.
 */

describe("removed server types", () => {
  it("refuses the dev worker's old cx32, naming the key, the value and the type to use", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].serverType = "cx32"))).toEqual([
      'hetzner-k8s:nodes[3].serverType: "cx32" is no longer sold: Hetzner stopped selling it after 2025-12-31 ' +
        'and removed it from its API; use "cx33" (4 vCPU, 8 GB RAM, 80 GB disk)',
    ]);
  });

  it.each([
    ["cx22", "cx23"],
    ["cx32", "cx33"],
    ["cx42", "cx43"],
    ["cx52", "cx53"],
  ])("refuses %s and names %s instead", (removed, replacement) => {
    const lines = problemsAfter((_, nodes) => (nodes[0].serverType = removed));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^hetzner-k8s:nodes\\[0\\]\\.serverType: "${removed}" is no longer sold`),
    );
    expect(lines[0]).toContain(`use "${replacement}"`);
  });

  it("says where the replacement is sold when the node's location does not sell it", () => {
    const lines = problemsAfter((raw, nodes) => {
      raw[key("location")] = "ash";
      nodes.forEach((node) => (node.serverType = "ccx13"));
      nodes[1].serverType = "cx22";
    });
    expect(lines).toEqual([
      'hetzner-k8s:nodes[1].serverType: "cx22" is no longer sold: Hetzner stopped selling it after 2025-12-31 ' +
        'and removed it from its API; use "cx23" (2 vCPU, 4 GB RAM, 40 GB disk), offered in fsn1, nbg1, hel1',
    ]);
  });
});

describe("servers that already run a type Hetzner no longer sells", () => {
  const running = (serverType: string, location = "fsn1") =>
    new Map([["worker-1", { serverType, location }]]) as ReadonlyMap<string, RunningServer>;
  // The parsed dev stack with its worker edited afterwards, as a config the rules have not yet judged.
  const withWorker = (serverType: string, location?: string) => {
    const config = parsedAfter(() => undefined);
    const nodes = config.nodes.map((node) =>
      node.name === "worker-1" ? { ...node, serverType, ...(location && { location }) } : node,
    );
    return { ...config, nodes };
  };

  it("keeps a deployed node of a removed type, so it can be replaced by a new node later", () => {
    expect(checkStackConfig(withWorker("cx32"), running("cx32"))).toEqual([]);
    // The same config as a first deployment orders a new cx32, which Hetzner refuses.
    expect(checkStackConfig(withWorker("cx32")).map((problem) => problem.path.join("."))).toEqual([
      "nodes.3.serverType",
    ]);
  });

  it("still refuses the type for a new server: another node, or the node in another location", () => {
    expect(checkStackConfig(withWorker("cx32", "nbg1"), running("cx32"))).toHaveLength(1);
    expect(
      checkStackConfig(withWorker("cx32"), new Map([["worker-9", { serverType: "cx32", location: "fsn1" }]])),
    ).toHaveLength(1);
  });

  it("warn on the node's key (a notice, not a problem): no longer sold, and what a replacement must use", () => {
    expect(checkServerTypeNotices(withWorker("cx32"))).toEqual([
      {
        path: ["nodes", 3, "serverType"],
        message:
          '"cx32" is no longer sold: Hetzner stopped selling it after 2025-12-31 and removed it from its API; ' +
          'this node keeps its running server, but a node replacing it must use "cx33" (4 vCPU, 8 GB RAM, 80 GB disk)',
      },
    ]);
  });

  it("warn about a type no longer sold in the node's location, and not where it is still sold", () => {
    expect(checkServerTypeNotices(withWorker("cpx41"))).toEqual([
      {
        path: ["nodes", 3, "serverType"],
        message:
          '"cpx41" is no longer sold in fsn1: Hetzner stopped selling it there after 2025-12-31 (still offered ' +
          'in ash, hil); this node keeps its running server, but a node replacing it must use "cpx42" ' +
          "(8 vCPU, 16 GB RAM, 320 GB disk)",
      },
    ]);
    expect(checkServerTypeNotices(withWorker("cpx41", "ash"))).toEqual([]);
  });

  it("reads the running servers from the last deployment when the stack is parsed", () => {
    const raw = devRaw();
    nodesOf(raw)[3].serverType = "cx32";
    const last = deploymentOf(parsedAfter(() => undefined));
    const deployed = last.nodes.map((node) =>
      node.name === "worker-1" ? { ...node, serverType: "cx32" } : node,
    );
    expect(parseStackConfig(raw, new Set(), deployed).nodes[3].serverType).toBe("cx32");
    expect(problemsOf(raw)).toHaveLength(1);
  });
});

describe("server types not sold in a location", () => {
  it("refuses the prod workers' old cpx41 in fsn1 and names cpx42", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].serverType = "cpx41"))).toEqual([
      'hetzner-k8s:nodes[3].serverType: "cpx41" is no longer sold in fsn1: Hetzner stopped selling it there ' +
        'after 2025-12-31 (still offered in ash, hil); use "cpx42" (8 vCPU, 16 GB RAM, 320 GB disk)',
    ]);
  });

  const gen1 = ["cpx11", "cpx21", "cpx31", "cpx41", "cpx51"];
  const retiredIn: Location[] = ["fsn1", "nbg1", "hel1", "sin"];

  it.each(gen1.flatMap((type) => retiredIn.map((location) => [type, location])))(
    "refuses %s in %s, where CPX Gen2 replaced it",
    (type, location) => {
      const lines = problemsAfter((raw, nodes) => {
        raw[key("location")] = location;
        nodes.forEach((node) => (node.serverType = "ccx13"));
        nodes[2].serverType = type;
      });
      expect(lines).toEqual([expect.stringContaining(`"${type}" is no longer sold in ${location}`)]);
    },
  );

  it.each(gen1.flatMap((type) => ["ash", "hil"].map((location) => [type, location])))(
    "still accepts %s in %s",
    (type, location) => {
      const config = parsedAfter((raw, nodes) => {
        raw[key("location")] = location;
        raw[key("tenants")] = []; // cpx11's 2 GB would not hold the dev tenants' quotas
        nodes.forEach((node) => (node.serverType = type));
      });
      expect(config.nodes.map((node) => node.serverType)).toEqual([type, type, type, type]);
    },
  );

  it("refuses CPX Gen2 in the US, where it is not sold", () => {
    const lines = problemsAfter((raw, nodes) => {
      raw[key("location")] = "ash";
      nodes.forEach((node) => (node.serverType = "cpx21"));
      nodes[3].serverType = "cpx22";
    });
    expect(lines).toEqual([
      'hetzner-k8s:nodes[3].serverType: "cpx22" is not offered in ash (offered in fsn1, nbg1, hel1, sin)',
    ]);
  });

  it("refuses cpx12 outside Singapore", () => {
    expect(problemsAfter((_, nodes) => (nodes[3].serverType = "cpx12"))).toEqual([
      'hetzner-k8s:nodes[3].serverType: "cpx12" is not offered in fsn1 (offered in sin)',
    ]);
  });

  it("accepts the dedicated-vCPU line and CPX Gen2 in Singapore", () => {
    const config = parsedAfter((raw, nodes) => {
      raw[key("location")] = "sin";
      nodes.forEach((node) => (node.serverType = "ccx23"));
      nodes[3].serverType = "cpx32";
    });
    expect(config.nodes.map((node) => node.serverType)).toEqual(["ccx23", "ccx23", "ccx23", "cpx32"]);
  });
});

describe("load balancer target limits", () => {
  it("refuses lb11 for 26 nodes: the ingress load balancer targets every node", () => {
    expect(problemsAfter((raw) => (raw[key("nodes")] = manyNodes(26, 3)))).toEqual([
      "hetzner-k8s:loadBalancerType: lb11 takes at most 25 targets, but the ingress load balancer targets " +
        "every node (26); use lb21 (75 targets) or lb31 (150 targets)",
    ]);
  });

  it("accepts lb11 for 25 nodes, and lb21 for 26", () => {
    expect(problemsAfter((raw) => (raw[key("nodes")] = manyNodes(25, 3)))).toEqual([]);
    expect(
      problemsAfter((raw) => {
        raw[key("nodes")] = manyNodes(26, 3);
        raw[key("loadBalancerType")] = "lb21";
      }),
    ).toEqual([]);
  });

  it("counts only the control plane when there is no ingress load balancer", () => {
    expect(
      problemsAfter((raw) => {
        raw[key("nodes")] = manyNodes(26, 3);
        raw[key("ingressEnabled")] = false;
        raw[key("rancherEnabled")] = false;
      }),
    ).toEqual([]);
  });

  it("refuses lb21 for 76 nodes and names lb31", () => {
    const lines = problemsAfter((raw) => {
      raw[key("nodeSubnetCidr")] = "10.0.0.0/17";
      raw[key("loadBalancerType")] = "lb21";
      raw[key("nodes")] = manyNodes(76, 3, "10.0.0.10");
    });
    expect(lines).toEqual([
      "hetzner-k8s:loadBalancerType: lb21 takes at most 75 targets, but the ingress load balancer targets " +
        "every node (76); use lb31 (150 targets)",
    ]);
  });

  it("keeps lb31 above Hetzner's 100 servers per network, so every valid cluster has a type", () => {
    expect(
      Math.max(...Object.values(LOAD_BALANCER_TYPES).map((type) => type.maxTargets)),
    ).toBeGreaterThanOrEqual(100);
  });
});

describe("deprecated server types", () => {
  // A made-up deprecation, since the catalogue has none as of its date.
  const withDeprecation: Record<string, ServerType> = {
    ...SERVER_TYPES,
    cx23: {
      ...SERVER_TYPES.cx23,
      status: "deprecated",
      deprecation: { announced: "2027-01-15", lastOrderDay: "2027-04-30", replacement: "cx24" },
    },
    cx24: { ...SERVER_TYPES.cx23 },
  };

  it("are no problem but a notice on the exact key, naming the last order day and the successor", () => {
    const config = parsedAfter(() => undefined);
    expect(checkServerTypeNotices(config, withDeprecation)).toEqual(
      [0, 1, 2].map((index) => ({
        path: ["nodes", index, "serverType"],
        message:
          '"cx23" is deprecated: Hetzner starts new servers of it until 2027-04-30 (announced 2027-01-15); ' +
          'move to "cx24" (2 vCPU, 4 GB RAM, 40 GB disk)',
      })),
    );
  });

  it("give no notice for the shipped stacks", () => {
    expect(checkServerTypeNotices(shippedConfig("dev"))).toEqual([]);
    expect(checkServerTypeNotices(shippedConfig("prod"))).toEqual([]);
  });
});

describe("the catalogue itself", () => {
  const sold = Object.entries(SERVER_TYPES);

  it("is dated", () => {
    expect(CATALOGUE_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });

  it("names a type either sold or removed, never both", () => {
    expect(Object.keys(REMOVED_SERVER_TYPES).filter((name) => name in SERVER_TYPES)).toEqual([]);
  });

  it("replaces a removed type with an available one of at least its memory and architecture", () => {
    for (const [name, type] of Object.entries(REMOVED_SERVER_TYPES)) {
      const replacement = SERVER_TYPES[type.removal.replacement];
      expect([name, replacement?.status]).toEqual([name, "available"]);
      expect(replacement.memoryGb).toBeGreaterThanOrEqual(type.memoryGb);
      expect(replacement.architecture).toBe(type.architecture);
    }
  });

  it("replaces a type retired in a location with one sold there", () => {
    for (const [name, type] of sold) {
      if (!type.retired) continue;
      const replacement = SERVER_TYPES[type.retired.replacement];
      expect([name, replacement.status]).toEqual([name, "available"]);
      expect(replacement.memoryGb).toBeGreaterThanOrEqual(type.memoryGb);
      for (const location of type.retired.locations) expect(replacement.locations).toContain(location);
      expect(type.retired.locations.filter((location) => type.locations.includes(location))).toEqual([]);
    }
  });

  it("keeps a deprecated type only while its last order day is still ahead of the catalogue's date", () => {
    for (const [name, type] of sold) {
      expect([name, type.status === "deprecated"]).toEqual([name, type.deprecation !== undefined]);
      if (type.deprecation) expect(type.deprecation.lastOrderDay >= CATALOGUE_DATE).toBe(true);
    }
  });

  it("sells every type somewhere, in known locations", () => {
    for (const [, type] of sold) {
      expect(type.locations.length).toBeGreaterThan(0);
      for (const location of type.locations) expect(LOCATIONS).toContain(location);
    }
  });

  it.each(["dev", "prod"] as const)(
    "has every node of the shipped %s stack on sale in its location",
    (stack) => {
      const config = shippedConfig(stack);
      for (const node of config.nodes) {
        const type = SERVER_TYPES[node.serverType];
        expect([node.name, type?.status]).toEqual([node.name, "available"]);
        expect(type.locations).toContain(node.location ?? config.location);
      }
    },
  );
});
