import {
  LIMIT_RANGE_TYPE,
  NAMESPACE_TYPE,
  NETWORK_POLICY_TYPE,
  RESOURCE_QUOTA_TYPE,
  tenantNamespacesIsolated,
} from "../../policy/policies/tenantNamespacesIsolated";
import { previewProps, runStack, UNKNOWN_STRING, urnOf, type ResourceSpec } from "./helpers";

function namespace(name: string, labels: Record<string, string>): ResourceSpec {
  return {
    type: NAMESPACE_TYPE,
    name,
    props: { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } },
  };
}

function tenantNamespace(name: string, extraLabels: Record<string, string> = {}): ResourceSpec {
  return namespace(name, {
    "hetzner-k8s.io/tenant": "team-a",
    "pod-security.kubernetes.io/enforce": "restricted",
    ...extraLabels,
  });
}

function namespaced(type: string, namespaceName: string, name: string, spec: Record<string, unknown> = {}) {
  return {
    type,
    name: `${namespaceName}/${name}`,
    props: { metadata: { name, namespace: namespaceName }, spec },
  };
}

const DEFAULT_DENY = { podSelector: {}, policyTypes: ["Ingress"] };
const EGRESS = {
  podSelector: {},
  policyTypes: ["Egress"],
  egress: [
    {
      to: [
        { namespaceSelector: { matchExpressions: [{ key: "hetzner-k8s.io/tenant", operator: "Exists" }] } },
      ],
    },
  ],
};

/** Everything the program gives a tenant namespace. */
function isolation(namespaceName: string): ResourceSpec[] {
  return [
    namespaced(RESOURCE_QUOTA_TYPE, namespaceName, "quota", { hard: { "requests.cpu": "2" } }),
    namespaced(LIMIT_RANGE_TYPE, namespaceName, "limits", { limits: [{ type: "Container" }] }),
    namespaced(NETWORK_POLICY_TYPE, namespaceName, "default-deny-ingress", DEFAULT_DENY),
    namespaced(NETWORK_POLICY_TYPE, namespaceName, "allow-tenant-and-platform", {
      podSelector: {},
      policyTypes: ["Ingress"],
      ingress: [{ from: [{ namespaceSelector: { matchLabels: { "hetzner-k8s.io/tenant": "team-a" } } }] }],
    }),
    namespaced(NETWORK_POLICY_TYPE, namespaceName, "tenant-egress", EGRESS),
  ];
}

function messages(violations: { message: string }[]): string[] {
  return violations.map((violation) => violation.message);
}

describe("tenant-namespaces-isolated", () => {
  it("accepts a tenant namespace with pod security, quota, limits and default deny", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      ...isolation("team-a"),
      tenantNamespace("team-a-staging", { "pod-security.kubernetes.io/enforce": "baseline" }),
      ...isolation("team-a-staging"),
    ]);
    expect(violations).toEqual([]);
  });

  it("ignores namespaces that are not a tenant's", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      namespace("monitoring", { "pod-security.kubernetes.io/enforce": "privileged" }),
    ]);
    expect(violations).toEqual([]);
  });

  it("refuses a tenant namespace without a ResourceQuota, naming it", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      ...isolation("team-a").filter((spec) => spec.type !== RESOURCE_QUOTA_TYPE),
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining('tenant namespace "team-a" (tenant team-a) has no ResourceQuota'),
        urn: urnOf(NAMESPACE_TYPE, "team-a"),
      },
    ]);
  });

  it("does not count objects of another namespace", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      tenantNamespace("team-b"),
      ...isolation("team-b"),
    ]);
    expect(messages(violations)).toEqual([
      expect.stringContaining('"team-a" (tenant team-a) has no ResourceQuota'),
      expect.stringContaining('"team-a" (tenant team-a) has no LimitRange'),
      expect.stringContaining('"team-a" (tenant team-a) has no default-deny ingress NetworkPolicy'),
      expect.stringContaining('"team-a" (tenant team-a) has no egress NetworkPolicy'),
    ]);
  });

  it("refuses a tenant namespace without a default-deny ingress NetworkPolicy", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      ...isolation("team-a").filter((spec) => !spec.name.endsWith("default-deny-ingress")),
    ]);
    // The allow policy has ingress rules, so it is no default deny.
    expect(messages(violations)).toEqual([
      expect.stringContaining("has no default-deny ingress NetworkPolicy"),
    ]);
  });

  it.each([
    ["selects only some pods", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Ingress"] }],
    ["governs only egress", { podSelector: {}, policyTypes: ["Egress"] }],
    ["leaves policyTypes out", { podSelector: {} }],
    ["allows all ingress", { podSelector: {}, policyTypes: ["Ingress"], ingress: [{}] }],
  ])("does not count a NetworkPolicy that %s as default deny", async (_, spec) => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      namespaced(RESOURCE_QUOTA_TYPE, "team-a", "quota"),
      namespaced(LIMIT_RANGE_TYPE, "team-a", "limits"),
      namespaced(NETWORK_POLICY_TYPE, "team-a", "deny", spec),
      namespaced(NETWORK_POLICY_TYPE, "team-a", "tenant-egress", EGRESS),
    ]);
    expect(messages(violations)).toEqual([
      expect.stringContaining("has no default-deny ingress NetworkPolicy"),
    ]);
  });

  it("counts empty matchLabels and matchExpressions and an empty ingress list as default deny", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      namespaced(RESOURCE_QUOTA_TYPE, "team-a", "quota"),
      namespaced(LIMIT_RANGE_TYPE, "team-a", "limits"),
      namespaced(NETWORK_POLICY_TYPE, "team-a", "deny", {
        podSelector: { matchLabels: {}, matchExpressions: [] },
        policyTypes: ["Ingress", "Egress"],
        ingress: [],
      }),
    ]);
    expect(violations).toEqual([]);
  });

  it("refuses a tenant namespace without an egress NetworkPolicy over all its pods", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      ...isolation("team-a").filter((spec) => !spec.name.endsWith("tenant-egress")),
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining(
          'tenant namespace "team-a" (tenant team-a) has no egress NetworkPolicy over all its pods',
        ),
        urn: urnOf(NAMESPACE_TYPE, "team-a"),
      },
    ]);
  });

  it.each([
    ["selects only some pods", { podSelector: { matchLabels: { app: "web" } }, policyTypes: ["Egress"] }],
    ["governs only ingress", { podSelector: {}, policyTypes: ["Ingress"], egress: [{}] }],
    ["leaves policyTypes out", { podSelector: {}, egress: [{}] }],
  ])("does not count a NetworkPolicy that %s as restricting egress", async (_, spec) => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      ...isolation("team-a").filter((entry) => !entry.name.endsWith("tenant-egress")),
      namespaced(NETWORK_POLICY_TYPE, "team-a", "egress", spec),
    ]);
    expect(messages(violations)).toEqual([expect.stringContaining("has no egress NetworkPolicy")]);
  });

  it("waits for an egress policy whose spec is not known yet", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      ...isolation("team-a").filter((entry) => !entry.name.endsWith("tenant-egress")),
      {
        type: NETWORK_POLICY_TYPE,
        name: "team-a/egress",
        props: previewProps({
          metadata: { name: "egress", namespace: "team-a" },
          spec: { podSelector: {}, policyTypes: UNKNOWN_STRING },
        }),
      },
    ]);
    expect(violations).toEqual([]);
  });

  it("refuses a tenant namespace without the pod security enforce label", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      namespace("team-a", {
        "hetzner-k8s.io/tenant": "team-a",
        "pod-security.kubernetes.io/warn": "restricted",
      }),
      ...isolation("team-a"),
    ]);
    expect(messages(violations)).toEqual([
      expect.stringContaining(
        'tenant namespace "team-a" (tenant team-a) has no pod-security.kubernetes.io/enforce label',
      ),
    ]);
  });

  it("refuses pod security level privileged, which restricts nothing", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a", { "pod-security.kubernetes.io/enforce": "privileged" }),
      ...isolation("team-a"),
    ]);
    expect(messages(violations)).toEqual([
      expect.stringContaining("pod-security.kubernetes.io/enforce=privileged, which restricts nothing"),
    ]);
  });

  it("during preview, does not judge what is not known yet", async () => {
    const violations = await runStack(tenantNamespacesIsolated, [
      tenantNamespace("team-a"),
      namespaced(RESOURCE_QUOTA_TYPE, "team-a", "quota"),
      namespaced(LIMIT_RANGE_TYPE, "team-a", "limits"),
      {
        type: NETWORK_POLICY_TYPE,
        name: "team-a/deny",
        props: previewProps({ metadata: { name: "deny", namespace: UNKNOWN_STRING }, spec: DEFAULT_DENY }),
      },
    ]);
    expect(violations).toEqual([]);
  });
});
