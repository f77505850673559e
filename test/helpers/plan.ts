import * as path from "node:path";
import type { RawConfig } from "../../src/config/load";
import { poolOf } from "../../src/config/nodePools";
import type { StackConfig } from "../../src/config/schema";
import { evaluatePlan, type Plan, type PlannedResource } from "../../src/plan/evaluate";
import { readStackConfig, stackFileFor } from "../../src/plan/stackFile";
import { loadStack, stackFromConfig } from "../../src/stack";

export const PROJECT_DIR = path.resolve(__dirname, "../..");

/** The raw config of a shipped stack, as `pulumi up` would see it. */
export function shippedRawConfig(stack: "dev" | "prod"): RawConfig {
  return readStackConfig(stackFileFor(PROJECT_DIR, stack), PROJECT_DIR);
}

export function shippedConfig(stack: "dev" | "prod"): StackConfig {
  return loadStack({ raw: shippedRawConfig(stack) }).config;
}

/**
 * A loaded config written back as stack-file values, to be loaded again: the loader expanded the pools
 * into nodes, and a stack file lists only the others.
 */
export function asStackFile(config: StackConfig): RawConfig {
  const file = { ...config, nodes: config.nodes.filter((node) => poolOf(config, node.name) === undefined) };
  return Object.fromEntries(Object.entries(file).map(([key, value]) => [`hetzner-k8s:${key}`, value]));
}

/** A shipped stack's config, edited and then validated again as the program would validate it. */
export function editedConfig(stack: "dev" | "prod", edit?: (config: StackConfig) => void): StackConfig {
  const config = structuredClone(shippedConfig(stack));
  edit?.(config);
  return loadStack({ raw: asStackFile(config) }).config;
}

/** Evaluates the real program for a shipped stack, optionally edited first. */
export function planStack(stack: "dev" | "prod", edit?: (config: StackConfig) => void): Promise<Plan> {
  return evaluatePlan(stack, stackFromConfig(editedConfig(stack, edit)));
}

export function resourcesOfType(plan: Plan, type: string): PlannedResource[] {
  return plan.resources.filter((resource) => resource.type === type);
}

export function resourceNamed(plan: Plan, type: string, name: string): PlannedResource {
  const found = plan.resources.find((resource) => resource.type === type && resource.name === name);
  if (!found) throw new Error(`no ${type} named ${name} in the plan`);
  return found;
}

export const TYPES = {
  server: "hcloud:index/server:Server",
  volume: "hcloud:index/volume:Volume",
  volumeAttachment: "hcloud:index/volumeAttachment:VolumeAttachment",
  firewall: "hcloud:index/firewall:Firewall",
  network: "hcloud:index/network:Network",
  subnet: "hcloud:index/networkSubnet:NetworkSubnet",
  placementGroup: "hcloud:index/placementGroup:PlacementGroup",
  loadBalancer: "hcloud:index/loadBalancer:LoadBalancer",
  loadBalancerNetwork: "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork",
  loadBalancerService: "hcloud:index/loadBalancerService:LoadBalancerService",
  loadBalancerTarget: "hcloud:index/loadBalancerTarget:LoadBalancerTarget",
  sshKey: "hcloud:index/sshKey:SshKey",
  privateKey: "tls:index/privateKey:PrivateKey",
} as const;

/** Adds workers with consecutive addresses starting at the given host number of 10.0.1.0/24. */
export function addWorkers(config: StackConfig, count: number, firstHost: number): void {
  for (let index = 0; index < count; index += 1) {
    config.nodes.push({
      name: `extra-${index + 1}`,
      role: "worker",
      serverType: "cx23",
      privateIp: `10.0.1.${firstHost + index}`,
    });
  }
}
