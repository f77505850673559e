import * as path from "node:path";
import { ConfigError } from "../../src/config/errors";
import { formatIpv4, parseIpv4 } from "../../src/config/ipv4";
import type { RawConfig } from "../../src/config/load";
import type { StackConfig } from "../../src/config/schema";
import { readStackConfig } from "../../src/plan/stackFile";
import { loadStack } from "../../src/stack";

/** Shared helpers for the config tests: a valid base config (the shipped dev stack) and problem lines. */

export const PROJECT_DIR = path.resolve(__dirname, "../..");
export const DEV_STACK = path.join(PROJECT_DIR, "Pulumi.dev.yaml");
export const PROD_STACK = path.join(PROJECT_DIR, "Pulumi.prod.yaml");

/** A node entry as written in a stack file; deliberately loose so tests can write invalid ones. */
export type RawNode = Record<string, unknown>;

const devBase = readStackConfig(DEV_STACK, PROJECT_DIR);

/** `clusterName` -> `hetzner-k8s:clusterName`. */
export const key = (name: string): string => `hetzner-k8s:${name}`;

/** A fresh deep copy of the dev stack as `pulumi up` would see it (Pulumi.yaml defaults + stack file). */
export function devRaw(): RawConfig {
  return structuredClone(devBase);
}

/** Removes a key from a raw config or node, in place. */
export function removeKey(record: Record<string, unknown>, name: string): void {
  Reflect.deleteProperty(record, name);
}

/** The node list of a raw config, to mutate in place. */
export function nodesOf(raw: RawConfig): RawNode[] {
  const nodes = raw[key("nodes")];
  if (!Array.isArray(nodes)) throw new Error("raw config has no node list");
  return nodes as RawNode[];
}

/** The problem lines for a raw config, or [] when it is valid. Any other error propagates. */
export function problemsOf(raw: RawConfig): string[] {
  try {
    loadStack({ raw });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.lines;
    throw error;
  }
}

/** The problem lines of the dev stack after one mutation. */
export function problemsAfter(mutate: (raw: RawConfig, nodes: RawNode[]) => void): string[] {
  const raw = devRaw();
  mutate(raw, nodesOf(raw));
  return problemsOf(raw);
}

/** Parses the dev stack after one mutation, failing the test with the problem lines if it is invalid. */
export function parsedAfter(mutate: (raw: RawConfig, nodes: RawNode[]) => void): StackConfig {
  const raw = devRaw();
  mutate(raw, nodesOf(raw));
  return loadStack({ raw }).config;
}

/**
 * `count` valid nodes (the first `controlPlane` of them control plane) with distinct names and
 * consecutive addresses from `firstIp`.
 */
export function manyNodes(count: number, controlPlane: number, firstIp = "10.0.1.10"): RawNode[] {
  const first = parseIpv4(firstIp);
  if (first === undefined) throw new Error(`bad first IP ${firstIp}`);
  return Array.from({ length: count }, (_, index) => ({
    name: `node-${index}`,
    role: index < controlPlane ? "control-plane" : "worker",
    serverType: "cx23",
    privateIp: formatIpv4(first + index),
  }));
}
