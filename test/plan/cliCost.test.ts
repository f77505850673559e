import { PRICES, PRICES_DATE } from "../../src/config/prices";
import { runPlan as runPlanProcess } from "../helpers/cli";

jest.setTimeout(120_000);

/** The cost in the plan command's output, as a user runs it: text, JSON, the diff and the VAT option. */

const runPlan = (...args: string[]) => runPlanProcess(args);

interface CostJson {
  pricesDate: string;
  vatRate: number;
  net: number;
  gross: number;
  complete: boolean;
}

describe("plan --json", () => {
  it("carries the cost, with the price date and the VAT rate", () => {
    const { code, stdout } = runPlan("--stack", "dev", "--json", "--vat", "25");
    expect(code).toBe(0);
    const { cost } = JSON.parse(stdout) as { cost: CostJson };
    expect(cost).toMatchObject({ pricesDate: PRICES_DATE, vatRate: 0.25, complete: true });
    expect(cost.gross).toBeCloseTo(cost.net * 1.25, 2);
  });
});

describe("plan --vat", () => {
  it("refuses a rate that is not a percentage, exit 2, saying what it wants", () => {
    const { code, stderr } = runPlan("--stack", "dev", "--vat", "120");
    expect(code).toBe(2);
    expect(stderr).toContain('expected a percentage from 0 to 100, got "120"');
  });
});

describe("plan --diff", () => {
  it("shows the change in cost, and carries it in --json", () => {
    const text = runPlan("--stack", "dev", "--diff", "docs/examples/dev-edited.yaml");
    expect(text.code).toBe(0);
    // The example adds one cx33 worker in fsn1: its server and its primary IPv4.
    const added = (PRICES.servers.cx33.fsn1 ?? NaN) + (PRICES.primaryIpv4.fsn1 ?? NaN);
    expect(text.stdout).toMatch(
      new RegExp(`^cost: €[\\d.]+ → €[\\d.]+ per month \\(\\+€${added.toFixed(2)} net\\)$`, "m"),
    );
    const json = runPlan("--stack", "dev", "--diff", "docs/examples/dev-edited.yaml", "--json");
    const { cost } = JSON.parse(json.stdout) as { cost: { deltaNet: number } };
    expect(cost.deltaNet).toBeCloseTo(added, 2);
  });
});
