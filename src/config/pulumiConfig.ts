import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../names";
import type { PreviousNode } from "./transition";
import { parseStackConfig } from "./load";
import type { StackConfig } from "./schema";

/** Reads and validates the stack config the Pulumi engine passes to the program. */
export function readPulumiStackConfig(running: readonly PreviousNode[] = []): StackConfig {
  const raw = pulumi.runtime.allConfig();
  // isConfigSecret is marked internal in the SDK's typings but is how the engine's secret keys are read.
  const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = Object.keys(raw)
    .filter((key) => key.startsWith(`${PROJECT}:`) && runtime.isConfigSecret(key))
    .map((key) => key.slice(PROJECT.length + 1));
  return parseStackConfig(raw, new Set(secretKeys), running);
}
