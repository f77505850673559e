import { formatProblem } from "../../src/config/errors";
import { ineffectiveKeys } from "../../src/config/ineffectiveKeys";
import { buildClusterModel } from "../../src/model/cluster";
import { editedConfig } from "../helpers/plan";
import { key, problemsAfter } from "./fixtures";

/** The stack keys of private nodes: privateNodes and the gateway's server type. */

describe("private nodes in the stack file", () => {
  it("orders the gateway as a server Hetzner sells in the cluster's location", () => {
    const problems = problemsAfter((raw) => {
      raw[key("privateNodes")] = true;
      raw[key("gatewayServerType")] = "cx22";
    });
    expect(problems).toEqual([
      expect.stringMatching(/^hetzner-k8s:gatewayServerType: "cx22" is no longer sold/),
    ]);
    expect(problemsAfter((raw) => (raw[key("privateNodes")] = true))).toEqual([]);
  });

  it("checks the gateway's type only when there is a gateway, and names it as without effect otherwise", () => {
    expect(problemsAfter((raw) => (raw[key("gatewayServerType")] = "cx22"))).toEqual([]);
    const notes = ineffectiveKeys(editedConfig("dev", (c) => (c.gatewayServerType = "cx33"))).map(
      formatProblem,
    );
    expect(notes).toContainEqual(
      "hetzner-k8s:gatewayServerType: has no effect with privateNodes false: there is no gateway server",
    );
  });

  it("asks for a DNS name of the gateway with a firewalled API", () => {
    const problems = problemsAfter((raw) => {
      raw[key("privateNodes")] = true;
      raw[key("apiExposure")] = "firewalled";
    });
    expect(problems).toContainEqual(
      expect.stringContaining("an A record for the gateway's public address (it forwards the API)"),
    );
  });

  it("gives the gateway an address the nodes never take, and labels no node selector matches", () => {
    const model = buildClusterModel(editedConfig("dev", (c) => (c.privateNodes = true)));
    expect(model.gateway?.privateIp).toBe("10.0.1.4");
    expect(model.nodes.map((node) => node.privateIp)).not.toContain("10.0.1.4");
    expect(model.gateway?.hetznerLabels).not.toHaveProperty("cluster");
    expect(model.autoscaling.networking).toEqual({
      publicAddresses: false,
      privateRoute: { via: "10.0.0.1", nameservers: ["185.12.64.1", "185.12.64.2"] },
    });
  });
});
