import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { PROJECT_DIR } from "./plan";

/** Runs `npm run plan -- ...` the way a user does, as its own process, in `cwd` (default: the project). */
export function runPlan(args: readonly string[], cwd = PROJECT_DIR) {
  const tsx = path.join(PROJECT_DIR, "node_modules", ".bin", "tsx");
  // The prod plan as JSON is over a megabyte, more than spawnSync keeps by default.
  const result = spawnSync(tsx, [path.join(PROJECT_DIR, "src/plan/cli.ts"), ...args], {
    cwd,
    encoding: "utf8",
    maxBuffer: 64 * 2 ** 20,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}
