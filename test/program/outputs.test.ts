import type { Plan } from "../../src/plan/evaluate";
import { planStack, resourcesOfType, TYPES } from "../helpers/plan";

describe("stack outputs and secrets", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("exports the SSH private key as a secret, masked in the plan", () => {
    expect(plan.outputs.sshPrivateKey).toMatchObject({ secret: true, value: "[secret]" });
  });

  it("generates an ED25519 key for the program's own use", () => {
    expect(resourcesOfType(plan, TYPES.privateKey).map((key) => key.inputs.algorithm)).toEqual(["ED25519"]);
  });

  it("exports the node table with roles and private IPs; public addresses are known after apply", () => {
    const nodes = plan.outputs.nodes.value as Record<string, unknown>[];
    expect(nodes.map((node) => [node.name, node.role, node.privateIp, node.publicIpv4])).toEqual([
      ["cp-1", "control-plane", "10.0.1.10", "(known after apply)"],
      ["cp-2", "control-plane", "10.0.1.11", "(known after apply)"],
      ["cp-3", "control-plane", "10.0.1.12", "(known after apply)"],
      ["worker-1", "worker", "10.0.1.13", "(known after apply)"],
    ]);
    expect(plan.outputs.nodes.secret).toBe(false);
  });

  it("exports the API endpoint and the load balancer addresses", () => {
    expect(plan.outputs.apiEndpoint).toMatchObject({ secret: false, known: false });
    expect(plan.outputs.apiLoadBalancerPrivateIp).toEqual({ secret: false, known: true, value: "10.0.1.2" });
    expect(plan.outputs.apiLoadBalancerIpv4.known).toBe(false);
  });

  it("marks exactly the credentials-bearing inputs as secret", () => {
    expect(JSON.stringify(plan.resources)).not.toMatch(/PRIVATE KEY/);
    const secret = plan.resources.flatMap((resource) =>
      resource.secretInputs.map((path) => `${resource.type} ${path}`),
    );
    expect(new Set(secret)).toEqual(
      new Set([
        "command:remote:Command connection",
        "command:remote:Command stdin",
        "pulumi:providers:kubernetes kubeconfig",
        "kubernetes:core/v1:Secret stringData",
        "kubernetes:helm.sh/v3:Release values.bootstrapPassword",
        "kubernetes:helm.sh/v3:Release values.grafana.adminPassword",
      ]),
    );
    for (const resource of plan.resources.filter((entry) => entry.type === "command:remote:Command")) {
      expect(resource.secretInputs).toContain("connection");
      expect(resource.inputs.connection).toBe("[secret]");
    }
  });
});
