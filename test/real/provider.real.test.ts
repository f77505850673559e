import { editedConfig } from "../helpers/plan";
import { realEnvironment } from "./harness/environment";
import { kubernetesLayersProgram } from "./harness/program";
import { changes, RealStack } from "./harness/stack";

/**
 * The program's own Kubernetes provider against the real engine and provider: when the address it
 * reaches the API through changes (the first control-plane node of a firewalled API removed, a new load
 * balancer), the provider is updated and not one object in the cluster is replaced.
 */

const PROVIDER = "pulumi:providers:kubernetes";

describe("the program's Kubernetes provider", () => {
  it("moves to another address of the same API server with one provider update and no replacement", async () => {
    const env = realEnvironment();
    const byIp = new URL(env.apiServer);
    const byName = new URL(env.apiServer);
    // The tier's API server certificate holds both 127.0.0.1 and localhost.
    byIp.hostname = "127.0.0.1";
    byName.hostname = "localhost";
    // A tenant of its own, deleted with the stack: other files' tenants keep their namespaces.
    const config = editedConfig("dev", (edited) => {
      edited.tenants = [
        { ...edited.tenants[0], name: "moving", namespaces: ["moving"], users: ["mo"], allowDeletion: true },
      ];
    });
    const stack = await RealStack.create("provider-address");
    try {
      const created = await stack.up(kubernetesLayersProgram(config, { programApiUrl: byIp.origin }));
      const objects = created.steps.filter((step) => step.type.startsWith("kubernetes:"));
      expect(objects.length).toBeGreaterThan(20);
      expect(objects.every((step) => step.op === "create")).toBe(true);

      const moved = await stack.up(kubernetesLayersProgram(config, { programApiUrl: byName.origin }));
      expect(changes(moved.steps).map((step) => [step.op, step.type])).toEqual([["update", PROVIDER]]);
      expect(changes(moved.steps)[0].diffs).toEqual(["kubeconfig"]);
      expect(changes(await stack.destroy()).every((step) => step.op === "delete")).toBe(true);
    } finally {
      await stack.remove();
    }
  });
});
