import { execFile } from "node:child_process";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The stack file as last applied: the committed version when it is in git, else the file at console start. */
export interface CommittedVersion {
  text: string;
  /** Where the text came from, for the page. */
  source: string;
}

export async function readCommittedVersion(
  stackFile: string,
  textAtStart: string,
): Promise<CommittedVersion> {
  const directory = path.dirname(stackFile);
  try {
    const { stdout: top } = await run("git", ["rev-parse", "--show-toplevel"], {
      cwd: directory,
      timeout: 10_000,
    });
    const relative = path.relative(top.trim(), stackFile).split(path.sep).join("/");
    const { stdout } = await run("git", ["show", `HEAD:${relative}`], {
      cwd: directory,
      timeout: 10_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { text: stdout, source: `git HEAD:${relative}` };
  } catch {
    return { text: textAtStart, source: "the stack file as it was when the console started (not in git)" };
  }
}
