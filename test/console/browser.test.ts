import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { startConsoleServer, type ConsoleServer } from "../../src/console/server";
import { REPO, tempProject } from "./helpers";

jest.setTimeout(180_000);

/** The console in a real headless Chromium (Debian's /usr/bin/chromium), driven by playwright-core. */

const CHROMIUM = "/usr/bin/chromium";
const SHOTS = path.join(REPO, "test-output", "console");

// Missing Chromium fails the run with the install step; `npm test` installs it first.
test("Chromium is installed", () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run bash test/install-prerequisites.sh (or apt-get install -y chromium)`,
    );
});

describe("console in Chromium", () => {
  let project: { dir: string; stackFile: string };
  let server: ConsoleServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    project = tempProject();
    server = await startConsoleServer({
      stack: "dev",
      projectDir: project.dir,
      port: 0,
      kubeconfig: { kind: "none", reason: "no kubeconfig: set KUBECONFIG or pass --kubeconfig" },
      deployAvailability: { available: false, reason: "the Pulumi CLI (pulumi) is not on PATH" },
    });
    profile = mkdtempSync(path.join(tmpdir(), "console-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
      ],
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => {
      // A refused edit answers 400, which Chromium logs; that is the expected path, not a page error.
      if (message.type() === "error" && !message.text().includes("status of 400"))
        pageErrors.push(message.text());
    });
    // Nothing may come from the internet: every request must go to the console itself.
    await page.route("**/*", (route) =>
      route.request().url().startsWith(server.url) ? route.continue() : route.abort(),
    );
  });

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    expect(pageErrors).toEqual([]);
  });

  const stackText = () => readFileSync(project.stackFile, "utf8");

  it("shows the overview: nodes, pool chart, tenants and the not-connected state", async () => {
    await page.goto(`${server.url}/#overview`);
    await page.locator("#nodes-table").waitFor();
    expect(await page.locator("#nodes-table tbody tr").count()).toBe(4);
    expect(await page.locator(".pool-chart rect.bar-tenant").count()).toBeGreaterThan(0);
    expect(await page.locator("#tenants-table").textContent()).toContain("team-b-staging");
    expect(await page.locator("#live").textContent()).toContain("Not connected");
    await page.screenshot({ path: path.join(SHOTS, "overview.png"), fullPage: true });
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
    await page.screenshot({ path: path.join(SHOTS, "servers.png"), fullPage: true });

    await page.click("#tab-changes");
    await page.locator("#changes-summary").waitFor({ timeout: 60_000 });
    const changes = await page.locator("#changes-body").textContent();
    expect(changes).toContain("worker-2-server");
    expect(changes).toContain("worker-2-volume");
    expect(await page.locator("#changes-summary").textContent()).toMatch(/^Plan: \d+ to create/);
    expect(await page.locator("#deploy-button").isDisabled()).toBe(true);
    await page.screenshot({ path: path.join(SHOTS, "changes.png"), fullPage: true });
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
    await page.screenshot({ path: path.join(SHOTS, "tenants.png"), fullPage: true });
  });

  it("shows an invalid input's error next to its field and leaves the file untouched", async () => {
    const before = stackText();
    await page.click("#tab-servers");
    await page.locator("#add-node-form").waitFor();
    await page.fill('[name="name"]', "worker-3");
    await page.fill('[name="privateIp"]', "10.0.1.5");
    await page.click('#add-node-form button[type="submit"]');
    const error = page.locator('[data-error-for="privateIp"]');
    await error.locator("div").waitFor();
    expect(await error.textContent()).toContain("reserved");
    expect(stackText()).toBe(before);
    await page.screenshot({ path: path.join(SHOTS, "invalid-node.png"), fullPage: true });

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
    await page.screenshot({ path: path.join(SHOTS, "invalid-tenant.png"), fullPage: true });
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
    await page.screenshot({ path: path.join(SHOTS, "remove-node.png"), fullPage: true });
  });
});
