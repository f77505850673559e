import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../names";
import type { RawConfig } from "./load";

/** The stack config the Pulumi engine passes to the program, with the keys it holds encrypted. */
export function readPulumiStackSource(): { raw: RawConfig; secretKeys: ReadonlySet<string> } {
  const raw = pulumi.runtime.allConfig();
  // isConfigSecret is marked internal in the SDK's typings but is how the engine's secret keys are read.
  const runtime = pulumi.runtime as unknown as { isConfigSecret(key: string): boolean };
  const secretKeys = Object.keys(raw)
    .filter((key) => key.startsWith(`${PROJECT}:`) && runtime.isConfigSecret(key))
    .map((key) => key.slice(PROJECT.length + 1));
  return { raw, secretKeys: new Set(secretKeys) };
}
