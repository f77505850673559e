import type { Plan } from "../../src/plan/evaluate";
import { planStack } from "../helpers/plan";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";

/** Every Kubernetes object the program creates itself (Helm releases bring their own charts). */
function kubernetesObjects(plan: Plan) {
  return plan.resources.filter(
    (resource) =>
      resource.type.startsWith("kubernetes:") && resource.type !== "kubernetes:helm.sh/v3:Release",
  );
}

describe("Kubernetes objects against the official API schemas", () => {
  it.each(["dev", "prod"] as const)("every object of the %s stack is valid", async (stack) => {
    const objects = kubernetesObjects(await planStack(stack));
    expect(objects.length).toBeGreaterThan(10);
    for (const object of objects) {
      // A Secret's data is masked as a whole in the plan; its shape is checked on the model side.
      const inputs = { ...object.inputs };
      for (const path of object.secretInputs) if (path === "data" || path === "stringData") inputs[path] = {};
      expect(() => validateAgainstSchema(inputs)).not.toThrow();
    }
  });

  it("the check catches an invalid object", () => {
    expect(() =>
      validateAgainstSchema({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "x" },
        data: { key: 42 },
      }),
    ).toThrow();
    expect(() => validateAgainstSchema({ apiVersion: "v9", kind: "Unknown" })).toThrow(/no API schema/);
  });
});
