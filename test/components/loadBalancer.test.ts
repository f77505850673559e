import { ClusterLoadBalancer } from "../../src/infra/loadBalancer";
import { ClusterNetwork } from "../../src/infra/network";
import type { LoadBalancerModel } from "../../src/model/network";
import { evaluateProgram, type Evaluation } from "../../src/plan/evaluate";
import type { PlannedResource } from "../../src/plan/evaluate";

/**
 * ClusterNetwork and ClusterLoadBalancer on their own, from hand-made slices of the model: a private API
 * load balancer with an HTTPS health check, behind the network's subnet.
 */

const API: LoadBalancerModel = {
  name: "api",
  type: "lb11",
  privateIp: "10.0.1.2",
  publicInterface: false,
  targetSelector: "cluster=c1,role=control-plane",
  services: [
    {
      name: "kube-api",
      listenPort: 6443,
      destinationPort: 6443,
      healthCheck: { protocol: "https", path: "/readyz" },
    },
  ],
};

let evaluation: Evaluation;
beforeAll(async () => {
  evaluation = await evaluateProgram("components", (opts) => {
    const network = new ClusterNetwork(
      "network",
      {
        clusterName: "c1",
        networkZone: "eu-central",
        networkCidr: "10.0.0.0/16",
        nodeSubnetCidr: "10.0.1.0/24",
        poolSubnets: [{ pool: "burst", ipRange: "10.0.2.0/24" }],
        labels: { cluster: "c1" },
      },
      opts,
    );
    new ClusterLoadBalancer(
      "lb-api",
      { clusterName: "c1", location: "fsn1", model: API, subnet: network.subnet, labels: { cluster: "c1" } },
      opts,
    );
    return {};
  });
});

/** The Hetzner resource of that name (a component may share it: ClusterNetwork "network" and its Network). */
const named = (name: string): PlannedResource => {
  const found = evaluation.resources.find(
    (resource) => resource.name === name && resource.type.startsWith("hcloud:"),
  );
  if (!found) throw new Error(`no resource ${name}`);
  return found;
};

describe("ClusterNetwork", () => {
  it("creates the network with the node subnet and one subnet per autoscaled pool, in its zone", () => {
    expect(named("network").inputs).toMatchObject({
      name: "c1",
      ipRange: "10.0.0.0/16",
      labels: { cluster: "c1" },
    });
    const subnets = evaluation.resources.filter(
      (resource) => resource.type === "hcloud:index/networkSubnet:NetworkSubnet",
    );
    expect(
      subnets.map((subnet) => [subnet.inputs.ipRange, subnet.inputs.networkZone, subnet.inputs.type]),
    ).toEqual(
      expect.arrayContaining([
        ["10.0.1.0/24", "eu-central", "cloud"],
        ["10.0.2.0/24", "eu-central", "cloud"],
      ]),
    );
    expect(subnets).toHaveLength(2);
  });
});

describe("ClusterLoadBalancer", () => {
  it("puts a private-only load balancer at its model's address on the subnet, after the subnet exists", () => {
    expect(named("lb-api").inputs).toMatchObject({
      name: "c1-api",
      loadBalancerType: "lb11",
      location: "fsn1",
      labels: { cluster: "c1", "load-balancer": "api" },
    });
    const attachment = named("lb-api-network");
    expect(attachment.inputs).toMatchObject({ ip: "10.0.1.2", enablePublicInterface: false });
    expect(attachment.dependencies).toEqual(
      expect.arrayContaining([expect.stringMatching(/NetworkSubnet::network-nodes$/)]),
    );
  });

  it("targets the model's selector over the private network, and checks the API's /readyz over TLS", () => {
    expect(named("lb-api-targets").inputs).toMatchObject({
      type: "label_selector",
      labelSelector: "cluster=c1,role=control-plane",
      usePrivateIp: true,
    });
    expect(named("lb-api-kube-api").inputs).toMatchObject({
      protocol: "tcp",
      listenPort: 6443,
      destinationPort: 6443,
      healthCheck: {
        protocol: "http",
        port: 6443,
        http: { path: "/readyz", tls: true, statusCodes: ["2??"] },
      },
    });
  });
});
