import { evaluatePlan } from "../../src/plan/evaluate";
import { editedConfig } from "../helpers/plan";
import { kubernetesLayersProgram } from "./harness/program";
import { RealStack } from "./harness/stack";
import { stackFromConfig } from "../../src/stack";

/**
 * The offline plan against the real engine: for every resource the tier's preview registers, the plan
 * (npm run plan, under mocks) names the same URN and type. The runbooks' `pulumi state` commands and the
 * plan's diff rely on the plan's URNs being the engine's.
 */

/** The tier's own provider and the stack: the full program has its provider inside the platform. */
const TIER_ONLY = /::pulumi:pulumi:Stack::|::pulumi:providers:kubernetes::cluster$/;

describe("the offline plan", () => {
  it("names every resource with the URN and type the real engine gives it", async () => {
    const stackName = "plan-urns";
    const config = editedConfig("dev");
    const stack = await RealStack.create(stackName);
    try {
      const steps = await stack.preview(kubernetesLayersProgram(config));
      const engine = steps.filter((step) => !TIER_ONLY.test(step.urn));
      expect(engine.length).toBeGreaterThan(50);
      // Resources with grandparents are where the SDK's mocks and the engine used to disagree.
      expect(engine.some((step) => step.urn.includes("Tenants$hetzner-k8s:tenants:Tenant$"))).toBe(true);

      const plan = await evaluatePlan(stackName, stackFromConfig(config));
      const planned = new Map(plan.resources.map((resource) => [resource.urn, resource.type]));
      const missing = engine.filter((step) => planned.get(step.urn) !== step.type).map((step) => step.urn);
      expect(missing).toEqual([]);
    } finally {
      await stack.remove();
    }
  });
});
