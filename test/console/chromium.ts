import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { REPO } from "./helpers";

/** The console in a real headless Chromium (Debian's /usr/bin/chromium), driven by playwright-core. */

export const CHROMIUM = "/usr/bin/chromium";
export const SHOTS = path.join(REPO, "test-output", "console");

/** Missing Chromium fails the run with the install step; `npm test` installs it first. */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: run bash test/install-prerequisites.sh (or apt-get install -y chromium)`,
    );
}

export interface ConsolePage {
  page: Page;
  /** Errors the page threw or logged; a test run ends with none. */
  pageErrors: string[];
  /** A full-page screenshot from the top, so that the sticky header sits where it belongs. */
  shot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsolePage(consoleUrl: string): Promise<ConsolePage> {
  mkdirSync(SHOTS, { recursive: true });
  const profile = mkdtempSync(path.join(tmpdir(), "console-chromium-"));
  const context: BrowserContext = await chromium.launchPersistentContext(profile, {
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
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (error) => pageErrors.push(error.message));
  // Discard asks first; the person at the page says yes.
  page.on("dialog", (dialog) => void dialog.accept());
  page.on("console", (message) => {
    // A refused edit (or a dry run of one) answers 400, which Chromium logs; that is an expected path.
    if (message.type() === "error" && !message.text().includes("status of 400"))
      pageErrors.push(message.text());
  });
  // Nothing may come from the internet: every request must go to the console itself.
  await page.route("**/*", (route) =>
    route.request().url().startsWith(consoleUrl) ? route.continue() : route.abort(),
  );
  return {
    page,
    pageErrors,
    shot: async (name) => {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: path.join(SHOTS, name), fullPage: true });
    },
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
