import {
  NAMESPACE_PATCH_TYPE,
  PLATFORM_NAMESPACES,
  platformNamespacesIsolated,
} from "../../policy/policies/platformNamespacesIsolated";
import { NAMESPACE_TYPE, NETWORK_POLICY_TYPE } from "../../policy/policies/tenantNamespacesIsolated";
import { previewProps, runStack, UNKNOWN_STRING, urnOf, type ResourceSpec } from "./helpers";

function namespace(name: string): ResourceSpec {
  return { type: NAMESPACE_TYPE, name, props: { apiVersion: "v1", kind: "Namespace", metadata: { name } } };
}

function networkPolicy(namespaceName: string, name: string, spec: Record<string, unknown>): ResourceSpec {
  return {
    type: NETWORK_POLICY_TYPE,
    name: `${namespaceName}/${name}`,
    props: { metadata: { name, namespace: namespaceName }, spec },
  };
}

const DEFAULT_DENY = { podSelector: {}, policyTypes: ["Ingress"] };

describe("platform-namespaces-isolated", () => {
  it("accepts every platform namespace with a default deny beside its allowances", async () => {
    const violations = await runStack(
      platformNamespacesIsolated,
      PLATFORM_NAMESPACES.flatMap((name) => [
        namespace(name),
        networkPolicy(name, "default-deny-ingress", DEFAULT_DENY),
        networkPolicy(name, "allow-within", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] }),
      ]),
    );
    expect(violations).toEqual([]);
  });

  it("refuses a platform namespace whose only policies admit traffic, naming it", async () => {
    const violations = await runStack(platformNamespacesIsolated, [
      namespace("monitoring"),
      networkPolicy("monitoring", "allow-within", {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ from: [{ podSelector: {} }] }],
      }),
      // A default deny of another namespace does not count.
      networkPolicy("traefik", "default-deny-ingress", DEFAULT_DENY),
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining(
          'platform namespace "monitoring" has no default-deny ingress NetworkPolicy',
        ) as string,
        urn: urnOf(NAMESPACE_TYPE, "monitoring"),
      },
    ]);
  });

  it("holds Rancher's namespaces, which the program applies as patches, and the users' namespace to the same", async () => {
    expect(PLATFORM_NAMESPACES).toEqual(
      expect.arrayContaining(["cattle-fleet-system", "cattle-turtles-system", "tenant-users"]),
    );
    const fleet = {
      ...namespace("cattle-fleet-system"),
      type: NAMESPACE_PATCH_TYPE,
    };
    const violations = await runStack(platformNamespacesIsolated, [
      fleet,
      namespace("tenant-users"),
      networkPolicy("cattle-fleet-system", "allow-metrics-from-monitoring", {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [{ ports: [{ port: "metrics" }] }],
      }),
    ]);
    // Namespaces first, then the patches.
    expect(violations).toEqual([
      {
        message: expect.stringContaining('platform namespace "tenant-users" has no default-deny') as string,
        urn: urnOf(NAMESPACE_TYPE, "tenant-users"),
      },
      {
        message: expect.stringContaining(
          'platform namespace "cattle-fleet-system" has no default-deny',
        ) as string,
        urn: urnOf(NAMESPACE_PATCH_TYPE, "cattle-fleet-system"),
      },
    ]);
  });

  it("ignores kube-system and every namespace it does not list", async () => {
    const violations = await runStack(platformNamespacesIsolated, [
      namespace("kube-system"),
      namespace("team-a"),
    ]);
    expect(violations).toEqual([]);
  });

  it("during preview, does not judge a policy whose namespace is not known yet", async () => {
    const violations = await runStack(platformNamespacesIsolated, [
      namespace("cert-manager"),
      {
        type: NETWORK_POLICY_TYPE,
        name: "cert-manager/default-deny-ingress",
        props: previewProps({
          metadata: { name: "default-deny-ingress", namespace: UNKNOWN_STRING },
          spec: DEFAULT_DENY,
        }),
      },
    ]);
    expect(violations).toEqual([]);
  });
});
