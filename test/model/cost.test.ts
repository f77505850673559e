import {
  CATALOGUE_DATE,
  LOAD_BALANCER_TYPES,
  LOCATIONS,
  SERVER_TYPES,
  type Location,
} from "../../src/config/catalogue";
import { PRICES, PRICES_DATE, type PriceTable } from "../../src/config/prices";
import type { StackConfig } from "../../src/config/schema";
import {
  ALERTMANAGER_CLAIM_GI,
  computeCost,
  diffCost,
  type CostBreakdown,
  type CostItem,
} from "../../src/model/cost";
import { readOperatorValues } from "../../src/platform/files";
import { editedConfig, planStack, resourcesOfType, shippedConfig, TYPES } from "../helpers/plan";

/** A price the test relies on the table having. */
function known(price: number | undefined): number {
  if (price === undefined) throw new Error("the price table lacks a price this test relies on");
  return price;
}

const PER_GB = known(PRICES.volumePerGb);

/** The stack's bill worked out here from the price table and the stack file, apart from the model. */
function expectedBill(config: StackConfig): { net: number; unknown: string[] } {
  let net = 0;
  const unknown: string[] = [];
  // `what` as the model names an item: kind and product.
  const add = (what: string, price: number | undefined) =>
    price === undefined ? unknown.push(what) : (net += price);
  const volume = (sizeGb: number) =>
    add(`volume:${sizeGb} GB`, PRICES.volumePerGb === undefined ? undefined : sizeGb * PRICES.volumePerGb);
  for (const node of config.nodes) {
    const location = (node.location ?? config.location) as Location;
    add(`server:${node.serverType}`, PRICES.servers[node.serverType]?.[location]);
    if (!config.privateNodes) add("primary-ipv4:IPv4", PRICES.primaryIpv4[location]);
    if (node.volumeSizeGb) volume(node.volumeSizeGb);
  }
  // Private nodes: the gateway is the one server with a public IPv4, in the cluster's location.
  if (config.privateNodes) {
    const location = config.location as Location;
    add(`server:${config.gatewayServerType}`, PRICES.servers[config.gatewayServerType]?.[location]);
    add("primary-ipv4:IPv4", PRICES.primaryIpv4[location]);
  }
  // The API load balancer always, the ingress one with ingress on; both of one type, in the cluster's location.
  const type = config.loadBalancerType;
  for (let count = config.ingressEnabled ? 2 : 1; count > 0; count -= 1) {
    add(`load-balancer:${type}`, PRICES.loadBalancers[type]?.[config.location as Location]);
  }
  // Prometheus's and Alertmanager's claims (2Gi) become Hetzner volumes of at least 10 GB.
  if (config.monitoringEnabled && config.defaultStorageClass === "hcloud-volumes") {
    volume(Math.max(config.prometheusStorageGb, 10));
    volume(10);
  }
  return { net, unknown };
}

describe("the monthly cost of a shipped stack", () => {
  it.each(["dev", "prod"] as const)("is the %s stack's bill at the table's prices", (stack) => {
    const config = shippedConfig(stack);
    const cost = computeCost(config);
    const expected = expectedBill(config);
    expect(cost.net).toBeCloseTo(expected.net, 6);
    expect(cost.gross).toBeCloseTo(expected.net * 1.19, 6);
    expect(cost.vatRate).toBe(0.19);
    expect(cost.pricesDate).toBe(PRICES_DATE);
    expect(cost.currency).toBe("EUR");
    expect(cost.unknown.map((item) => `${item.kind}:${item.product}`).sort()).toEqual(
      expected.unknown.sort(),
    );
  });

  it("is the sum of its locations", () => {
    const cost = computeCost(shippedConfig("prod"));
    expect(cost.locations.map((location) => location.location)).toEqual(["fsn1", "nbg1", "hel1"]);
    const sum = cost.locations.reduce((total, location) => total + location.net, 0);
    expect(sum).toBeCloseTo(cost.net, 6);
    expect(cost.locations.reduce((total, location) => total + location.unknown, 0)).toBe(cost.unknown.length);
  });
});

describe("the cost's items", () => {
  it("are what the program declares: its servers, volumes and load balancers, with their types and places", async () => {
    const plan = await planStack("dev");
    const cost = computeCost(editedConfig("dev"));
    const of = (kind: CostItem["kind"], claim = false) =>
      cost.items.filter((item) => item.kind === kind && (item.claim === true) === claim);
    const servers = resourcesOfType(plan, TYPES.server).map(
      (r) => `${r.inputs.serverType}@${r.inputs.location}`,
    );
    expect(
      of("server")
        .map((item) => `${item.product}@${item.location}`)
        .sort(),
    ).toEqual(servers.sort());
    // One primary IPv4 per server: every server is created with a public IPv4.
    expect(of("primary-ipv4")).toHaveLength(servers.length);
    const volumes = resourcesOfType(plan, TYPES.volume).map(
      (r) => `${r.inputs.size} GB@${r.inputs.location}`,
    );
    expect(
      of("volume")
        .map((item) => `${item.product}@${item.location}`)
        .sort(),
    ).toEqual(volumes.sort());
    const lbs = resourcesOfType(plan, TYPES.loadBalancer).map(
      (r) => `${r.inputs.loadBalancerType}@${r.inputs.location}`,
    );
    expect(
      of("load-balancer")
        .map((item) => `${item.product}@${item.location}`)
        .sort(),
    ).toEqual(lbs.sort());
  });

  it("put each node's server, IPv4 and volume in the node's own location", () => {
    const config = editedConfig("dev", (edit) => {
      edit.nodes[0].location = "nbg1";
      edit.nodes[0].volumeSizeGb = 30;
    });
    const cost = computeCost(config);
    const inNbg1 = cost.items.filter((item) => item.location === "nbg1");
    expect(inNbg1.map((item) => [item.kind, item.resource, item.product])).toEqual([
      ["server", "cp-1", "cx23"],
      ["primary-ipv4", "cp-1", "IPv4"],
      ["volume", "cp-1", "30 GB"],
    ]);
    expect(cost.locations.map((location) => location.location)).toEqual(["fsn1", "nbg1"]);
    const [fsn1, nbg1] = cost.locations;
    const expected = known(PRICES.servers.cx23.nbg1) + known(PRICES.primaryIpv4.nbg1) + 30 * PER_GB;
    expect(nbg1.net).toBeCloseTo(expected, 6);
    expect(nbg1.gross).toBeCloseTo(expected * 1.19, 6);
    expect(fsn1.net + nbg1.net).toBeCloseTo(cost.net, 6);
    // The load balancers and the platform's claims stay in the cluster's location.
    expect(
      cost.items.filter((item) => item.location === "fsn1" && item.kind === "load-balancer"),
    ).toHaveLength(2);
  });

  it("count the platform's claims only while hcloud volumes are the default class", () => {
    const claims = (edit?: (config: StackConfig) => void) =>
      computeCost(editedConfig("dev", edit))
        .items.filter((item) => item.claim)
        .map((item) => `${item.resource} ${item.product}`);
    expect(claims()).toEqual(["prometheus 50 GB", "alertmanager 10 GB"]);
    expect(claims((config) => (config.prometheusStorageGb = 75))).toEqual([
      "prometheus 75 GB",
      "alertmanager 10 GB",
    ]);
    expect(claims((config) => (config.defaultStorageClass = "local-nvme"))).toEqual([]);
    expect(claims((config) => (config.monitoringEnabled = false))).toEqual([]);
  });

  it("take Alertmanager's claim from its operator values, and give Grafana none", () => {
    const values = readOperatorValues("kube-prometheus-stack") as {
      alertmanager: { alertmanagerSpec: { storage: unknown } };
      grafana: { persistence: { enabled: boolean } };
    };
    expect(values.alertmanager.alertmanagerSpec.storage).toMatchObject({
      volumeClaimTemplate: { spec: { resources: { requests: { storage: `${ALERTMANAGER_CLAIM_GI}Gi` } } } },
    });
    expect(values.grafana.persistence.enabled).toBe(false);
  });

  it("drop the ingress load balancer with ingress off, and keep a private API load balancer", () => {
    const config = editedConfig("dev", (edit) => {
      edit.ingressEnabled = false;
      edit.rancherEnabled = false; // reached through the ingress
      edit.apiExposure = "firewalled";
      edit.apiHostname = "api.example.com";
    });
    const lbs = computeCost(config).items.filter((item) => item.kind === "load-balancer");
    expect(lbs.map((item) => item.resource)).toEqual(["api"]);
  });
});

describe("a price the table does not have", () => {
  const withoutCx33: PriceTable = {
    ...PRICES,
    servers: { ...PRICES.servers, cx33: { ...PRICES.servers.cx33, fsn1: undefined } },
  };

  it("is reported as unknown and left out of the totals, never guessed", () => {
    const full = computeCost(shippedConfig("dev"));
    const cost = computeCost(shippedConfig("dev"), { prices: withoutCx33 });
    expect(cost.unknown.map((item) => [item.kind, item.resource, item.product])).toEqual([
      ["server", "worker-1", "cx33"],
    ]);
    expect(
      cost.items.find((item) => item.resource === "worker-1" && item.kind === "server")?.monthlyNet,
    ).toBe(undefined);
    expect(cost.net).toBeCloseTo(full.net - known(PRICES.servers.cx33.fsn1), 6);
    expect(cost.locations).toEqual([expect.objectContaining({ location: "fsn1", unknown: 1 })]);
  });

  it("covers a server type the table does not list at all", () => {
    const table: PriceTable = { ...PRICES, servers: {} };
    const cost = computeCost(shippedConfig("dev"), { prices: table });
    expect(cost.unknown.filter((item) => item.kind === "server")).toHaveLength(4);
  });
});

describe("the VAT rate", () => {
  const net = computeCost(shippedConfig("dev")).net;

  it.each([0, 0.19, 0.25])("computes gross at %s", (vatRate) => {
    const cost = computeCost(shippedConfig("dev"), { vatRate });
    expect(cost.vatRate).toBe(vatRate);
    expect(cost.net).toBe(net);
    expect(cost.gross).toBeCloseTo(net * (1 + vatRate), 9);
    for (const location of cost.locations)
      expect(location.gross).toBeCloseTo(location.net * (1 + vatRate), 9);
  });

  it("is refused when negative or not a number", () => {
    expect(() => computeCost(shippedConfig("dev"), { vatRate: -0.1 })).toThrow(/VAT rate/);
    expect(() => computeCost(shippedConfig("dev"), { vatRate: Number.NaN })).toThrow(/VAT rate/);
  });
});

describe("the change in cost between two stack files", () => {
  const before = computeCost(shippedConfig("dev"));
  const change = (edit: (config: StackConfig) => void, after?: CostBreakdown) =>
    diffCost(before, after ?? computeCost(editedConfig("dev", edit)));

  it("is nothing for the same stack", () => {
    const same = diffCost(before, computeCost(shippedConfig("dev")));
    expect(same.items).toEqual([]);
    expect(same.deltaNet).toBe(0);
  });

  it("adds a new node's server and IPv4, and removes a removed node's", () => {
    const added = change((config) =>
      config.nodes.push({ name: "worker-2", role: "worker", serverType: "cx43", privateIp: "10.0.1.14" }),
    );
    expect(added.items.map((item) => [item.change, item.after?.kind, item.after?.resource])).toEqual([
      ["added", "server", "worker-2"],
      ["added", "primary-ipv4", "worker-2"],
    ]);
    const expected = known(PRICES.servers.cx43.fsn1) + known(PRICES.primaryIpv4.fsn1);
    expect(added.deltaNet).toBeCloseTo(expected, 6);
    expect(added.deltaGross).toBeCloseTo(expected * 1.19, 6);
    const removed = change((config) => {
      config.nodes.pop();
      config.tenants = []; // their quotas would no longer fit the pool
    });
    expect(removed.items.map((item) => [item.change, item.before?.kind])).toEqual([
      ["removed", "server"],
      ["removed", "primary-ipv4"],
      ["removed", "volume"],
    ]);
    expect(removed.deltaNet).toBeCloseTo(
      -(known(PRICES.servers.cx33.fsn1) + known(PRICES.primaryIpv4.fsn1) + 20 * PER_GB),
      6,
    );
  });

  it("changes an item whose type or size changes, keeping its identity", () => {
    const resized = change((config) => {
      config.nodes[3].serverType = "cx43";
      config.nodes[3].volumeSizeGb = 40;
    });
    expect(resized.items.map((item) => [item.change, item.before?.product, item.after?.product])).toEqual([
      ["changed", "cx33", "cx43"],
      ["changed", "20 GB", "40 GB"],
    ]);
    const expected = known(PRICES.servers.cx43.fsn1) - known(PRICES.servers.cx33.fsn1) + 20 * PER_GB;
    expect(resized.deltaNet).toBeCloseTo(expected, 6);
  });

  it("leaves out, and counts, changes whose price is unknown", () => {
    const unknownLb: PriceTable = { ...PRICES, loadBalancers: {} };
    const after = computeCost(editedConfig("dev"), { prices: unknownLb });
    const changed = diffCost(before, after);
    expect(changed.unknown).toBe(2);
    expect(changed.items.every((item) => item.deltaNet === undefined)).toBe(true);
    expect(changed.deltaNet).toBe(0);
  });
});

describe("the price table", () => {
  it("has an entry, a price or an explicit unknown, for every type of the catalogue in every location", () => {
    expect(Object.keys(PRICES.servers).sort()).toEqual(Object.keys(SERVER_TYPES).sort());
    expect(Object.keys(PRICES.loadBalancers).sort()).toEqual(Object.keys(LOAD_BALANCER_TYPES).sort());
    const tables = [
      ...Object.values(PRICES.servers),
      ...Object.values(PRICES.loadBalancers),
      PRICES.primaryIpv4,
    ];
    for (const prices of tables) {
      expect(Object.keys(prices).sort()).toEqual([...LOCATIONS].sort());
      for (const price of Object.values(prices)) {
        if (price !== undefined) expect(price > 0 && Number.isFinite(price)).toBe(true);
      }
    }
  });

  it("is dated, and no newer than the catalogue it prices", () => {
    expect(PRICES.date).toBe(PRICES_DATE);
    expect(PRICES_DATE).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(PRICES_DATE <= CATALOGUE_DATE).toBe(true);
  });

  it.each(["dev", "prod"] as const)("prices every server of the shipped %s stack", (stack) => {
    const config = shippedConfig(stack);
    for (const node of config.nodes) {
      const price = PRICES.servers[node.serverType][(node.location ?? config.location) as Location];
      expect([node.name, typeof price]).toEqual([node.name, "number"]);
    }
  });
});
