import { FIREWALL_TYPE } from "../../policy/policies/noPublicClusterPorts";
import {
  FIREWALL_ATTACHMENT_TYPE,
  SERVER_TYPE,
  serversPrivateAndFirewalled,
} from "../../policy/policies/serversPrivateAndFirewalled";
import { previewProps, runStack, UNKNOWN_ARRAY, UNKNOWN_STRING, urnOf, type ResourceSpec } from "./helpers";

const NODES_FIREWALL: ResourceSpec = {
  type: FIREWALL_TYPE,
  name: "firewall-nodes",
  props: { name: "dev-nodes", applyTos: [{ labelSelector: "cluster=dev" }], rules: [] },
};

function server(name: string, props: Record<string, unknown>): ResourceSpec {
  return { type: SERVER_TYPE, name, props: { name: `dev-${name}`, ...props } };
}

const PRIVATE = { networks: [{ networkId: 42, ip: "10.0.1.10" }] };

describe("servers-private-and-firewalled", () => {
  it("accepts servers on the private network whose labels a firewall selects", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      NODES_FIREWALL,
      server("cp-1", { ...PRIVATE, labels: { cluster: "dev", role: "control-plane", node: "cp-1" } }),
      server("worker-1", { ...PRIVATE, labels: { cluster: "dev", role: "worker" } }),
    ]);
    expect(violations).toEqual([]);
  });

  it("refuses a server without networks, naming it", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      NODES_FIREWALL,
      server("cp-1", { labels: { cluster: "dev" } }),
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining('server "cp-1" (dev-cp-1) has no private network address'),
        urn: urnOf(SERVER_TYPE, "cp-1"),
      },
    ]);
  });

  it("refuses a networks entry without an ip", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      NODES_FIREWALL,
      server("cp-1", { networks: [{ networkId: 42 }], labels: { cluster: "dev" } }),
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain("has no private network address");
  });

  it("refuses a server whose labels miss every firewall's selector, listing the selectors", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      NODES_FIREWALL,
      {
        type: FIREWALL_TYPE,
        name: "firewall-api",
        props: { name: "dev-api", applyTos: [{ labelSelector: "cluster=dev,role=control-plane" }] },
      },
      server("worker-1", { ...PRIVATE, labels: { cluster: "prod", role: "worker" } }),
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].urn).toBe(urnOf(SERVER_TYPE, "worker-1"));
    expect(violations[0].message).toBe(
      'server "worker-1" (dev-worker-1) is not behind any firewall: it has labels cluster=prod,role=worker, ' +
        'no firewall selects it (firewall "firewall-nodes" (dev-nodes): "cluster=dev" and ' +
        'firewall "firewall-api" (dev-api): "cluster=dev,role=control-plane"), and it lists no firewallIds.',
    );
  });

  it("needs every term of a selector to match", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      { ...NODES_FIREWALL, props: { applyTos: [{ labelSelector: "cluster=dev,role=control-plane" }] } },
      server("worker-1", { ...PRIVATE, labels: { cluster: "dev", role: "worker" } }),
    ]);
    expect(violations).toHaveLength(1);
  });

  it("refuses a server without labels when the stack has no firewall", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [server("cp-1", PRIVATE)]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining("it has no labels, the stack has no firewall with a label selector"),
    ]);
  });

  it("reports both problems of a server that is neither private nor firewalled", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [NODES_FIREWALL, server("cp-1", {})]);
    expect(violations).toHaveLength(2);
  });

  it("accepts a server that lists firewallIds", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      NODES_FIREWALL,
      server("cp-1", { ...PRIVATE, labels: { cluster: "other" }, firewallIds: [1234] }),
    ]);
    expect(violations).toEqual([]);
  });

  it("accepts a server that a firewall attachment selects or names", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      server("cp-1", { ...PRIVATE, labels: { pool: "edge" } }),
      server("cp-2", { ...PRIVATE, labels: {} }),
      {
        type: FIREWALL_ATTACHMENT_TYPE,
        name: "edge",
        props: { firewallId: 7, labelSelectors: ["pool in (edge,dmz)"] },
      },
      {
        type: FIREWALL_ATTACHMENT_TYPE,
        name: "direct",
        props: { firewallId: 7, serverIds: [99] },
        propertyDependencies: { serverIds: ["cp-2"] },
      },
    ]);
    expect(violations).toEqual([]);
  });

  it("accepts a server a firewall applies to by its ID", async () => {
    const violations = await runStack(serversPrivateAndFirewalled, [
      server("cp-1", { ...PRIVATE, labels: {} }),
      {
        type: FIREWALL_TYPE,
        name: "firewall-direct",
        props: { applyTos: [{ server: 99 }] },
        propertyDependencies: { applyTos: ["cp-1"] },
      },
    ]);
    expect(violations).toEqual([]);
  });

  describe("during preview", () => {
    it("accepts an ip Hetzner assigns later and firewallIds set from a firewall's ID", async () => {
      const violations = await runStack(serversPrivateAndFirewalled, [
        NODES_FIREWALL,
        {
          ...server("cp-1", {}),
          props: previewProps({
            name: "dev-cp-1",
            networks: [{ networkId: UNKNOWN_STRING, ip: UNKNOWN_STRING }],
            labels: {},
            firewallIds: UNKNOWN_ARRAY,
          }),
          propertyDependencies: { firewallIds: ["firewall-nodes"] },
        },
      ]);
      expect(violations).toEqual([]);
    });

    it("still refuses a server whose known labels miss, when firewallIds are only computed", async () => {
      const violations = await runStack(serversPrivateAndFirewalled, [
        NODES_FIREWALL,
        {
          ...server("cp-1", {}),
          props: previewProps({
            name: "dev-cp-1",
            ...PRIVATE,
            labels: { cluster: "prod" },
            firewallIds: UNKNOWN_ARRAY,
          }),
        },
      ]);
      expect(violations).toHaveLength(1);
      expect(violations[0].message).toContain("is not behind any firewall");
    });

    it("does not judge labels that are not known yet", async () => {
      const violations = await runStack(serversPrivateAndFirewalled, [
        NODES_FIREWALL,
        { ...server("cp-1", {}), props: previewProps({ ...PRIVATE, labels: { cluster: UNKNOWN_STRING } }) },
      ]);
      expect(violations).toEqual([]);
    });
  });
});
