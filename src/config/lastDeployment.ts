import * as pulumi from "@pulumi/pulumi";
import type { DeployedSettings, LastDeployment, PreviousNode } from "./transition";

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
  return Object.fromEntries(SETTING_KEYS.map((key) => [key, record[key]])) as unknown as DeployedSettings;
}
