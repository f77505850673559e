import type { Page } from "playwright-core";
import { startConsoleServer, type ConsoleServer } from "../../src/console/server";
import { openConsolePage, requireChromium, type ConsolePage } from "./chromium";
import { DEV_DEPLOYMENT_OUTPUT, DEV_NODES_OUTPUT, tempProject } from "./helpers";
import { liveNode, nodeList, startKubeStandIn, type KubeStandIn } from "./kubeStandIn";

jest.setTimeout(180_000);

/** The overview against a live cluster (the Kubernetes stand-in) that disagrees with the stack. */

test("Chromium is installed", requireChromium);

describe("console live view in Chromium", () => {
  let standIn: KubeStandIn;
  let server: ConsoleServer;
  let browser: ConsolePage;
  let page: Page;

  beforeAll(async () => {
    standIn = await startKubeStandIn({
      "/api/v1/nodes": nodeList([
        liveNode("dev-cp-1", "v1.35.6+k3s1"),
        liveNode("dev-cp-2", "v1.35.6+k3s1"),
        liveNode("dev-cp-3", "v1.35.6+k3s1"),
        liveNode("dev-worker-1", "v1.35.5+k3s1", false),
        // Joined by hand: the stack knows nothing of it.
        liveNode("dev-stray", "v1.35.6+k3s1"),
      ]),
    });
    server = await startConsoleServer({
      stack: "dev",
      projectDir: tempProject().dir,
      port: 0,
      kubeconfig: { kind: "file", file: standIn.kubeconfig() },
      livePollMs: 200,
      deployAvailability: { available: false, reason: "the Pulumi CLI (pulumi) is not on PATH" },
      stackOutputs: () =>
        Promise.resolve({
          ok: true,
          outputs: { nodes: DEV_NODES_OUTPUT, deployment: DEV_DEPLOYMENT_OUTPUT },
        }),
    });
    browser = await openConsolePage(server.url);
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await standIn?.close();
    expect(browser.pageErrors).toEqual([]);
  });

  it("shows each node's deployment and live state, the Node the stack does not know, and version skew", async () => {
    await page.goto(`${server.url}/#overview`);
    // The page polls the live view every few seconds: wait for the connected table.
    await page.locator("#live .badge.on").waitFor({ timeout: 20_000 });
    await page.locator("#nodes-table th", { hasText: "Kubelet" }).waitFor();
    const rows = await page
      .locator("#nodes-table tbody tr")
      .evaluateAll((trs) =>
        trs.map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent ?? "")),
      );
    const worker = rows.find((cells) => cells[0] === "worker-1") ?? [];
    expect(worker).toEqual(expect.arrayContaining(["deployed", "KubeletNotReady", "v1.35.5+k3s1"]));
    expect(await page.locator("#drift").textContent()).toContain("dev-stray");
    expect(await page.locator("#version-mismatch").textContent()).toContain("dev-worker-1 runs v1.35.5+k3s1");
    expect(await page.locator("#version-mismatch").textContent()).toContain("k3s v1.35.6+k3s1");
    expect(await page.locator("#version-skew").textContent()).toContain("v1.35.5+k3s1, v1.35.6+k3s1");
    await browser.shot("overview-live.png");
  });
});
