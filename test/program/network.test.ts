import type { Plan, PlannedResource } from "../../src/plan/evaluate";
import { publicExposureProblems } from "../../src/plan/render";
import { planStack, resourceNamed, resourcesOfType, TYPES } from "../helpers/plan";

interface Rule {
  direction: string;
  protocol: string;
  port?: string;
  sourceIps: string[];
}

function rulesOf(firewall: PlannedResource): Rule[] {
  return firewall.inputs.rules as Rule[];
}

function childrenOf(plan: Plan, parent: PlannedResource, type: string): PlannedResource[] {
  return plan.resources.filter((resource) => resource.parent === parent.parent && resource.type === type);
}

describe("network, firewall and load balancers of the dev stack", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("creates the private network and a cloud subnet in the location's network zone", () => {
    expect(resourcesOfType(plan, TYPES.network)[0].inputs).toMatchObject({
      name: "dev",
      ipRange: "10.0.0.0/16",
    });
    expect(resourcesOfType(plan, TYPES.subnet)[0].inputs).toMatchObject({
      type: "cloud",
      networkZone: "eu-central",
      ipRange: "10.0.1.0/24",
    });
  });

  it("opens only ICMP and SSH from the configured sources, by label selector", () => {
    const firewalls = resourcesOfType(plan, TYPES.firewall);
    expect(firewalls).toHaveLength(1);
    expect(firewalls[0].inputs.applyTos).toEqual([{ labelSelector: "cluster=dev" }]);
    expect(
      rulesOf(firewalls[0]).map(({ direction, protocol, port, sourceIps }) => ({
        direction,
        protocol,
        port,
        sourceIps,
      })),
    ).toEqual([
      { direction: "in", protocol: "icmp", port: undefined, sourceIps: ["0.0.0.0/0", "::/0"] },
      { direction: "in", protocol: "tcp", port: "22", sourceIps: ["203.0.113.0/24"] },
    ]);
    expect(publicExposureProblems(plan)).toEqual([]);
  });

  it("detects a firewall rule that would expose etcd, kubelet or flannel", () => {
    const firewall = resourcesOfType(plan, TYPES.firewall)[0];
    const leaky: PlannedResource = {
      ...firewall,
      inputs: {
        ...firewall.inputs,
        rules: [
          { direction: "in", protocol: "tcp", port: "2000-3000", sourceIps: ["0.0.0.0/0"] },
          { direction: "in", protocol: "udp", port: "8472", sourceIps: ["0.0.0.0/0"] },
        ],
      },
    };
    const problems = publicExposureProblems({ ...plan, resources: [leaky] });
    expect(problems).toEqual([expect.stringContaining("etcd"), expect.stringContaining("flannel VXLAN")]);
  });

  it("reads a rule's protocol and port as the policy pack does: none is every one, an unreadable port is said", () => {
    const firewall = resourcesOfType(plan, TYPES.firewall)[0];
    const withRules = (rules: Record<string, unknown>[]): PlannedResource => ({
      ...firewall,
      inputs: { ...firewall.inputs, rules },
    });
    const everyProtocol = publicExposureProblems({
      ...plan,
      resources: [withRules([{ direction: "in", port: " 10250 ", sourceIps: ["0.0.0.0/0"] }])],
    });
    expect(everyProtocol).toEqual([expect.stringContaining("kubelet (tcp/ 10250 )")]);
    const unreadable = publicExposureProblems({
      ...plan,
      resources: [
        withRules([{ direction: "in", protocol: "tcp", port: "22,2379", sourceIps: ["0.0.0.0/0"] }]),
      ],
    });
    expect(unreadable).toEqual([`${firewall.name} has a rule whose port 22,2379 the plan cannot read`]);
  });

  it("puts the public API load balancer on 6443 in front of the control-plane nodes only", () => {
    const api = resourceNamed(plan, TYPES.loadBalancer, "lb-api");
    expect(api.inputs).toMatchObject({ name: "dev-api", loadBalancerType: "lb11", location: "fsn1" });
    const [attachment] = childrenOf(plan, api, TYPES.loadBalancerNetwork);
    expect(attachment.inputs).toMatchObject({ ip: "10.0.1.2", enablePublicInterface: true });
    const [target] = childrenOf(plan, api, TYPES.loadBalancerTarget);
    expect(target.inputs).toMatchObject({
      type: "label_selector",
      labelSelector: "cluster=dev,role=control-plane",
      usePrivateIp: true,
    });
    expect(target.dependencies).toContain(attachment.urn);
    const services = childrenOf(plan, api, TYPES.loadBalancerService).map((service) => service.inputs);
    expect(services).toEqual([
      expect.objectContaining({
        protocol: "tcp",
        listenPort: 6443,
        destinationPort: 6443,
        // Ready, not merely listening: k3s's supervisor opens 6443 before the API server and etcd are up.
        healthCheck: expect.objectContaining({
          protocol: "http",
          port: 6443,
          http: { path: "/readyz", tls: true, statusCodes: ["2??"] },
        }),
      }),
    ]);
  });

  it("checks only the open port on k3s lines whose API server cannot answer /readyz anonymously", async () => {
    const older = await planStack("dev", (config) => {
      config.k3sVersion = "v1.33.6+k3s1";
    });
    const api = resourceNamed(older, TYPES.loadBalancer, "lb-api");
    const [service] = childrenOf(older, api, TYPES.loadBalancerService);
    expect(service.inputs.healthCheck).toEqual({
      protocol: "tcp",
      port: 6443,
      interval: 5,
      timeout: 3,
      retries: 3,
    });
    const bootstrap = resourceNamed(older, "command:remote:Command", "cp-1-bootstrap");
    expect(String(bootstrap.inputs.create)).not.toContain("authentication-config=/etc/rancher/k3s/");
    expect(String(bootstrap.inputs.create)).not.toContain("export K3S_AUTHENTICATION_CONFIG_YAML=");
  });

  it("sends 80/443 of the ingress load balancer to every node's ingress NodePorts", () => {
    const ingress = resourceNamed(plan, TYPES.loadBalancer, "lb-ingress");
    const [target] = childrenOf(plan, ingress, TYPES.loadBalancerTarget);
    expect(target.inputs.labelSelector).toBe("cluster=dev");
    const ports = childrenOf(plan, ingress, TYPES.loadBalancerService).map((service) => [
      service.inputs.listenPort,
      service.inputs.destinationPort,
    ]);
    expect(ports).toEqual([
      [80, 30080],
      [443, 30443],
    ]);
  });

  it("leaves out the ingress load balancer when ingress is disabled", async () => {
    const withoutIngress = await planStack("dev", (config) => {
      config.ingressEnabled = false;
      config.rancherEnabled = false;
    });
    expect(resourcesOfType(withoutIngress, TYPES.loadBalancer).map((lb) => lb.inputs.name)).toEqual([
      "dev-api",
    ]);
    expect(withoutIngress.outputs.ingressLoadBalancerIpv4).toBeUndefined();
  });
});

describe("firewalled API exposure (prod stack)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("prod");
  });

  it("keeps the API load balancer private", () => {
    const api = resourceNamed(plan, TYPES.loadBalancer, "lb-api");
    const [attachment] = childrenOf(plan, api, TYPES.loadBalancerNetwork);
    expect(attachment.inputs.enablePublicInterface).toBe(false);
    expect(plan.outputs.apiLoadBalancerIpv4).toEqual({ secret: false, known: true, value: null });
  });

  it("opens 6443 on control-plane nodes to the API sources only (public nodes)", async () => {
    const publicNodes = await planStack("prod", (config) => {
      config.privateNodes = false;
    });
    const apiFirewall = resourceNamed(publicNodes, TYPES.firewall, "firewall-api");
    expect(apiFirewall.inputs.applyTos).toEqual([{ labelSelector: "cluster=prod,role=control-plane" }]);
    expect(rulesOf(apiFirewall)).toEqual([
      expect.objectContaining({
        protocol: "tcp",
        port: "6443",
        sourceIps: ["198.51.100.10/32", "198.51.100.64/27"],
      }),
    ]);
    expect(publicExposureProblems(publicNodes)).toEqual([]);
  });

  it("opens 6443 on the gateway alone to the API sources (private nodes, as shipped)", () => {
    expect(resourcesOfType(plan, TYPES.firewall).map((firewall) => firewall.name)).not.toContain(
      "firewall-api",
    );
    const gatewayFirewall = resourceNamed(plan, TYPES.firewall, "firewall-gateway");
    expect(rulesOf(gatewayFirewall)).toContainEqual(
      expect.objectContaining({ port: "6443", sourceIps: ["198.51.100.10/32", "198.51.100.64/27"] }),
    );
    expect(publicExposureProblems(plan)).toEqual([]);
  });

  it("spreads control-plane nodes over locations of one network zone, volumes beside their servers", () => {
    const cp2 = resourceNamed(plan, TYPES.server, "cp-2-server");
    const cp2Volume = resourceNamed(plan, TYPES.volume, "cp-2-volume");
    expect(cp2.inputs.location).toBe("nbg1");
    expect(cp2Volume.inputs.location).toBe("nbg1");
  });
});
