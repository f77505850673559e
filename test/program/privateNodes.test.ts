import { PROJECT } from "../../src/config/errors";
import { COMMAND_TYPE } from "../../src/plan/bootstrapPath";
import type { ResourceRecord } from "../../src/plan/recorder";
import { renderPlan } from "../../src/plan/render";
import type { StackConfig } from "../../src/config/schema";
import { recordProgram, SECRET_SIGNATURE } from "../helpers/record";
import { editedConfig, planStack, resourceNamed, resourcesOfType, TYPES } from "../helpers/plan";

/**
 * Private nodes (privateNodes): no node has a public address; the gateway is the only server with one, the
 * bastion of every SSH session, the NAT router of the network, and with a firewalled API its door.
 */

const PRIVATE = (config: StackConfig) => {
  config.privateNodes = true;
};
const FIREWALLED = (config: StackConfig) => {
  config.privateNodes = true;
  config.apiExposure = "firewalled";
  config.apiHostname = "api.example.com";
};

describe("private nodes in the plan", () => {
  it("gives the nodes no public address and the gateway both", async () => {
    const plan = await planStack("dev", PRIVATE);
    const servers = resourcesOfType(plan, TYPES.server);
    const gateway = resourceNamed(plan, TYPES.server, "gateway-server");
    expect(gateway.inputs.publicNets).toEqual([{ ipv4Enabled: true, ipv6Enabled: true }]);
    expect(gateway.inputs.labels).toEqual({ "gateway-of": "dev", "managed-by": PROJECT });
    expect((gateway.inputs.networks as { ip: string }[])[0].ip).toBe("10.0.1.4");
    const nodes = servers.filter((server) => server !== gateway);
    expect(nodes.length).toBe(plan.nodes.length);
    for (const node of nodes)
      expect([node.name, node.inputs.publicNets]).toEqual([
        node.name,
        [{ ipv4Enabled: false, ipv6Enabled: false }],
      ]);
  });

  it("routes the network's internet traffic to the gateway once it is set up, and boots nodes after that", async () => {
    const plan = await planStack("dev", PRIVATE);
    const route = resourcesOfType(plan, "hcloud:index/networkRoute:NetworkRoute");
    expect(route.map((r) => [r.inputs.destination, r.inputs.gateway])).toEqual([["0.0.0.0/0", "10.0.1.4"]]);
    const setup = resourceNamed(plan, COMMAND_TYPE, "gateway-setup");
    expect(route[0].dependencies).toContain(setup.urn);
    for (const node of resourcesOfType(plan, TYPES.server).filter((s) => s.name !== "gateway-server"))
      expect(node.dependencies).toEqual(expect.arrayContaining([setup.urn, route[0].urn]));
    expect(String(setup.inputs.create)).toContain("export NETWORK_CIDR='10.0.0.0/16'");
    expect(String(setup.inputs.create)).not.toContain("export API_FORWARD=");
  });

  it("sends every node a default route through the network's gateway at each boot", async () => {
    const plan = await planStack("dev", PRIVATE);
    const node = resourceNamed(plan, TYPES.server, "cp-1-server");
    const userData = String(node.inputs.userData);
    expect(userData).toMatch(/bootcmd:/);
    expect(userData).toContain("ip route replace default via 10.0.0.1");
    expect(userData).toContain("nameserver 185.12.64.1");
    const publicPlan = await planStack("dev");
    expect(String(resourceNamed(publicPlan, TYPES.server, "cp-1-server").inputs.userData)).not.toContain(
      "bootcmd",
    );
  });

  it("opens SSH on the gateway only; the nodes' firewall admits nothing", async () => {
    const plan = await planStack("dev", PRIVATE);
    const firewalls = Object.fromEntries(
      resourcesOfType(plan, TYPES.firewall).map((f) => [
        String(f.inputs.name),
        (f.inputs.rules as { port?: string }[]).map((rule) => rule.port ?? "-"),
      ]),
    );
    expect(firewalls).toEqual({ "dev-nodes": [], "dev-gateway": ["-", "22"] });
  });

  it("forwards a firewalled API from the gateway to the API load balancer", async () => {
    const plan = await planStack("dev", FIREWALLED);
    const gateway = resourcesOfType(plan, TYPES.firewall).find((f) => f.inputs.name === "dev-gateway");
    const rules = gateway?.inputs.rules as { port?: string; sourceIps: string[] }[];
    expect(rules.find((rule) => rule.port === "6443")?.sourceIps).toEqual(
      editedConfig("dev").apiAllowedSources,
    );
    expect(resourcesOfType(plan, TYPES.firewall).map((f) => f.inputs.name)).not.toContain("dev-api");
    const setup = resourceNamed(plan, COMMAND_TYPE, "gateway-setup");
    expect(String(setup.inputs.create)).toContain("export API_FORWARD='10.0.1.2:6443'");
  });

  it("says in the plan what is exposed, and costs the gateway instead of the nodes' addresses", async () => {
    const plan = await planStack("dev", FIREWALLED);
    const text = renderPlan(plan);
    expect(text).toContain("No node has a public address");
    expect(text).toContain("dev-gateway (cx23, fsn1): private 10.0.1.4, PUBLIC");
    expect(text).toContain("6443/tcp on its public address goes to 10.0.1.2:6443");
    expect(text).toContain("(the nodes have no public interface: nothing is admitted)");
    const ipv4 = plan.cost.items.filter((item) => item.kind === "primary-ipv4").map((item) => item.resource);
    expect(ipv4).toEqual(["gateway"]);
    expect(plan.cost.items.filter((item) => item.kind === "server").map((item) => item.resource)).toContain(
      "gateway",
    );
  });
});

/** The commands' connections, as a deployed stack registers them (addresses assigned, keys reported). */
async function connections(
  edit: (config: StackConfig) => void,
): Promise<Map<string, Record<string, unknown>>> {
  const records = await recordProgram(
    editedConfig("dev", edit),
    (args) => {
      const stdout =
        args.type === COMMAND_TYPE
          ? `hetzner-k8s-host-key: ssh-ed25519 AAAA${args.name.replace(/[^a-z0-9]/g, "")}\n`
          : "";
      const assigned = {
        ipv4Address: args.name === "gateway-server" ? "198.51.100.4" : "",
        ipv4: `ip-of-${args.name}`,
        result: "password",
        linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${args.name}`,
        privateKeyOpenssh: "key",
        publicKeyOpenssh: "ssh-ed25519 AAAA",
        stdout,
      };
      return { id: `${args.name}-id`, state: { ...assigned, ...args.inputs } };
    },
    false,
  );
  const unwrap = (raw: unknown) => {
    const value = raw as Record<string, unknown> | undefined;
    return (value?.[SECRET_SIGNATURE] ? value.value : raw) as Record<string, unknown>;
  };
  return new Map(
    records
      .filter((record: ResourceRecord) => record.type === COMMAND_TYPE)
      .map((record) => [record.name, unwrap(record.rawInputs.connection)]),
  );
}

describe("SSH to private nodes", () => {
  it("goes through the gateway to each node's private address, both host keys pinned after first contact", async () => {
    const byName = await connections(PRIVATE);
    const bootstrap = byName.get("cp-1-bootstrap");
    expect(bootstrap?.host).toBe("10.0.1.10");
    expect(bootstrap?.proxy).toMatchObject({
      host: "198.51.100.4",
      user: "root",
      hostKey: "ssh-ed25519 AAAAgatewayidentity",
    });
    expect(bootstrap?.hostKey).toBeUndefined();
    const reconfigure = byName.get("worker-1-reconfigure");
    expect(reconfigure?.host).toBe("10.0.1.13");
    expect(reconfigure?.hostKey).toBe("ssh-ed25519 AAAAworker1bootstrap");
    expect(byName.get("kubeconfig")?.proxy).toMatchObject({ host: "198.51.100.4" });
    // The gateway itself: the first session takes any key and reports it; the setup requires it.
    expect(byName.get("gateway-identity")?.hostKey).toBeUndefined();
    expect(byName.get("gateway-setup")).toMatchObject({
      host: "198.51.100.4",
      hostKey: "ssh-ed25519 AAAAgatewayidentity",
    });
    expect(byName.get("gateway-setup")?.proxy).toBeUndefined();
  });

  it("asks a replaced gateway for its new key: its first session runs again for a new server", async () => {
    const plan = await planStack("dev", PRIVATE);
    const server = resourceNamed(plan, TYPES.server, "gateway-server");
    for (const name of ["gateway-identity", "gateway-setup"]) {
      const command = resourceNamed(plan, COMMAND_TYPE, name);
      expect([name, command.dependencies]).toEqual([name, expect.arrayContaining([server.urn])]);
      expect([name, (command.inputs.triggers as unknown[]).length]).toEqual([name, 1]);
    }
  });

  it("connects to public nodes directly, as before", async () => {
    const byName = await connections(() => undefined);
    expect(byName.get("cp-1-bootstrap")?.proxy).toBeUndefined();
    expect(byName.has("gateway-setup")).toBe(false);
  });
});
