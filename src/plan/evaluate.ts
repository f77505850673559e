import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../config/errors";
import type { StackConfig } from "../config/schema";
import { buildPool, type PoolModel } from "../model/pool";
import { defineCluster } from "../program";
import { startRecording, type ResourceOptionsRecord } from "./recorder";
import { createSecrecyProbe, resourceKey } from "./secrecy";
import { maskInputs, resolveOutput, type ResolvedOutput } from "./values";

/** One resource of the plan, in the shape `plan --json` prints. */
export interface PlannedResource {
  urn: string;
  type: string;
  name: string;
  parent: string | null;
  dependencies: string[];
  inputs: Record<string, unknown>;
  secretInputs: string[];
  options: ResourceOptionsRecord;
}

export interface Plan {
  stack: string;
  resources: PlannedResource[];
  outputs: Record<string, ResolvedOutput>;
  /** The shared resource pool and what the tenants are promised (cores and bytes). */
  pool: PoolModel;
}

/**
 * Mocks behave like a preview against an empty project: every resource is to be created, and what the
 * cloud assigns (IDs, public addresses, generated keys) is unknown until it exists.
 */
const previewMocks: pulumi.runtime.Mocks = {
  newResource: () => ({ id: undefined, state: {} }),
  call: (args) => args.inputs,
};

/** Runs the real program (`defineCluster`) for a validated config under mocks and records what it declares. */
export async function evaluatePlan(stack: string, config: StackConfig): Promise<Plan> {
  await pulumi.runtime.setMocks(previewMocks, PROJECT, stack, true);
  const records = startRecording();
  const probe = createSecrecyProbe();
  // The offline plan has no Hetzner token; the cluster's copy of it shows as a secret like the real one.
  const credentials = { hcloudToken: pulumi.secret("(hcloud:token)") };
  const stackOutputs = defineCluster(config, credentials, { transformations: [probe.transformation] });
  const outputs: Record<string, ResolvedOutput> = {};
  for (const [name, value] of Object.entries(stackOutputs)) {
    if (value !== undefined) outputs[name] = await resolveOutput(value);
  }
  await pulumi.runtime.disconnect();
  const secretPaths = await probe.secretPaths();
  const resources = records
    .map((record): PlannedResource => {
      const masked = maskInputs(record.rawInputs, secretPaths.get(resourceKey(record.type, record.name)));
      return {
        urn: record.urn,
        type: record.type,
        name: record.name,
        parent: record.parent,
        dependencies: record.dependencies,
        inputs: masked.value as Record<string, unknown>,
        secretInputs: masked.secretPaths,
        options: record.options,
      };
    })
    .sort((a, b) => a.urn.localeCompare(b.urn));
  return { stack, resources, outputs, pool: buildPool(config) };
}
