#!/usr/bin/env node
// The package's command (package.json "bin"). The CLI is TypeScript, run through tsx, a dev dependency that
// `npm ci` installs: registering tsx's require hook lets this file load src/cli.ts as it is.
import { createRequire } from "node:module";
import process from "node:process";
import { register } from "tsx/cjs/api";

register();
const require = createRequire(import.meta.url);
require("./cli.ts").main(process.argv.slice(2));
