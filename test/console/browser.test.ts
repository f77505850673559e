import { readFileSync, writeFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { startConsoleServer, type ConsoleServer } from "../../src/console/server";
import { openConsolePage, requireChromium, type ConsolePage } from "./chromium";
import { DEV_DEPLOYMENT_OUTPUT, DEV_NODES_OUTPUT, tempProject } from "./helpers";

jest.setTimeout(180_000);

/** The console's pages in headless Chromium: every edit through its form, as a person makes it. */

test("Chromium is installed", requireChromium);

describe("console in Chromium", () => {
  let project: { dir: string; stackFile: string };
  let server: ConsoleServer;
  let browser: ConsolePage;
  let page: Page;

  beforeAll(async () => {
    project = tempProject();
    server = await startConsoleServer({
      stack: "dev",
      projectDir: project.dir,
      port: 0,
      kubeconfig: { kind: "none", reason: "no kubeconfig: set KUBECONFIG or pass --kubeconfig" },
      deployAvailability: { available: false, reason: "the Pulumi CLI (pulumi) is not on PATH" },
      // The dev stack's four nodes are deployed.
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
    expect(browser.pageErrors).toEqual([]);
  });

  const stackText = () => readFileSync(project.stackFile, "utf8");
  const shot = (name: string) => browser.shot(name);
  let startText = "";

  it("shows the overview: nodes, pool chart, tenants and the not-connected state", async () => {
    startText = stackText();
    await page.goto(`${server.url}/#overview`);
    await page.locator("#nodes-table").waitFor();
    expect(await page.locator("#nodes-table tbody tr").count()).toBe(4);
    // What the stack's outputs say, not what git says.
    expect(await page.locator("#nodes-table [data-state]").allTextContents()).toEqual([
      "deployed",
      "deployed",
      "deployed",
      "deployed",
    ]);
    expect(await page.locator("#last-deployment").textContent()).toContain("the stack's outputs");
    expect(await page.locator(".pool-chart rect.bar-tenant").count()).toBeGreaterThan(0);
    expect(await page.locator("#tenants-table").textContent()).toContain("team-b-staging");
    expect(await page.locator("#live").textContent()).toContain("Not connected");
    await shot("overview.png");
  });

  it("adds a node through the form; the file keeps its comments and Changes lists the new resources", async () => {
    await page.click("#tab-servers");
    await page.locator("#add-node-form").waitFor();
    expect(await page.inputValue('[name="privateIp"]')).toBe("10.0.1.14");
    await page.fill('[name="name"]', "worker-2");
    await page.selectOption('[name="serverType"]', "cpx32");
    await page.fill('[name="volumeSizeGb"]', "40");
    await page.click('#add-node-form button[type="submit"]');
    await page.locator(".flash").waitFor();
    const text = stackText();
    expect(text).toContain("- name: worker-2");
    expect(text).toContain("serverType: cpx32");
    expect(text).toContain("# Workers: add more below, each with its own name and address.");
    expect(await page.locator("#servers-table").textContent()).toContain("worker-2");
    await shot("servers.png");

    await page.click("#tab-changes");
    await page.locator("#changes-summary").waitFor({ timeout: 60_000 });
    const changes = await page.locator("#changes-body").textContent();
    expect(changes).toContain("worker-2-server");
    expect(changes).toContain("worker-2-volume");
    expect(await page.locator("#changes-summary").textContent()).toMatch(/^Plan: \d+ to create/);
    expect(await page.locator("#deploy-button").isDisabled()).toBe(true);
    await shot("changes.png");
  });

  it("adds a tenant through the form", async () => {
    await page.click("#tab-tenants");
    await page.locator("#tenant-form").waitFor();
    await page.fill('[name="name"]', "team-c");
    await page.fill('[name="users"]', "dave, erin");
    await page.fill('[name="quota.requestsCpu"]', "1");
    await page.fill('[name="quota.requestsMemory"]', "2Gi");
    await page.fill('[name="quota.limitsCpu"]', "2");
    await page.fill('[name="quota.limitsMemory"]', "4Gi");
    await page.fill('[name="quota.pods"]', "30");
    await page.click('#tenant-form button[type="submit"]');
    await page.locator(".flash").waitFor();
    expect(stackText()).toContain("- name: team-c");
    expect(stackText()).toContain("users: [dave, erin]");
    expect(await page.locator("#tenants-edit-table").textContent()).toContain("team-c");
    await shot("tenants.png");
  });

  it("shows an invalid input's error next to its field and leaves the file untouched", async () => {
    const before = stackText();
    await page.click("#tab-servers");
    await page.locator("#add-node-form").waitFor();
    await page.fill('[name="name"]', "worker-3");
    await page.fill('[name="privateIp"]', "10.0.1.5");
    // The server checks the change as it is typed: the error shows, and the button stays off, before any click.
    const error = page.locator('[data-error-for="privateIp"]');
    await error.locator("div").waitFor();
    expect(await error.textContent()).toContain("reserved");
    expect(await page.locator("#batch-submit").isDisabled()).toBe(true);
    expect(stackText()).toBe(before);
    await shot("invalid-node.png");

    await page.click("#tab-tenants");
    await page.locator("#tenant-form").waitFor();
    await page.fill('[name="name"]', "team-d");
    await page.fill('[name="quota.requestsCpu"]', "1");
    await page.fill('[name="quota.requestsMemory"]', "1Gi");
    await page.fill('[name="quota.limitsCpu"]', "1");
    await page.fill('[name="quota.limitsMemory"]', "1Gi");
    await page.fill('[name="quota.pods"]', "lots");
    await page.click('#tenant-form button[type="submit"]');
    await page.locator('[data-error-for="quota.pods"] div').waitFor();
    expect(stackText()).toBe(before);
    await shot("invalid-tenant.png");
  });

  it("shows what removing a control-plane node means", async () => {
    await page.click("#tab-servers");
    await page.locator('#servers-table tbody tr:first-child [data-action="remove"]').click();
    const panel = page.locator(".removal");
    await panel.waitFor();
    const text = await panel.textContent();
    expect(text).toContain("delete protection");
    expect(text).toContain("quorum");
    expect(text).toContain("drains");
    // Refused by pulumi up as it stands (the server's dry run says so), so the button is off and the panel says why.
    await page.locator("#removal-refused li").first().waitFor();
    expect(await page.locator("#remove-confirm").isDisabled()).toBe(true);
    expect(await page.locator("#removal-refused").textContent()).toContain(
      "cp-1 still had delete protection",
    );
    await shot("remove-node.png");
  });

  it("discards every edit, then grows the control plane by two nodes in one change", async () => {
    await page.click("#discard-button");
    await page.locator(".flash").waitFor();
    expect(stackText()).toBe(startText);
    await page.click("#tab-servers");
    await page.locator("#add-node-form").waitFor();
    // Only the network zone's locations, and only the types sold there.
    const row = page.locator('.node-row[data-entry="0"]');
    expect(await row.locator('[name="location"] option').allTextContents()).toEqual([
      "fsn1 (cluster location)",
      "nbg1",
      "hel1",
    ]);
    const types = await row
      .locator('[name="serverType"] option')
      .evaluateAll((options) => options.map((option) => (option as HTMLOptionElement).value));
    expect(types).toContain("cx23");
    expect(types).not.toContain("cpx11");

    await row.locator('[name="name"]').fill("cp-4");
    await row.locator('[name="role"]').selectOption("control-plane");
    await row.locator('[name="serverType"]').selectOption("cx23");
    await page.locator("#batch-verdict", { hasText: "would be refused" }).waitFor();
    expect(await page.locator("#batch-errors").textContent()).toContain("4 control-plane node(s)");
    expect(await page.locator("#batch-submit").isDisabled()).toBe(true);
    await shot("batch-refused.png");

    await page.click("#add-row");
    const second = page.locator('.node-row[data-entry="1"]');
    expect(await second.locator('[name="privateIp"]').inputValue()).toBe("10.0.1.15");
    await second.locator('[name="name"]').fill("cp-5");
    await second.locator('[name="role"]').selectOption("control-plane");
    await second.locator('[name="serverType"]').selectOption("cx23");
    await page.locator("#batch-verdict", { hasText: "passes" }).waitFor();
    expect(await page.locator("#batch-submit").isDisabled()).toBe(false);
    await shot("batch-ok.png");
    await page.click("#batch-submit");
    await page.locator(".flash", { hasText: "Added cp-4, cp-5" }).waitFor();
    expect(stackText()).toContain("- name: cp-5");
    const states = await page.locator("#servers-table [data-state]").allTextContents();
    expect(states).toEqual(["deployed", "deployed", "deployed", "deployed", "new", "new"]);
    await shot("servers-after-batch.png");
  });

  it("undoes the last edit, and a new action clears the old message", async () => {
    await page.click("#undo-button");
    await page.locator(".flash", { hasText: "Undid" }).waitFor();
    expect(stackText()).toBe(startText);
    expect(await page.locator("#undo-button").isDisabled()).toBe(false);
    await page.locator('#servers-table tbody tr:nth-child(4) [data-action="edit"]').click();
    expect(await page.locator(".flash").count()).toBe(0);
  });

  it("edits a deployed node's taints; its server type is fixed, and says why", async () => {
    const editor = page.locator("#node-editor");
    await editor.waitFor();
    expect(await editor.locator('[name="serverType"]').isDisabled()).toBe(true);
    expect(await editor.textContent()).toContain(
      "worker-1 is a cx33; Hetzner resizes a server by powering it off hard",
    );
    await editor.locator('[name="taints"]').fill("dedicated=db:Sometimes");
    await editor.locator('button[type="submit"]').click();
    await editor.locator('[data-error-for="taints"] div').waitFor();
    expect(stackText()).toBe(startText);
    await editor.locator('[name="taints"]').fill("dedicated=db:NoSchedule");
    await editor.locator('button[type="submit"]').click();
    await page.locator(".flash", { hasText: "Saved worker-1" }).waitFor();
    expect(stackText()).toContain("taints:");
    expect(await page.locator("#servers-table").textContent()).toContain("dedicated=db:NoSchedule");
    await page.locator('#servers-table tbody tr:nth-child(4) [data-action="edit"]').click();
    await shot("node-editor.png");
  });

  it("removes a tenant after saying what stays in the cluster, and edits the new tenant fields", async () => {
    await page.click("#discard-button");
    await page.locator(".flash").waitFor();
    await page.click("#tab-tenants");
    await page.locator('[data-remove-tenant="team-b"]').click();
    const keeps = await page.locator("#tenant-keeps").textContent();
    expect(keeps).toContain("team-b, team-b-staging");
    expect(keeps).toContain("NetworkPolicy, ResourceQuota, LimitRange");
    await shot("tenant-remove.png");
    // Enabled once the server's dry run accepts the removal.
    await page.click("#tenant-remove-confirm");
    await page.locator(".flash", { hasText: "Removed tenant team-b" }).waitFor();
    expect(stackText()).not.toContain("- name: team-b");

    await page.locator('[data-edit="team-a"]').click();
    await page.locator('[data-priority-class="high"]').check();
    await page.fill('[name="allowFrom"]', "team-c");
    await page.locator('[name="allowDeletion"]').check();
    await page.click('#tenant-form button[type="submit"]');
    await page.locator(".flash", { hasText: "Saved tenant team-a" }).waitFor();
    const text = stackText();
    expect(text).toContain("priorityClasses: [high, default, low]");
    expect(text).toContain("allowFrom: [team-c]");
    expect(text).toContain("allowDeletion: true");
    await page.locator('[data-edit="team-a"]').click();
    await shot("tenant-edit.png");
  });

  it("shows a YAML error with its line breaks", async () => {
    writeFileSync(project.stackFile, `${startText}  hetzner-k8s:broken: [unclosed\n`);
    try {
      // Only the hash would change: reload, so that the page reads the broken file.
      await page.goto(`${server.url}/#servers`);
      await page.reload();
      const problem = page.locator(".card.problems .problem-line").first();
      await problem.waitFor();
      const shown = await problem.evaluate((element) => (element as HTMLElement).innerText);
      expect(shown).toContain("\n  hetzner-k8s:broken: [unclosed\n");
      await shot("yaml-error.png");
    } finally {
      writeFileSync(project.stackFile, startText);
    }
  });

  it("shows a pool's nodes as the pool's, and changes the pool's count", async () => {
    const pool =
      "  hetzner-k8s:nodePools:\n    - name: app\n      count: 1\n      serverType: cx33\n      ipRange: 10.0.1.64/28\n";
    writeFileSync(project.stackFile, `${startText}${pool}`);
    try {
      await page.goto(`${server.url}/#servers`);
      await page.reload();
      const row = page.locator("#servers-table tbody tr", { hasText: "app-1" });
      await row.waitFor();
      expect(await row.locator("[data-pool]").textContent()).toBe("pool app: change the pool below");
      expect(await row.locator('[data-action="edit"], [data-action="remove"]').count()).toBe(0);
      expect(await page.locator("#add-node-form [data-remove='app-1']").count()).toBe(0);
      await page.locator("[data-pool-count='app']").fill("2");
      await page.locator('#node-pools [data-action="set-count"]').click();
      await page.locator("#servers-table tbody tr", { hasText: "app-2" }).waitFor();
      expect(stackText()).toContain("      count: 2\n");
      expect(await page.locator("#pools-table").textContent()).toContain("10.0.1.65 – 10.0.1.66");
      await shot("node-pools.png");
      // An empty count is refused on the page; lowering one asks first, naming the nodes that leave.
      await page.locator("[data-pool-count='app']").fill("");
      await page.locator('#node-pools [data-action="set-count"]').click();
      await page.locator("#pool-errors", { hasText: "must be a whole number" }).waitFor();
      expect(stackText()).toContain("      count: 2\n");
      // The page's dialogs are accepted (chromium.ts): the edit goes through once asked.
      const asked: string[] = [];
      page.once("dialog", (dialog) => void asked.push(dialog.message()));
      await page.locator("[data-pool-count='app']").fill("1");
      await page.locator('#node-pools [data-action="set-count"]').click();
      await page.locator("#servers-table tbody tr", { hasText: "app-2" }).waitFor({ state: "detached" });
      expect(asked).toEqual(["Lower app to 1? The next pulumi up drains and removes app-2."]);
      expect(stackText()).toContain("      count: 1\n");
    } finally {
      writeFileSync(project.stackFile, startText);
    }
  });
});
