import * as path from "node:path";
import { nearestKey } from "./config/issues";
import { runConsoleCommand } from "./console/cli";
import { EXIT_INVALID_CONFIG, runPlanCommand } from "./plan/cli";

/**
 * `hetzner-k8s <command> [options]`, the package's own command (`npx hetzner-k8s plan --stack dev`): hands
 * the rest of the line to the command's own parser, as `npm run plan` and `npm run console` do.
 */

const COMMANDS = {
  plan: "evaluate a stack offline and print the plan, or what changes (--diff)",
  console: "local web console over a stack file: overview, servers, tenants, changes, live status",
} as const;

type CommandName = keyof typeof COMMANDS;

const USAGE =
  "Usage: hetzner-k8s <command> [options]\n\nCommands:\n" +
  Object.entries(COMMANDS)
    .map(([name, summary]) => `  ${name.padEnd(9)}${summary}`)
    .join("\n") +
  "\n\nRun hetzner-k8s <command> --help for the command's options.\n";

/** Runs a command; resolves to the exit code, or undefined for the console, which keeps serving. */
export async function runCli(argv: string[], projectDir: string): Promise<number | undefined> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === "plan") return runPlanCommand(rest, projectDir);
  if (command === "console") {
    await runConsoleCommand(rest, projectDir);
    return undefined;
  }
  if (command === undefined) {
    process.stderr.write(`error: missing command\n\n${USAGE}`);
    return EXIT_INVALID_CONFIG;
  }
  const nearest = nearestKey(command, Object.keys(COMMANDS) as CommandName[]);
  const hint = nearest
    ? `did you mean "${nearest}"?`
    : `the commands are ${Object.keys(COMMANDS).join(", ")}`;
  process.stderr.write(`error: unknown command '${command}' (${hint})\n`);
  return EXIT_INVALID_CONFIG;
}

/** The entry point of the launcher (hetzner-k8s.mjs), which registers tsx first. */
export function main(argv: string[]): void {
  runCli(argv, path.resolve(__dirname, ".."))
    // exitCode rather than exit(): a large plan is still being written to a pipe.
    .then((code) => {
      if (code !== undefined) process.exitCode = code;
    })
    .catch((error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    });
}
