import { PRICES, PRICES_DATE, type PriceTable } from "../../src/config/prices";
import type { StackConfig } from "../../src/config/schema";
import { computeCost, type CostBreakdown } from "../../src/model/cost";
import { costChangeJson, costJson, euros, renderCost, renderCostChange } from "../../src/plan/renderCost";
import { editedConfig, shippedConfig } from "../helpers/plan";

/** A price the test relies on the table having. */
function known(price: number | undefined): number {
  if (price === undefined) throw new Error("the price table lacks a price this test relies on");
  return price;
}

/** The table's rows (between the header and the first line that is not a row) as their cells. */
function tableRows(lines: string[]): string[][] {
  const start = lines.findIndex((line) => line.trim().startsWith("ITEM"));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    const cells = line.trim().split(/\s{2,}/);
    if (!/^(server|primary|volume|load|subtotal|total)/.test(cells[0])) break;
    rows.push(cells);
  }
  return rows;
}

const cost = (edit?: (config: StackConfig) => void, prices?: PriceTable): CostBreakdown =>
  computeCost(editedConfig("dev", edit), { prices });

describe("euros", () => {
  it("rounds to cents half up, only when shown", () => {
    expect(euros(1.145)).toBe("€1.15");
    expect(euros(20 * 0.0572)).toBe("€1.14");
    expect(euros(-1.144)).toBe("-€1.14");
    expect(euros(0)).toBe("€0.00");
    expect(euros(1234.5)).toBe("€1234.50");
  });
});

describe("the plan's cost section", () => {
  const lines = renderCost(computeCost(shippedConfig("dev")));
  const rows = tableRows(lines);

  it("lists identical items on one row with their count, location and monthly price", () => {
    const cx23 = known(PRICES.servers.cx23.fsn1);
    expect(rows).toContainEqual(["server cx23", "3", "fsn1", euros(3 * cx23)]);
    expect(rows).toContainEqual(["primary IPv4", "4", "fsn1", euros(4 * known(PRICES.primaryIpv4.fsn1))]);
    expect(rows).toContainEqual(["volume 20 GB", "1", "fsn1", euros(20 * known(PRICES.volumePerGb))]);
    expect(rows).toContainEqual([
      "volume 50 GB (prometheus)",
      "1",
      "fsn1",
      euros(50 * known(PRICES.volumePerGb)),
    ]);
    expect(rows).toContainEqual([
      "load balancer lb11",
      "2",
      "fsn1",
      euros(2 * known(PRICES.loadBalancers.lb11.fsn1)),
    ]);
  });

  it("totals net and gross, saying which VAT rate and prices it used and what it leaves out", () => {
    const total = computeCost(shippedConfig("dev"));
    expect(lines[0]).toBe(`Monthly cost: ${euros(total.net)} net, ${euros(total.net * 1.19)} gross`);
    expect(rows).toContainEqual(["subtotal", "fsn1", euros(total.net)]);
    expect(rows).toContainEqual(["total net", euros(total.net)]);
    expect(rows).toContainEqual(["total gross (VAT 19%)", euros(total.net * 1.19)]);
    expect(lines.join("\n")).toContain(`prices of ${PRICES_DATE} (Hetzner, EUR excl. VAT`);
    expect(lines.join("\n")).toMatch(/billed hourly up to these monthly caps/);
    expect(lines.join("\n")).toMatch(/not included: traffic .*backups, snapshots, object storage/);
  });

  it("shows the VAT rate it was given", () => {
    const rendered = renderCost(computeCost(shippedConfig("dev"), { vatRate: 0.255 }));
    expect(rendered.some((line) => /total gross \(VAT 25\.5%\)/.test(line))).toBe(true);
  });

  it("has a subtotal for each location, in catalogue order", () => {
    const twoPlaces = cost((config) => (config.nodes[3].location = "hel1"));
    const subtotals = tableRows(renderCost(twoPlaces)).filter((row) => row[0] === "subtotal");
    expect(subtotals.map((row) => row[1])).toEqual(["fsn1", "hel1"]);
    const hel1 = twoPlaces.locations.find((location) => location.location === "hel1");
    expect(subtotals[1][2]).toBe(euros(hel1?.net ?? Number.NaN));
    expect(tableRows(renderCost(twoPlaces))).toContainEqual([
      "server cx33",
      "1",
      "hel1",
      euros(known(PRICES.servers.cx33.hel1)),
    ]);
  });

  it("marks an item of unknown price and makes the totals lower bounds", () => {
    const noLb11: PriceTable = { ...PRICES, loadBalancers: {} };
    const text = renderCost(cost(undefined, noLb11));
    expect(tableRows(text)).toContainEqual(["load balancer lb11", "2", "fsn1", "price unknown"]);
    expect(text[0]).toMatch(/^Monthly cost: at least €[\d.]+ net, at least €[\d.]+ gross$/);
    expect(text).toContain(
      "  price unknown, left out of the totals: 2 × load balancer lb11 in fsn1 (not in the price table)",
    );
  });
});

describe("the diff's cost change", () => {
  const before = computeCost(shippedConfig("dev"));

  it("says the cost is unchanged when nothing that costs changes", () => {
    expect(
      renderCostChange(
        before,
        cost((config) => (config.prometheusRetention = "30d")),
      ),
    ).toEqual([`cost: ${euros(before.net)} per month (unchanged)`]);
  });

  it("gives before, after and the difference, then each item that changed", () => {
    const after = cost((config) => {
      config.nodes[3].serverType = "cx43";
      config.nodes.push({ name: "worker-2", role: "worker", serverType: "cx33", privateIp: "10.0.1.14" });
    });
    const cx33 = known(PRICES.servers.cx33.fsn1);
    const cx43 = known(PRICES.servers.cx43.fsn1);
    const ipv4 = known(PRICES.primaryIpv4.fsn1);
    const delta = cx43 - cx33 + cx33 + ipv4;
    expect(renderCostChange(before, after)).toEqual([
      `cost: ${euros(before.net)} → ${euros(before.net + delta)} per month (+${euros(delta)} net)`,
      `  ~ server for worker-1: cx33 → cx43: +${euros(cx43 - cx33)}`,
      `  + server cx33 for worker-2 in fsn1: +${euros(cx33)}`,
      `  + primary IPv4 for worker-2 in fsn1: +${euros(ipv4)}`,
    ]);
  });

  it("shows removals and moves with their signs", () => {
    const after = cost((config) => {
      config.nodes[1].location = "nbg1";
      delete config.nodes[3].volumeSizeGb;
    });
    const volume = 20 * known(PRICES.volumePerGb);
    const lines = renderCostChange(before, after);
    expect(lines[0]).toBe(
      `cost: ${euros(before.net)} → ${euros(before.net - volume)} per month (-${euros(volume)} net)`,
    );
    expect(lines).toContain("  ~ server for cp-2, fsn1 → nbg1: +€0.00");
    // A removed volume is retained, so it is billed until someone deletes it.
    expect(lines).toContain(
      `  - volume 20 GB for worker-1 in fsn1: -${euros(volume)} once you delete it in Hetzner (it is retained)`,
    );
  });

  it("says how many changes it could not price", () => {
    const servers = Object.fromEntries(Object.entries(PRICES.servers).filter(([name]) => name !== "cx43"));
    const noCx43: PriceTable = { ...PRICES, servers };
    const after = cost((config) => (config.nodes[3].serverType = "cx43"), noCx43);
    const lines = renderCostChange(before, after);
    expect(lines[0]).toMatch(/\(\+€0\.00 net, not counting 1 change of unknown price\)$/);
    expect(lines[0]).toContain(`→ at least ${euros(before.net - known(PRICES.servers.cx33.fsn1))}`);
    expect(lines[1]).toBe("  ~ server for worker-1: cx33 → cx43: price unknown");
  });
});

describe("the cost as JSON", () => {
  it("has every item, cents-rounded amounts and null for an unknown price", () => {
    const noLb: PriceTable = { ...PRICES, loadBalancers: {} };
    const breakdown = cost(undefined, noLb);
    const json = costJson(breakdown);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(json.items).toHaveLength(breakdown.items.length);
    expect(json.items.filter((item) => item.monthlyNet === null).map((item) => item.resource)).toEqual([
      "api",
      "ingress",
    ]);
    expect(json.items.find((item) => item.kind === "volume" && !item.claim)?.monthlyNet).toBe(
      Math.round(20 * known(PRICES.volumePerGb) * 100) / 100,
    );
    expect(json).toMatchObject({ pricesDate: PRICES_DATE, currency: "EUR", vatRate: 0.19, complete: false });
    expect(json.net).toBe(Math.round(breakdown.net * 100) / 100);
    expect(json.notIncluded).toContain("backups");
  });

  it("gives the change with its items", () => {
    const before = computeCost(shippedConfig("dev"));
    const after = cost((config) => (config.nodes[3].volumeSizeGb = 40));
    const json = costChangeJson(before, after);
    const volume = known(PRICES.volumePerGb);
    expect(json.deltaNet).toBe(Math.round(20 * volume * 100) / 100);
    expect(json.unknown).toBe(0);
    expect(json.items).toEqual([
      expect.objectContaining({
        change: "changed",
        before: expect.objectContaining({ product: "20 GB" }),
        after: expect.objectContaining({ product: "40 GB" }),
      }),
    ]);
  });
});
