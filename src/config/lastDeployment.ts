import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../names";
import { parseStackConfig, type RawConfig } from "./load";
import {
  deploymentOf,
  type DeployedAutoscaledPool,
  type DeployedSettings,
  type LastDeployment,
  type PreviousNode,
} from "./transition";

/**
 * This stack's last deployment, read from its own `nodes` and `deployment` outputs. The first deployment
 * has neither.
 */
export async function readLastDeployment(): Promise<LastDeployment> {
  const self = new pulumi.StackReference("last-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const [nodes, settings] = await Promise.all([
    self.getOutputDetails("nodes"),
    self.getOutputDetails("deployment"),
  ]);
  return parseDeploymentOutputs(nodes.value ?? nodes.secretValue, settings.value ?? settings.secretValue);
}

/** Accepts what the outputs held in any earlier version; ignores what it cannot read. */
export function parseDeploymentOutputs(nodes: unknown, settings: unknown): LastDeployment {
  const parsedSettings = parseSettingsOutput(settings);
  return { nodes: parseNodesOutput(nodes), ...(parsedSettings && { settings: parsedSettings }) };
}

export function parseNodesOutput(value: unknown): PreviousNode[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    const node = entry as Record<string, unknown> | null;
    const valid = typeof node?.name === "string" && (node.role === "control-plane" || node.role === "worker");
    if (!node || !valid) return [];
    const text = (key: string) => (typeof node[key] === "string" ? { [key]: node[key] as string } : {});
    return [
      {
        name: node.name as string,
        role: node.role as PreviousNode["role"],
        ...(typeof node.deleteProtection === "boolean" && { deleteProtection: node.deleteProtection }),
        ...text("location"),
        ...text("privateIp"),
        ...text("serverType"),
        ...text("pool"),
        ...(typeof node.volumeSizeGb === "number" && { volumeSizeGb: node.volumeSizeGb }),
      },
    ];
  });
}

const SETTING_KEYS = [
  "k3sVersion",
  "clusterName",
  "networkCidr",
  "nodeSubnetCidr",
  "podCidr",
  "serviceCidr",
] as const;

function parseSettingsOutput(value: unknown): DeployedSettings | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const record = value as Record<string, unknown>;
  if (!SETTING_KEYS.every((key) => typeof record[key] === "string")) return undefined;
  const settings = Object.fromEntries(
    SETTING_KEYS.map((key) => [key, record[key]]),
  ) as unknown as DeployedSettings;
  const pools = Array.isArray(record.autoscaledPools) ? (record.autoscaledPools as unknown[]) : [];
  const autoscaledPools = pools.flatMap((pool): DeployedAutoscaledPool[] => {
    const entry = typeof pool === "object" && pool !== null ? (pool as Record<string, unknown>) : {};
    const { name, ipRange, location } = entry;
    return typeof name === "string" && typeof ipRange === "string" && typeof location === "string"
      ? [{ name, ipRange, location }]
      : [];
  });
  return {
    ...settings,
    ...(autoscaledPools.length > 0 && { autoscaledPools }),
    ...(record.privateNodes === true && { privateNodes: true }),
  };
}

/**
 * The nodes of raw stack config (a stack file standing for the last deployment) as servers that run, each
 * in its effective location: a type Hetzner stopped selling since is no error for a server that exists.
 */
export function runningServersOf(raw: RawConfig): PreviousNode[] {
  const location = raw[`${PROJECT}:location`];
  let nodes = raw[`${PROJECT}:nodes`];
  // The Pulumi CLI's way of passing structured values; an undecodable one is reported by the parse.
  if (typeof nodes === "string") {
    try {
      nodes = JSON.parse(nodes);
    } catch {
      return [];
    }
  }
  return parseNodesOutput(nodes).map((node) => ({
    ...node,
    location: node.location ?? (typeof location === "string" ? location : undefined),
  }));
}

/**
 * A stack file's config read as the last deployment, as `npm run plan -- --previous` and the console read
 * the committed file when the stack's outputs are not at hand. Throws a ConfigError when it is not valid.
 */
export function lastDeploymentOfStackConfig(raw: RawConfig, secretKeys: ReadonlySet<string>): LastDeployment {
  return deploymentOf(parseStackConfig(raw, secretKeys, runningServersOf(raw)));
}
