import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/** A temp copy of the project's Pulumi.yaml and Pulumi.dev.yaml, with an encrypted value added. */

export const REPO = path.resolve(__dirname, "../..");
/** Stands in for the ciphertext `pulumi config set --secret` stores; it must never reach a response. */
export const SECURE_CIPHERTEXT = "v1:AAABAKq3ZmFrZS1jaXBoZXJ0ZXh0LW5ldmVyLXNlbnQ=";

export function tempProject(): { dir: string; stackFile: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "console-test-"));
  copyFileSync(path.join(REPO, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  const stack = readFileSync(path.join(REPO, "Pulumi.dev.yaml"), "utf8").replace(
    "config:\n",
    `config:\n  hcloud:token:\n    secure: ${SECURE_CIPHERTEXT}\n`,
  );
  const stackFile = path.join(dir, "Pulumi.dev.yaml");
  writeFileSync(stackFile, stack);
  return { dir, stackFile };
}
