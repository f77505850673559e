import * as pulumi from "@pulumi/pulumi";
import type { PreviousNode } from "./transition";

/**
 * The nodes of this stack's last deployment, read from its own `nodes` output. The first deployment
 * has none.
 */
export async function readLastDeployedNodes(): Promise<PreviousNode[]> {
  const self = new pulumi.StackReference("last-deployment", {
    name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
  });
  const details = await self.getOutputDetails("nodes");
  return parseNodesOutput(details.value ?? details.secretValue);
}

/** Accepts what the `nodes` output held in any earlier version; ignores what it cannot read. */
export function parseNodesOutput(value: unknown): PreviousNode[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    const node = entry as Partial<PreviousNode> | null;
    const valid = typeof node?.name === "string" && (node.role === "control-plane" || node.role === "worker");
    if (!valid) return [];
    return [
      {
        name: node.name as string,
        role: node.role as PreviousNode["role"],
        ...(typeof node.deleteProtection === "boolean" && { deleteProtection: node.deleteProtection }),
      },
    ];
  });
}
