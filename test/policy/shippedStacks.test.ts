import { autoscaledPoolsBounded } from "../../policy/policies/autoscaledPoolsBounded";
import { policies } from "../../policy/policies";
import type { ResourcePolicy, StackPolicy } from "../../policy/policies/common";
import { helmReleasesPinned } from "../../policy/policies/helmReleasesPinned";
import { nodePoolsUniform } from "../../policy/policies/nodePoolsUniform";
import { noPublicClusterPorts } from "../../policy/policies/noPublicClusterPorts";
import {
  PLATFORM_NAMESPACES,
  platformNamespacesIsolated,
} from "../../policy/policies/platformNamespacesIsolated";
import { platformPriorityReserved } from "../../policy/policies/platformPriorityReserved";
import { podSecurityDefault } from "../../policy/policies/podSecurityDefault";
import { secretsStaySecret } from "../../policy/policies/secretsStaySecret";
import { serversPrivateAndFirewalled } from "../../policy/policies/serversPrivateAndFirewalled";
import { tenantHostnamesEnforced } from "../../policy/policies/tenantHostnamesEnforced";
import { tenantNamespacesIsolated } from "../../policy/policies/tenantNamespacesIsolated";
import { UNKNOWN } from "../../src/plan/values";
import type { StackConfig } from "../../src/config/schema";
import type { PlannedResource } from "../../src/plan/evaluate";
import { planStack } from "../helpers/plan";
import { collector, previewProps, resourceArgs, stackArgs, UNKNOWN_STRING } from "./helpers";

/**
 * The shipped stacks, evaluated offline as `pulumi preview` would see them, pass every policy: a
 * mandatory policy that refused the program itself would block every update. The plan records inputs,
 * which is what resource policies see; stack policies see outputs, which for a preview are the same
 * inputs with what the cloud assigns still unknown.
 */

const RESOURCE_POLICIES: ResourcePolicy[] = [
  noPublicClusterPorts,
  helmReleasesPinned,
  autoscaledPoolsBounded,
];
const STACK_POLICIES: StackPolicy[] = [
  serversPrivateAndFirewalled,
  nodePoolsUniform,
  tenantNamespacesIsolated,
  platformNamespacesIsolated,
  tenantHostnamesEnforced,
  platformPriorityReserved,
  podSecurityDefault,
  secretsStaySecret,
];

/** The plan's "(known after apply)" becomes the engine's unknown value, behind the SDK's proxy. */
function asPreview(value: unknown): unknown {
  if (value === UNKNOWN) return UNKNOWN_STRING;
  if (Array.isArray(value)) return value.map(asPreview);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, asPreview(item)]));
  }
  return value;
}

function previewInputs(resource: PlannedResource): Record<string, unknown> {
  return previewProps(asPreview(resource.inputs) as Record<string, unknown>);
}

async function violationsOf(
  stack: "dev" | "prod",
  keep: (resource: PlannedResource) => boolean = () => true,
  edit?: (config: StackConfig) => void,
): Promise<string[]> {
  const resources = (await planStack(stack, edit)).resources.filter(keep);
  const { violations, report } = collector();
  for (const policy of RESOURCE_POLICIES) {
    for (const resource of resources) {
      await policy.validateResource(
        resourceArgs(resource.type, resource.name, previewInputs(resource)),
        report,
      );
    }
  }
  const args = stackArgs(
    resources.map((resource) => ({
      type: resource.type,
      name: resource.name,
      props: previewInputs(resource),
      additionalSecretOutputs: resource.options.additionalSecretOutputs,
    })),
  );
  for (const policy of STACK_POLICIES) await policy.validateStack(args, report);
  return violations.map((violation) => violation.message);
}

describe("the shipped stacks under the policy pack", () => {
  it("runs every policy of the pack here", () => {
    expect([...RESOURCE_POLICIES, ...STACK_POLICIES].map((policy) => policy.name).sort()).toEqual(
      policies.map((policy) => policy.name).sort(),
    );
  });

  it.each(["dev", "prod"] as const)("the %s stack violates no policy", async (stack) => {
    expect(await violationsOf(stack)).toEqual([]);
  });

  it("passes prod with its pool grown, and would notice a pool's server that is not a worker", async () => {
    const grow = (config: StackConfig) => void (config.nodePools[0].count = 2);
    expect(await violationsOf("prod", () => true, grow)).toEqual([]);
    const asControlPlane = (resource: PlannedResource) => {
      const labels = resource.inputs.labels as Record<string, string> | undefined;
      if (resource.type === "hcloud:index/server:Server" && labels?.pool === "app" && labels.node === "app-2")
        resource.inputs.labels = { ...labels, role: "control-plane" };
      return true;
    };
    expect(await violationsOf("prod", asControlPlane, grow)).toEqual([
      expect.stringMatching(
        /^server "app-2-server" \(prod-app-2\) is in node pool "app" but has role control-plane/,
      ),
    ]);
  });

  it("would notice the program dropping what a policy requires", async () => {
    const violations = await violationsOf(
      "dev",
      (resource) =>
        resource.type !== "kubernetes:core/v1:ResourceQuota" &&
        resource.type !== "hcloud:index/firewall:Firewall",
    );
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringContaining('tenant namespace "team-a" (tenant team-a) has no ResourceQuota'),
        expect.stringContaining('tenant namespace "team-b-staging" (tenant team-b) has no ResourceQuota'),
        expect.stringContaining('server "cp-1-server" (dev-cp-1) is not behind any firewall'),
      ]),
    );
  });

  it("would notice the program dropping the tenants' hostname admission policies", async () => {
    const violations = await violationsOf(
      "dev",
      (resource) =>
        resource.type !== "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
    );
    expect(violations).toEqual([
      expect.stringContaining(
        'tenant "team-a" has no Deny binding of tenant-ingresses.team-a and tenant-certificates.team-a',
      ),
      expect.stringContaining(
        'tenant "team-b" has no Deny binding of tenant-ingresses.team-b and tenant-certificates.team-b',
      ),
    ]);
  });

  it("would notice the program dropping the platform's priority class, or the quotas that keep tenants from it", async () => {
    const withoutClass = await violationsOf(
      "dev",
      (resource) =>
        !(
          resource.type === "kubernetes:scheduling.k8s.io/v1:PriorityClass" &&
          resource.name === "hetzner-k8s-platform"
        ),
    );
    expect(withoutClass).toEqual([expect.stringContaining("no PriorityClass hetzner-k8s-platform")]);
    const withoutQuotas = await violationsOf(
      "dev",
      (resource) => !resource.name.endsWith("/denied-priority-classes"),
    );
    expect(withoutQuotas).toEqual(
      ["team-a", "team-b", "team-b-staging"].map((name) =>
        expect.stringContaining(
          `tenant namespace "${name}" has no ResourceQuota of zero pods scoped to the priority classes`,
        ),
      ),
    );
  });

  it("would notice the servers' k3s install dropping the cluster-wide Pod Security default", async () => {
    const resources = (await planStack("dev")).resources;
    const servers = resources.filter(
      (resource) =>
        resource.type === "command:remote:Command" && /cp-\d-(bootstrap|reconfigure)$/.test(resource.name),
    );
    expect(servers.length).toBeGreaterThan(0);
    const withoutDefault = resources.map((resource) =>
      servers.includes(resource)
        ? {
            ...resource,
            inputs: Object.fromEntries(
              Object.entries(resource.inputs).map(([key, value]) => [
                key,
                typeof value === "string"
                  ? value.replace(/\nexport K3S_POD_SECURITY_YAML='(?:[^']|'\\'')*'/, "")
                  : value,
              ]),
            ),
          }
        : resource,
    );
    const { violations, report } = collector();
    await podSecurityDefault.validateStack(
      stackArgs(
        withoutDefault.map((resource) => ({
          type: resource.type,
          name: resource.name,
          props: previewInputs(resource),
        })),
      ),
      report,
    );
    expect(violations.map((violation) => violation.message)).toEqual(
      servers.map((server) =>
        expect.stringContaining(
          `command "${server.name}" (${server.name.endsWith("bootstrap") ? "create" : "update"}) installs a k3s server, but its admission configuration`,
        ),
      ),
    );
  });

  it("would notice the program dropping its network policies", async () => {
    const violations = await violationsOf(
      "dev",
      (resource) => resource.type !== "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    );
    expect(violations).toEqual(
      expect.arrayContaining([
        expect.stringContaining('tenant namespace "team-a" (tenant team-a) has no egress NetworkPolicy'),
        ...PLATFORM_NAMESPACES.map((name) =>
          expect.stringContaining(`platform namespace "${name}" has no default-deny ingress NetworkPolicy`),
        ),
      ]),
    );
  });
});
