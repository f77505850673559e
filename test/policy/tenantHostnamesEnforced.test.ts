import { POLICY_BINDING_TYPE, tenantHostnamesEnforced } from "../../policy/policies/tenantHostnamesEnforced";
import { NAMESPACE_TYPE, TENANT_LABEL } from "../../policy/policies/tenantNamespacesIsolated";
import { runStack, type ResourceSpec } from "./helpers";

function tenantNamespace(name: string, tenant: string): ResourceSpec {
  return {
    type: NAMESPACE_TYPE,
    name,
    props: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels: { [TENANT_LABEL]: tenant } } },
  };
}

function binding(policy: string, tenant: string, actions = ["Deny"], selected = tenant): ResourceSpec {
  const name = `${policy}.${tenant}`;
  return {
    type: POLICY_BINDING_TYPE,
    name,
    props: {
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: actions,
        matchResources: { namespaceSelector: { matchLabels: { [TENANT_LABEL]: selected } } },
      },
    },
  };
}

const BOUND = [binding("tenant-ingresses", "team-a"), binding("tenant-certificates", "team-a")];

describe("tenant-hostnames-enforced", () => {
  it("accepts tenant namespaces bound with Deny to both of their tenant's hostname policies", async () => {
    const violations = await runStack(tenantHostnamesEnforced, [
      tenantNamespace("team-a", "team-a"),
      tenantNamespace("team-a-dev", "team-a"),
      ...BOUND,
    ]);
    expect(violations).toEqual([]);
  });

  it.each([
    [
      "without the certificates binding",
      [binding("tenant-ingresses", "team-a")],
      "tenant-certificates.team-a",
    ],
    [
      "with a binding that only warns",
      [BOUND[0], binding("tenant-certificates", "team-a", ["Warn"])],
      "tenant-certificates.team-a",
    ],
    [
      "with bindings that select another tenant's namespaces",
      [binding("tenant-ingresses", "team-a", ["Deny"], "team-b"), BOUND[1]],
      "tenant-ingresses.team-a",
    ],
    [
      "with another tenant's bindings only",
      [binding("tenant-ingresses", "team-b"), binding("tenant-certificates", "team-b")],
      "tenant-ingresses.team-a and tenant-certificates.team-a",
    ],
  ])("refuses a tenant %s, once, naming what is missing", async (_, bindings, missing) => {
    const violations = await runStack(tenantHostnamesEnforced, [
      tenantNamespace("team-a", "team-a"),
      tenantNamespace("team-a-dev", "team-a"),
      ...bindings,
    ]);
    expect(violations).toHaveLength(1);
    expect(violations[0].message).toContain(
      `tenant "team-a" has no Deny binding of ${missing} to its namespaces`,
    );
  });

  it("ignores namespaces that belong to no tenant", async () => {
    const violations = await runStack(tenantHostnamesEnforced, [
      { type: NAMESPACE_TYPE, name: "monitoring", props: { metadata: { name: "monitoring" } } },
    ]);
    expect(violations).toEqual([]);
  });
});
