import { existsSync } from "node:fs";
import * as path from "node:path";

/** Whether the Pulumi CLI can run: deploys, the stack's outputs and its kubeconfig output all need it. */

function onPath(command: string): boolean {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .some((directory) => directory !== "" && existsSync(path.join(directory, command)));
}

export function pulumiOnPath(): boolean {
  return onPath("pulumi");
}
