import { SERVER_IGNORED_CHANGES } from "../../src/infra/node";
import type { Plan } from "../../src/plan/evaluate";
import { addWorkers, planStack, resourceNamed, resourcesOfType, TYPES } from "../helpers/plan";

describe("servers of the dev stack", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("creates one server per node with its identity, role, type, image and fixed private IP", () => {
    const servers = resourcesOfType(plan, TYPES.server).map((server) => ({
      name: server.inputs.name,
      role: (server.inputs.labels as Record<string, string>).role,
      type: server.inputs.serverType,
      image: server.inputs.image,
      ip: (server.inputs.networks as { ip: string }[])[0].ip,
    }));
    expect(servers).toEqual([
      { name: "dev-cp-1", role: "control-plane", type: "cx23", image: "debian-13", ip: "10.0.1.10" },
      { name: "dev-cp-2", role: "control-plane", type: "cx23", image: "debian-13", ip: "10.0.1.11" },
      { name: "dev-cp-3", role: "control-plane", type: "cx23", image: "debian-13", ip: "10.0.1.12" },
      { name: "dev-worker-1", role: "worker", type: "cx33", image: "debian-13", ip: "10.0.1.13" },
    ]);
  });

  it("labels every server so the firewall and load balancers can select it", () => {
    const worker = resourceNamed(plan, TYPES.server, "worker-1-server");
    expect(worker.inputs.labels).toEqual({
      cluster: "dev",
      node: "worker-1",
      role: "worker",
      "managed-by": "hetzner-k8s",
    });
  });

  it("protects control-plane servers from deletion and rebuild, but not workers", () => {
    for (const server of resourcesOfType(plan, TYPES.server)) {
      const isControlPlane = (server.inputs.labels as Record<string, string>).role === "control-plane";
      expect(server.inputs.deleteProtection).toBe(isControlPlane);
      expect(server.inputs.rebuildProtection).toBe(isControlPlane);
    }
  });

  it("never replaces a server because user data, image or SSH keys changed", () => {
    expect(SERVER_IGNORED_CHANGES).toEqual(expect.arrayContaining(["userData", "image", "sshKeys"]));
    for (const server of resourcesOfType(plan, TYPES.server)) {
      expect(server.options.ignoreChanges).toEqual(expect.arrayContaining(["userData", "image", "sshKeys"]));
    }
  });

  it("creates servers after the firewall, network subnet, placement group and SSH key exist", () => {
    const firewall = resourcesOfType(plan, TYPES.firewall)[0];
    const subnet = resourcesOfType(plan, TYPES.subnet)[0];
    const sshKey = resourcesOfType(plan, TYPES.sshKey)[0];
    for (const server of resourcesOfType(plan, TYPES.server)) {
      expect(server.dependencies).toEqual(expect.arrayContaining([firewall.urn, subnet.urn, sshKey.urn]));
      const groups = resourcesOfType(plan, TYPES.placementGroup).filter((group) =>
        server.dependencies.includes(group.urn),
      );
      expect(groups).toHaveLength(1);
    }
  });

  it("gives every server the hardening cloud-init and only the program's own Hetzner SSH key", () => {
    for (const server of resourcesOfType(plan, TYPES.server)) {
      expect(server.inputs.userData).toMatch(/^#cloud-config\n/);
      expect(server.inputs.userData).toContain("PasswordAuthentication no");
      expect(server.inputs.sshKeys as unknown[]).toHaveLength(1);
    }
  });
});

describe("placement groups", () => {
  it("keeps the control plane in one spread group and splits workers into groups of at most ten", async () => {
    const plan = await planStack("dev", (config) => {
      addWorkers(config, 24, 14);
      config.loadBalancerType = "lb21"; // 28 ingress targets: more than lb11 takes
    });
    const members = new Map<string, number>();
    for (const server of resourcesOfType(plan, TYPES.server)) {
      const group = resourcesOfType(plan, TYPES.placementGroup).find((candidate) =>
        server.dependencies.includes(candidate.urn),
      );
      const name = String(group?.inputs.name);
      members.set(name, (members.get(name) ?? 0) + 1);
    }
    expect(Object.fromEntries(members)).toEqual({
      "dev-control-plane": 3,
      "dev-workers-1": 7, // worker-1 (.13) and extra .14-.19
      "dev-workers-2": 10,
      "dev-workers-3": 8,
    });
    for (const group of resourcesOfType(plan, TYPES.placementGroup)) expect(group.inputs.type).toBe("spread");
  });
});
