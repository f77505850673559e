import { changedPaths, diffPlans, isUnder, summarizeDiff, type PlanDiff } from "../../src/plan/diff";
import { formatValue, renderDiff } from "../../src/plan/renderDiff";
import type { Plan } from "../../src/plan/evaluate";
import type { StackConfig } from "../../src/config/schema";
import { addWorkers, planStack, resourceNamed, shippedConfig, TYPES } from "../helpers/plan";

const shippedNodes = () => shippedConfig("dev").nodes.length;

function names(changes: PlanDiff[keyof PlanDiff]): string[] {
  return changes.map((change) => change.name);
}

describe("changes between two configs stay local", () => {
  let dev: Plan;
  beforeAll(async () => {
    dev = await planStack("dev");
  });

  it("re-planning the same config changes nothing", async () => {
    const diff = diffPlans(dev, await planStack("dev"));
    expect(summarizeDiff(diff)).toBe("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete");
  });

  /** Each tenant namespace's egress policy, with the path of the internet rule's entry for one node. */
  const egressUpdates = (plan: Plan, nodeIndex: number) => {
    const entry = 5 + nodeIndex; // after the private, shared and link-local ranges
    return plan.resources
      .filter((resource) => resource.name.endsWith("/tenant-egress"))
      .map((resource) => [resource.name, [`spec.egress[2].to[0].ipBlock.except[${entry}]`]]);
  };
  const updated = (diff: PlanDiff) => diff.update.map((change) => [change.name, change.paths]);

  it("adding a node creates only that node's resources and changes no input of any existing one but the tenants' egress, which excepts its address", async () => {
    const diff = diffPlans(dev, await planStack("dev", (config) => addWorkers(config, 1, 14)));
    expect(updated(diff)).toEqual(egressUpdates(dev, shippedNodes()));
    expect(diff.replace).toEqual([]);
    expect(diff.delete).toEqual([]);
    // The NodeServer and NodeBootstrap components and the NodePatch are named after the node.
    expect(names(diff.create).sort()).toEqual(
      [
        "extra-1",
        "extra-1",
        "extra-1",
        "extra-1-bootstrap",
        "extra-1-drain",
        "extra-1-reconfigure",
        "extra-1-server",
        "extra-1-taints",
      ].sort(),
    );
  });

  it("removing a worker deletes only its resources", async () => {
    const withExtra = await planStack("dev", (config) => addWorkers(config, 1, 14));
    const diff = diffPlans(withExtra, dev);
    expect(diff.create).toEqual([]);
    expect(updated(diff)).toEqual(egressUpdates(dev, shippedNodes()));
    expect(diff.replace).toEqual([]);
    expect(diff.delete.every((change) => change.name.startsWith("extra-1"))).toBe(true);
    expect(diff.delete.length).toBe(8);
  });

  it("raising a pool's count creates only the next node's resources, and lowering it deletes only the highest's", async () => {
    const withPool = (count: number) => (config: StackConfig) => {
      config.nodePools = [{ name: "app", count, serverType: "cx33", ipRange: "10.0.1.64/28" }];
    };
    const two = await planStack("dev", withPool(2));
    const three = await planStack("dev", withPool(3));
    const raised = diffPlans(two, three);
    expect(updated(raised)).toEqual(egressUpdates(two, shippedNodes() + 2));
    expect(raised.replace).toEqual([]);
    expect(raised.delete).toEqual([]);
    expect(names(raised.create).every((name) => name.startsWith("app-3"))).toBe(true);
    expect(names(raised.create)).toContain("app-3-server");
    expect(resourceNamed(three, TYPES.server, "app-3-server").inputs).toMatchObject({
      labels: { pool: "app", role: "worker" },
      networks: [expect.objectContaining({ ip: "10.0.1.67" })],
    });
    const lowered = diffPlans(three, two);
    expect(lowered.create).toEqual([]);
    expect(lowered.replace).toEqual([]);
    expect(names(lowered.delete).sort()).toEqual(names(raised.create).sort());
    // The removed node is drained first, as any removed node is.
    expect(names(lowered.delete)).toContain("app-3-drain");
  });

  it("adding a tenant creates only that tenant's resources", async () => {
    const diff = diffPlans(
      dev,
      await planStack("dev", (config) => {
        config.tenants.push({ ...structuredClone(config.tenants[0]), name: "team-c", users: ["dave"] });
      }),
    );
    expect(diff.update).toEqual([]);
    expect(diff.replace).toEqual([]);
    expect(diff.delete).toEqual([]);
    // The Tenant component, what it holds in team-c, its hostname policies, and dave's identity in tenant-users.
    expect(diff.create.map((change) => `${change.type} ${change.name}`).sort()).toEqual([
      "hetzner-k8s:tenants:Tenant team-c",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy tenant-certificates.team-c",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy tenant-ingresses.team-c",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding tenant-certificates.team-c",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding tenant-ingresses.team-c",
      "kubernetes:core/v1:LimitRange team-c/tenant-limits",
      "kubernetes:core/v1:Namespace team-c",
      "kubernetes:core/v1:ResourceQuota team-c/denied-priority-classes",
      "kubernetes:core/v1:ResourceQuota team-c/tenant-quota",
      "kubernetes:core/v1:Secret tenant-users/team-c.dave-token",
      "kubernetes:core/v1:ServiceAccount tenant-users/team-c.dave",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-c/allow-tenant-and-platform",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-c/default-deny-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-c/tenant-egress",
      "kubernetes:rbac.authorization.k8s.io/v1:Role team-c/tenant-workloads",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding team-c/user-dave",
    ]);
    // URNs as the engine gives them: the Tenant component under Tenants, the rest under both.
    const tenant = "urn:pulumi:dev::hetzner-k8s::hetzner-k8s:tenants:Tenants$hetzner-k8s:tenants:Tenant";
    for (const change of diff.create)
      expect(change.urn).toBe(
        change.type === "hetzner-k8s:tenants:Tenant"
          ? `${tenant}::team-c`
          : `${tenant}$${change.type}::${change.name}`,
      );
  });

  it("changing the k3s version or a k3s setting replaces no server and only updates the rolling commands", async () => {
    const diff = diffPlans(
      dev,
      await planStack("dev", (config) => {
        config.k3sVersion = "v1.34.1+k3s1";
        config.flannelBackend = "wireguard-native";
      }),
    );
    expect(diff.replace).toEqual([]);
    expect(diff.create).toEqual([]);
    expect(diff.delete).toEqual([]);
    expect(names(diff.update).sort()).toEqual(
      ["cp-1-reconfigure", "cp-2-reconfigure", "cp-3-reconfigure", "worker-1-reconfigure"].sort(),
    );
    for (const change of diff.update) expect(change.paths).toEqual(["update"]);
  });

  it("editing a node's labels patches its Node object and restarts nothing", async () => {
    const diff = diffPlans(
      dev,
      await planStack("dev", (config) => {
        config.nodes[3].labels = { "node.kubernetes.io/pool": "batch" };
      }),
    );
    expect(diff.update.map((change) => [change.type, change.name])).toEqual([
      ["kubernetes:core/v1:NodePatch", "worker-1"],
    ]);
    expect(diff.replace).toEqual([]);
  });

  it("editing a node's taints re-runs only its taints command, patches no Node and restarts nothing", async () => {
    const diff = diffPlans(
      dev,
      await planStack("dev", (config) => {
        config.nodes[3].taints = [{ key: "dedicated", value: "batch", effect: "NoSchedule" }];
      }),
    );
    expect(diff.update.map((change) => [change.type, change.name, change.paths])).toEqual([
      ["command:remote:Command", "worker-1-taints", ["create", "update"]],
    ]);
    expect(diff.create).toEqual([]);
    expect(diff.replace).toEqual([]);
    expect(diff.delete).toEqual([]);
  });

  it("a new server image is ignored by existing servers (it applies to new ones)", async () => {
    const diff = diffPlans(
      dev,
      await planStack("dev", (config) => {
        config.serverImage = "ubuntu-26.04";
      }),
    );
    expect(summarizeDiff(diff)).toBe("Plan: 0 to create, 0 to update, 0 to replace, 0 to delete");
  });
});

describe("replacements", () => {
  it("reports the properties that force Hetzner to re-create a server", async () => {
    const before = await planStack("prod");
    const after = await planStack("prod", (config) => {
      const node = config.nodes.find((entry) => entry.name === "db-1");
      if (!node) throw new Error("prod has db-1");
      node.location = "nbg1";
      node.privateIp = "10.0.1.31";
    });
    const diff = diffPlans(before, after);
    const server = diff.replace.find((change) => change.name === "db-1-server");
    // The provider re-attaches a server to change its private IP: only the location forces a new server.
    expect(server?.paths).toEqual(["location"]);
    expect(names(diff.replace)).toContain("db-1-volume");
  });

  it("updates a server's private IP in place, as the provider does", async () => {
    const before = await planStack("dev");
    const after = await planStack("dev", (config) => void (config.nodes[3].privateIp = "10.0.1.20"));
    const diff = diffPlans(before, after);
    expect(names(diff.replace)).not.toContain("worker-1-server");
    expect(diff.update.find((change) => change.name === "worker-1-server")?.paths).toEqual([
      "networks[0].ip",
    ]);
  });

  it("reports a change to an input the resource replaces on (replaceOnChanges), such as a PriorityClass's value", async () => {
    const before = await planStack("dev");
    const after: Plan = structuredClone(before);
    const platformClass = after.resources.find(
      (resource) =>
        resource.type === "kubernetes:scheduling.k8s.io/v1:PriorityClass" &&
        resource.name === "hetzner-k8s-platform",
    );
    if (!platformClass) throw new Error("the dev plan has the platform's priority class");
    platformClass.inputs.value = 200_000_000;
    platformClass.inputs.description = "another description";
    const diff = diffPlans(before, after);
    expect(diff.replace.map((change) => [change.name, change.paths])).toEqual([
      ["hetzner-k8s-platform", ["value"]],
    ]);
    expect(diff.update).toEqual([]);
  });

  it("reports an in-place change as an update with the changed inputs", async () => {
    const before = await planStack("dev");
    const after = await planStack("dev", (config) => {
      config.nodes[3].serverType = "cx43";
    });
    const diff = diffPlans(before, after);
    expect(diff.update.map((change) => [change.name, change.paths])).toEqual([
      ["worker-1-server", ["serverType"]],
    ]);
  });
});

describe("changedPaths", () => {
  it("lists leaf paths, with list indexes", () => {
    expect(changedPaths({ a: [1, { b: 2 }], c: 3 }, { a: [1, { b: 5 }, 7], c: 3 })).toEqual([
      "a[1].b",
      "a[2]",
    ]);
    expect(changedPaths({ a: 1 }, { a: 1 })).toEqual([]);
    expect(changedPaths({ a: { b: 1 } }, { a: "x" })).toEqual(["a"]);
  });
});

describe("what the diff shows of each change", () => {
  let dev: Plan;
  beforeAll(async () => {
    dev = await planStack("dev");
  });

  it("shows before and after of a changed input, so that a missing unit is seen", async () => {
    const diff = diffPlans(
      dev,
      await planStack("dev", (config) => {
        config.tenants[0].quota.requestsMemory = "4";
      }),
    );
    const quota = diff.update.find((change) => change.name === "team-a/tenant-quota");
    expect(quota?.values).toEqual([{ path: "spec.hard.requests.memory", before: "4Gi", after: "4" }]);
    expect(renderDiff(diff, "a", "b")).toContain('        spec.hard.requests.memory: "4Gi" → "4"\n');
  });

  it("says that a removed node's volume is retained in Hetzner, not deleted", async () => {
    // From a stack with one more worker, with a volume, back to the shipped one: that worker is removed.
    const withExtra = await planStack("dev", (config) => {
      addWorkers(config, 1, 14);
      config.nodes[config.nodes.length - 1].volumeSizeGb = 10;
    });
    const diff = diffPlans(withExtra, dev);
    const volume = diff.delete.find((change) => change.name === "extra-1-volume");
    expect(volume?.retained).toBe(true);
    expect(diff.delete.find((change) => change.name === "extra-1-server")?.retained).toBeUndefined();
    const text = renderDiff(diff, "a", "b");
    expect(text).toMatch(
      /^ {2}- forget {2}hcloud:index\/volume:Volume {2}extra-1-volume {2}\(retained in Hetzner: only removed from the stack\)$/m,
    );
    expect(text).toMatch(/^ {2}- delete {2}hcloud:index\/server:Server {2}extra-1-server$/m);
  });

  it("formats each value on one line", () => {
    expect(formatValue(undefined)).toBe("(none)");
    expect(formatValue(3)).toBe("3");
    expect(formatValue("a\nb\nc")).toBe("(3 lines)");
    expect(formatValue("x".repeat(100))).toBe(`"${"x".repeat(56)}...`);
  });
});

describe("isUnder", () => {
  it("takes a path as below itself and below its parents, [*] for any index", () => {
    expect(isUnder("networks[0].ip", "networks")).toBe(true);
    expect(isUnder("networks", "networks")).toBe(true);
    expect(isUnder("networksExtra", "networks")).toBe(false);
    expect(isUnder("triggers[0]", "triggers[*]")).toBe(true);
    expect(isUnder("triggers[12].a", "triggers[*]")).toBe(true);
    expect(isUnder("triggers", "triggers[*]")).toBe(false);
    expect(isUnder("spec.selector.matchLabels", "spec.selector")).toBe(true);
    expect(isUnder("specXselector", "spec.selector")).toBe(false);
  });
});
