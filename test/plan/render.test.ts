import type { Plan } from "../../src/plan/evaluate";
import { renderPlan } from "../../src/plan/render";
import { planStack, resourcesOfType } from "../helpers/plan";

/** The node table's rows as [name, role, k3s role], in the order the plan prints them. */
function nodeRows(text: string): string[][] {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith("Nodes ("));
  const end = lines.indexOf("", start);
  return lines.slice(start + 2, end).map((line) =>
    line
      .trim()
      .split(/\s{2,}/)
      .slice(0, 3),
  );
}

describe("the plan's k3s release", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev", (config) => (config.k3sVersion = "v1.34.2+k3s1"));
  });

  it("is the stack's k3sVersion with its Kubernetes minor, in the header and the plan's data", () => {
    expect(plan.k3s).toEqual({ version: "v1.34.2+k3s1", kubernetesMinor: "1.34" });
    expect(renderPlan(plan).split("\n").slice(0, 2)).toEqual([
      expect.stringMatching(/^Plan for stack "dev"/),
      "k3s v1.34.2+k3s1 (Kubernetes 1.34) on every node",
    ]);
  });

  it("is what every node's bootstrap installs", () => {
    const bootstraps = resourcesOfType(plan, "command:remote:Command").filter((command) =>
      command.name.endsWith("-bootstrap"),
    );
    expect(bootstraps.map((command) => command.name).sort()).toEqual(
      ["cp-1", "cp-2", "cp-3", "worker-1"].map((node) => `${node}-bootstrap`),
    );
    for (const command of bootstraps) {
      expect(String(command.inputs.create)).toMatch(/^export K3S_VERSION='v1\.34\.2\+k3s1'$/m);
    }
  });
});

describe("the plan's node table", () => {
  it("lists the nodes in stack-file order with both roles, not servers first or by name", async () => {
    // A worker listed first: the resources come sorted by URN, and k3s needs the servers before the agents.
    const plan = await planStack("dev", (config) => {
      const [worker] = config.nodes.splice(3, 1);
      config.nodes.unshift(
        { ...worker, name: "worker-a" },
        { ...worker, name: "db", privateIp: "10.0.1.14" },
      );
    });
    const expected = [
      ["worker-a", "worker", "agent"],
      ["db", "worker", "agent"],
      ["cp-1", "control-plane", "server (cluster-init)"],
      ["cp-2", "control-plane", "server"],
      ["cp-3", "control-plane", "server"],
    ];
    expect(nodeRows(renderPlan(plan))).toEqual(expected);
    expect(plan.nodes.map((node) => [node.name, node.role, node.k3sRole])).toEqual(expected);
    expect(renderPlan(plan)).toContain("Nodes (5) in stack-file order\n");
  });
});
