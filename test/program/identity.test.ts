import { changedPaths } from "../../src/plan/diff";
import type { Plan, PlannedResource } from "../../src/plan/evaluate";
import { addWorkers, planStack } from "../helpers/plan";

function byUrn(plan: Plan): Map<string, PlannedResource> {
  return new Map(plan.resources.map((resource) => [resource.urn, resource]));
}

describe("stable node identity", () => {
  it("removing a node from the middle changes no other resource's inputs or options, cluster-wide ones included, but for dropping its address from the tenants' egress", async () => {
    const before = await planStack("dev", (config) => addWorkers(config, 3, 14));
    const after = await planStack("dev", (config) => {
      addWorkers(config, 3, 14);
      config.nodes = config.nodes.filter((node) => node.name !== "extra-2");
    });
    const previous = byUrn(before);
    const remaining = byUrn(after);
    const removed = [...previous.keys()].filter((urn) => !remaining.has(urn));
    expect(removed.length).toBeGreaterThan(0);
    expect(removed.every((urn) => urn.includes("extra-2"))).toBe(true);

    const changedDependencies: string[] = [];
    const nodes = after.nodes.length;
    for (const [urn, resource] of remaining) {
      const old = previous.get(urn) as PlannedResource;
      // A tenant's egress policy lists every node's public address (known after apply): it only loses one.
      if (resource.name.endsWith("/tenant-egress")) {
        expect([urn, changedPaths(old.inputs, resource.inputs)]).toEqual([
          urn,
          [`spec.egress[2].to[0].ipBlock.except[${5 + nodes}]`],
        ]);
        expect(old.dependencies.filter((entry) => !resource.dependencies.includes(entry))).toEqual([
          expect.stringMatching(/::extra-2-server$/),
        ]);
        continue;
      }
      expect([urn, resource.inputs, resource.options]).toEqual([urn, old.inputs, old.options]);
      if (JSON.stringify(resource.dependencies) !== JSON.stringify(old.dependencies))
        changedDependencies.push(resource.name);
    }
    // Only the rolling-change chain closes the gap: the next node now rolls after the one before.
    expect(changedDependencies).toEqual(["extra-3-reconfigure"]);
    const successor = remaining.get(
      [...remaining.keys()].find((urn) => urn.endsWith("::extra-3-reconfigure")) ?? "",
    );
    expect(successor?.dependencies).toEqual(
      expect.arrayContaining([expect.stringMatching(/::extra-1-reconfigure$/)]),
    );
  });

  it("evaluates the same config to the same plan every time", async () => {
    const first = await planStack("prod");
    const second = await planStack("prod");
    expect(JSON.stringify(second)).toBe(JSON.stringify(first));
  });
});
