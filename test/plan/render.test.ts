import { PRICES_DATE } from "../../src/config/prices";
import { evaluatePlan, type Plan } from "../../src/plan/evaluate";
import { renderPlan } from "../../src/plan/render";
import { euros } from "../../src/plan/renderCost";
import { editedConfig, planStack, resourcesOfType } from "../helpers/plan";
import { stackFromConfig } from "../../src/stack";

/** The node table's rows as [name, role, k3s role], in the order the plan prints them. */
function nodeRows(text: string): string[][] {
  const lines = text.split("\n");
  const start = lines.findIndex((line) => line.startsWith("Nodes ("));
  const end = lines.indexOf("  Kubernetes labels and taints", start);
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

describe("the plan's node pools", () => {
  it("shows each pool's range, the addresses its count takes, its capacity and its nodes", async () => {
    const plan = await planStack("dev", (config) => {
      config.nodePools = [
        { name: "app", count: 3, serverType: "cx33", ipRange: "10.0.1.64/27" },
        { name: "spare", count: 0, serverType: "cx43", ipRange: "10.0.1.96/28", location: "nbg1" },
      ];
    });
    const text = renderPlan(plan);
    const lines = text.split("\n");
    const header = lines.findIndex((line) => line.startsWith("  Node pools"));
    expect(lines.slice(header + 2, header + 4).map((line) => line.trim().split(/\s{2,}/))).toEqual([
      ["app", "3", "cx33", "fsn1", "10.0.1.64/27", "10.0.1.65 - 10.0.1.67", "31 nodes", "app-1 .. app-3"],
      ["spare", "0", "cx43", "nbg1", "10.0.1.96/28", "-", "15 nodes", "-"],
    ]);
    expect(nodeRows(text).slice(-3)).toEqual([
      ["app-1", "worker", "agent"],
      ["app-2", "worker", "agent"],
      ["app-3", "worker", "agent"],
    ]);
  });

  it("shows an autoscaled pool's range of nodes and its own subnet, and counts it at its min", async () => {
    const plan = await planStack("dev", (config) => {
      config.nodePools = [
        { name: "burst", autoscaling: { min: 1, max: 4 }, serverType: "cx33", ipRange: "10.0.2.0/28" },
      ];
    });
    const text = renderPlan(plan);
    const lines = text.split("\n");
    const header = lines.findIndex((line) => line.startsWith("  Node pools"));
    expect(lines[header + 2].trim().split(/\s{2,}/)).toEqual([
      "burst",
      "1-4 (autoscaled)",
      "cx33",
      "fsn1",
      "10.0.2.0/28 (own subnet)",
      "picked by Hetzner",
      "13 nodes",
      "made by the cluster-autoscaler",
    ]);
    expect(text).toContain("the pool accounting counts its min and shows its max");
    expect(text).toMatch(/Autoscaled pools count at their min; at their max the pool is cpu \d/);
    expect(text).toMatch(
      /autoscaled pools are counted at their min; at their max they add up to €\d+\.\d\d net/,
    );
    // The cluster-autoscaler is among the releases.
    expect(text).toMatch(/cluster-autoscaler +cluster-autoscaler +9\.59\.0 +kube-system/);
  });

  it("shows no pool section for a stack without pools", async () => {
    expect(renderPlan(await planStack("dev"))).not.toContain("Node pools");
  });
});

describe("the plan's labels and taints", () => {
  it("lists every node's Kubernetes labels and taints, in stack-file order", async () => {
    const plan = await planStack("dev", (config) => {
      config.nodes[3].labels = { "example.com/pool": "db" };
      config.nodes[3].taints = [{ key: "dedicated", value: "db", effect: "NoSchedule" }];
    });
    const lines = renderPlan(plan).split("\n");
    const start = lines.indexOf("  Kubernetes labels and taints");
    const rows = lines.slice(start + 2, start + 6).map((line) => line.trim().split(/\s{2,}/));
    expect(rows.map(([name]) => name)).toEqual(["cp-1", "cp-2", "cp-3", "worker-1"]);
    expect(rows[0]).toEqual(["cp-1", "hetzner-k8s.io/node=cp-1, hetzner-k8s.io/role=control-plane", "-"]);
    expect(rows[3][1]).toContain("example.com/pool=db");
    expect(rows[3][2]).toBe("dedicated=db:NoSchedule");
  });
});

describe("the plan's notes", () => {
  it("says when a key set in the stack file has no effect, and prints no section when none has", async () => {
    const loadBalanced = renderPlan(await planStack("dev"));
    expect(loadBalanced).toContain(
      'Notes\n  hetzner-k8s:apiAllowedSources: has no effect with apiExposure "load-balancer"',
    );
    const firewalled = renderPlan(
      await planStack(
        "dev",
        (config) => ((config.apiExposure = "firewalled"), (config.apiHostname = "api.example.com")),
      ),
    );
    expect(firewalled).not.toContain("Notes\n");
  });
});

describe("the plan's cost", () => {
  it("shows the monthly cost, net and gross, with the date of its prices", async () => {
    const plan = await planStack("dev");
    const text = renderPlan(plan);
    expect(text).toContain(`Monthly cost: ${euros(plan.cost.net)} net, ${euros(plan.cost.gross)} gross\n`);
    expect(text).toContain(`prices of ${PRICES_DATE} (Hetzner, EUR excl. VAT`);
  });

  it("takes the VAT rate it is given", async () => {
    const plan = await evaluatePlan("dev", stackFromConfig(editedConfig("dev")), { vatRate: 0 });
    expect(plan.cost.gross).toBe(plan.cost.net);
    expect(renderPlan(plan)).toContain("total gross (VAT 0%)");
  });
});

describe("the plan's pod network", () => {
  it("names the Flannel backend every server's k3s config sets", async () => {
    const defaults = await planStack("dev");
    const wireguard = await planStack("dev", (config) => (config.flannelBackend = "wireguard-native"));
    const line = (plan: Plan) =>
      renderPlan(plan)
        .split("\n")
        .find((text) => text.includes("Pod network:"));
    expect(defaults.nodes[0].k3sConfig["flannel-backend"]).toBe("vxlan");
    expect(line(defaults)).toBe(
      "  Pod network: Flannel vxlan, over the interface holding each node's private IP",
    );
    expect(line(wireguard)).toMatch(/^ {2}Pod network: Flannel wireguard-native, /);
  });
});
