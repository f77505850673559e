import {
  PLATFORM_PRIORITY_CLASS,
  platformPriorityReserved,
  PRIORITY_CLASS_TYPE,
} from "../../policy/policies/platformPriorityReserved";
import {
  NAMESPACE_TYPE,
  RESOURCE_QUOTA_TYPE,
  TENANT_LABEL,
} from "../../policy/policies/tenantNamespacesIsolated";
import { previewProps, runStack, UNKNOWN_STRING, urnOf, type ResourceSpec } from "./helpers";

function tenantNamespace(name: string): ResourceSpec {
  return { type: NAMESPACE_TYPE, name, props: { metadata: { name, labels: { [TENANT_LABEL]: "team-a" } } } };
}

function priorityClass(name: string, value: number, globalDefault = false): ResourceSpec {
  return { type: PRIORITY_CLASS_TYPE, name, props: { metadata: { name }, value, globalDefault } };
}

/** The program's quota: zero pods at every class but the granted ones (NotIn), or at any class (Exists). */
function deniedClasses(namespace: string, granted?: string[], pods: unknown = "0"): ResourceSpec {
  return {
    type: RESOURCE_QUOTA_TYPE,
    name: `${namespace}/denied-priority-classes`,
    props: {
      metadata: { name: "denied-priority-classes", namespace },
      spec: {
        hard: { pods },
        scopeSelector: {
          matchExpressions: [
            granted
              ? { scopeName: "PriorityClass", operator: "NotIn", values: granted }
              : { scopeName: "PriorityClass", operator: "Exists" },
          ],
        },
      },
    },
  };
}

const CLASSES = [
  priorityClass(PLATFORM_PRIORITY_CLASS, 100_000_000),
  priorityClass("platform-critical", 1_000_000),
  priorityClass("high", 10_000),
  priorityClass("default", 1_000, true),
  priorityClass("low", 100),
];

describe("platform-priority-reserved", () => {
  it("accepts the program's classes and quotas, a tenant granted nothing among them", async () => {
    const violations = await runStack(platformPriorityReserved, [
      ...CLASSES,
      tenantNamespace("team-a"),
      deniedClasses("team-a", ["platform-critical", "high", "default", "low"]),
      tenantNamespace("team-b"),
      deniedClasses("team-b"),
    ]);
    expect(violations).toEqual([]);
  });

  it("asks nothing of a stack without tenants", async () => {
    expect(await runStack(platformPriorityReserved, [priorityClass("low", 100)])).toEqual([]);
  });

  it("refuses a stack with tenants but without the platform's class", async () => {
    const violations = await runStack(platformPriorityReserved, [
      ...CLASSES.slice(1),
      tenantNamespace("team-a"),
      deniedClasses("team-a", ["default"]),
    ]);
    expect(violations).toEqual([
      { message: expect.stringContaining(`no PriorityClass ${PLATFORM_PRIORITY_CLASS}`) as string },
    ]);
  });

  it("refuses the platform's class as the global default", async () => {
    const violations = await runStack(platformPriorityReserved, [
      priorityClass(PLATFORM_PRIORITY_CLASS, 100_000_000, true),
      tenantNamespace("team-a"),
      deniedClasses("team-a", []),
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining("is the global default") as string,
        urn: urnOf(PRIORITY_CLASS_TYPE, PLATFORM_PRIORITY_CLASS),
      },
    ]);
  });

  it.each([
    ["no quota of its classes at all", []],
    ["a quota that is not of zero pods", [deniedClasses("team-a", ["default"], "10")]],
  ])("refuses a tenant namespace with %s", async (_, quotas) => {
    const violations = await runStack(platformPriorityReserved, [
      ...CLASSES,
      tenantNamespace("team-a"),
      ...quotas,
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining(
          'tenant namespace "team-a" has no ResourceQuota of zero pods scoped to the priority classes',
        ) as string,
        urn: urnOf(NAMESPACE_TYPE, "team-a"),
      },
    ]);
  });

  it("refuses a tenant granted the platform's class or Kubernetes' own", async () => {
    const violations = await runStack(platformPriorityReserved, [
      ...CLASSES,
      tenantNamespace("team-a"),
      deniedClasses("team-a", ["default", PLATFORM_PRIORITY_CLASS, "system-cluster-critical"]),
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining(
        `tenant namespace "team-a" may run pods at ${PLATFORM_PRIORITY_CLASS} and system-cluster-critical`,
      ),
    ]);
  });

  it("refuses a platform class whose value is not above every class a tenant is granted", async () => {
    const violations = await runStack(platformPriorityReserved, [
      priorityClass(PLATFORM_PRIORITY_CLASS, 1_000_000),
      ...CLASSES.slice(1),
      tenantNamespace("team-a"),
      deniedClasses("team-a", ["platform-critical", "low"]),
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining(
        `may run pods at PriorityClass platform-critical (1000000), which is not below ${PLATFORM_PRIORITY_CLASS} (1000000)`,
      ),
    ]);
    // The same value is fine when no tenant is granted platform-critical.
    expect(
      await runStack(platformPriorityReserved, [
        priorityClass(PLATFORM_PRIORITY_CLASS, 1_000_000),
        ...CLASSES.slice(1),
        tenantNamespace("team-a"),
        deniedClasses("team-a", ["low"]),
      ]),
    ).toEqual([]);
  });

  it("refuses a tenant granted a class the stack does not create, whose value it cannot hold", async () => {
    const violations = await runStack(platformPriorityReserved, [
      ...CLASSES,
      tenantNamespace("team-a"),
      deniedClasses("team-a", ["rancher-critical"]),
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining("PriorityClass rancher-critical, which the stack does not create"),
    ]);
  });

  it("during preview, does not judge a namespace whose quota may be one not placed yet", async () => {
    const violations = await runStack(platformPriorityReserved, [
      ...CLASSES,
      tenantNamespace("team-a"),
      {
        ...deniedClasses("team-a", ["low"]),
        props: previewProps({ metadata: { name: "denied-priority-classes", namespace: UNKNOWN_STRING } }),
      },
    ]);
    expect(violations).toEqual([]);
  });
});
