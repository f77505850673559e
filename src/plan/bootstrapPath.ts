import { isTaintsCommandName, isVolumeCommandName } from "../model/k3s";
import type { Plan, PlannedResource } from "./evaluate";

/**
 * The SSH sessions `pulumi up` opens on the way to a ready cluster, read from the plan: commands that run
 * on create, and the longest chain of them that must run one after another.
 */

export const COMMAND_TYPE = "command:remote:Command";

export function createCommands(plan: Plan): PlannedResource[] {
  return plan.resources.filter(
    (resource) => resource.type === COMMAND_TYPE && resource.inputs.create !== undefined,
  );
}

/**
 * Commands that keep the nodes' taints current (`<node>-taints`). A node registers with its taints, so
 * a new cluster is ready without them; they run once every node is up, all in parallel.
 */
export function isTaintsCommand(resource: PlannedResource): boolean {
  return isTaintsCommandName(resource.name);
}

/**
 * Commands that format, mount and grow a node's own volume (`<node>-prepare-volume`). A new node's
 * bootstrap already prepares its volume, so on create they only confirm it, after the bootstrap and in
 * parallel with everything else; they matter when a volume is added to a running node or grows.
 */
export function isVolumeCommand(resource: PlannedResource): boolean {
  return isVolumeCommandName(resource.name);
}

/**
 * Commands on the path to a ready cluster, grouped by how many commands must finish before them: level 0
 * starts first.
 */
export function bootstrapLevels(plan: Plan): PlannedResource[][] {
  const commands = createCommands(plan).filter(
    (resource) => !isTaintsCommand(resource) && !isVolumeCommand(resource),
  );
  const byUrn = new Map(commands.map((resource) => [resource.urn, resource]));
  const depth = new Map<string, number>();
  const depthOf = (resource: PlannedResource): number => {
    const known = depth.get(resource.urn);
    if (known !== undefined) return known;
    const before = resource.dependencies.flatMap((urn) => {
      const dependency = byUrn.get(urn);
      return dependency ? [depthOf(dependency)] : [];
    });
    const value = before.length === 0 ? 0 : Math.max(...before) + 1;
    depth.set(resource.urn, value);
    return value;
  };
  const levels: PlannedResource[][] = [];
  for (const resource of commands) (levels[depthOf(resource)] ??= []).push(resource);
  return levels;
}
