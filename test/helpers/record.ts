import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../src/config/errors";
import type { StackConfig } from "../../src/config/schema";
import { startRecording, type ResourceRecord } from "../../src/plan/recorder";
import { resolveOutput } from "../../src/plan/values";
import { defineCluster } from "../../src/program";
import { stackFromConfig } from "../../src/stack";

/** The Pulumi SDK's marker of a secret value in a serialized resource or output (its rpc "sig" key). */
export const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

/**
 * Runs the whole program for `config` under the given mocks (as stack "dev") and returns every resource
 * it registered, with its raw inputs: what a test of a deployed stack (outputs known) looks at.
 */
export async function recordProgram(
  config: StackConfig,
  newResource: pulumi.runtime.Mocks["newResource"],
  dryRun: boolean,
): Promise<ResourceRecord[]> {
  await pulumi.runtime.setMocks({ newResource, call: (args) => args.inputs }, PROJECT, "dev", dryRun);
  const records = startRecording();
  const outputs = defineCluster(
    stackFromConfig(config),
    { hcloudToken: pulumi.secret("(hcloud:token)") },
    {},
  );
  for (const value of Object.values(outputs)) if (value !== undefined) await resolveOutput(value);
  await pulumi.runtime.disconnect();
  return records;
}
