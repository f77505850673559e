import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./load";
import type { StackConfig } from "./schema";

/** Reads and validates the stack config the Pulumi engine passes to the program. */
export function readPulumiStackConfig(): StackConfig {
  return parseStackConfig(pulumi.runtime.allConfig());
}
