import { build } from "esbuild";
import { readFileSync } from "node:fs";
import * as path from "node:path";

/** The page's script and styles, bundled once at server start from src/console/web. Nothing comes from a CDN. */
export interface Assets {
  script: string;
  styles: string;
}

const WEB_DIR = path.join(__dirname, "web");

export async function bundleAssets(): Promise<Assets> {
  const result = await build({
    entryPoints: [path.join(WEB_DIR, "app.ts")],
    bundle: true,
    write: false,
    format: "iife",
    platform: "browser",
    target: "es2020",
    charset: "utf8",
    logLevel: "silent",
  });
  return {
    script: result.outputFiles[0].text,
    styles: readFileSync(path.join(WEB_DIR, "styles.css"), "utf8"),
  };
}

export function renderPage(csrfToken: string, stack: string): string {
  const escape = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="csrf-token" content="${escape(csrfToken)}">
<title>hetzner-k8s console · ${escape(stack)}</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<noscript>The console needs JavaScript.</noscript>
<div id="app"></div>
<script src="/app.js"></script>
</body>
</html>
`;
}
