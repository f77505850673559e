import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../src/names";
import { defineCluster } from "../../src/program";
import { resolveOutput } from "../../src/plan/values";
import { stackFromConfig } from "../../src/stack";
import { shippedConfig } from "../helpers/plan";
import { SECRET_SIGNATURE } from "../helpers/record";

/**
 * Each component registers the outputs it really has (what `pulumi stack export` shows under it), and a
 * credential among them only as a secret. The program runs as a deployed stack (IDs and addresses known)
 * for prod, whose private nodes give the infrastructure a gateway.
 */

interface OutputsRequest {
  getUrn(): string;
  getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined;
}
interface MonitorWithOutputs {
  registerResourceOutputs(request: OutputsRequest, callback: (error: Error | null) => void): void;
}

const isSecret = (value: unknown): boolean =>
  typeof value === "object" && value !== null && SECRET_SIGNATURE in value;

let registered: Map<string, Record<string, unknown>>;

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: `${args.name}-id`,
        state: {
          ipv4Address: "203.0.113.7",
          ipv4: "203.0.113.8",
          linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${args.name}`,
          privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----",
          publicKeyOpenssh: "ssh-ed25519 AAAA",
          result: "password",
          stdout: "hetzner-k8s-host-key: ssh-ed25519 AAAA\n",
          ...args.inputs,
        },
      }),
      call: (args) => args.inputs,
    },
    PROJECT,
    "prod",
    false,
  );
  registered = new Map();
  const monitor = pulumi.runtime.getMonitor() as unknown as MonitorWithOutputs;
  const register = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (request, callback) => {
    registered.set(request.getUrn(), request.getOutputs()?.toJavaScript() ?? {});
    register(request, callback);
  };
  const outputs = defineCluster(
    stackFromConfig(shippedConfig("prod")),
    { hcloudToken: pulumi.secret("token") },
    {},
  );
  for (const value of Object.values(outputs)) if (value !== undefined) await resolveOutput(value);
  await pulumi.runtime.disconnect();
});

/** The outputs the component of this type and name registered. */
function outputsOf(type: string, name: string): Record<string, unknown> {
  const found = [...registered].find(([urn]) => urn.endsWith(`${type}::${name}`));
  if (!found) throw new Error(`no outputs registered for ${type} ${name}`);
  return found[1];
}

describe("the components' registered outputs", () => {
  it("are the infrastructure's network, servers, gateway and key, the key a secret", () => {
    const infra = outputsOf("hetzner-k8s:infra:HetznerInfrastructure", "prod");
    expect(Object.keys(infra).sort()).toEqual(["gatewayIpv4", "networkId", "serverIds", "sshPrivateKey"]);
    expect(Object.keys(infra.serverIds as object)).toEqual(expect.arrayContaining(["cp-1", "db-1"]));
    expect(isSecret(infra.sshPrivateKey)).toBe(true);
    expect(isSecret(infra.networkId)).toBe(false);
    const firewalls = outputsOf("hetzner-k8s:infra:ClusterFirewalls", "firewalls");
    expect(firewalls.firewallIds).toEqual(expect.arrayContaining([expect.any(String)]));
  });

  it("are k3s's kubeconfig and agent token, both secrets, and each node's host key", () => {
    const k3s = outputsOf("hetzner-k8s:k3s:K3sCluster", "k3s");
    expect(Object.keys(k3s).sort()).toEqual(["agentJoinToken", "kubeconfig"]);
    expect(isSecret(k3s.kubeconfig)).toBe(true);
    expect(isSecret(k3s.agentJoinToken)).toBe(true);
    expect(Object.keys(outputsOf("hetzner-k8s:k3s:NodeBootstrap", "cp-1"))).toEqual(["hostKey"]);
  });

  it("are the platform's URLs and passwords, the passwords secrets", () => {
    const platform = outputsOf("hetzner-k8s:platform:Platform", "platform");
    expect(Object.keys(platform).sort()).toEqual([
      "grafanaAdminPassword",
      "grafanaUrl",
      "rancherBootstrapPassword",
      "rancherUrl",
    ]);
    expect(isSecret(platform.rancherBootstrapPassword)).toBe(true);
    expect(isSecret(platform.grafanaAdminPassword)).toBe(true);
  });

  it("are the tenants' kubeconfigs, as one secret per component", () => {
    expect(isSecret(outputsOf("hetzner-k8s:tenants:Tenants", "tenants").kubeconfigs)).toBe(true);
    expect(isSecret(outputsOf("hetzner-k8s:tenants:Tenant", "payments").kubeconfigs)).toBe(true);
  });
});
