import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../src/config/errors";
import type { Plan, PlannedResource } from "../../src/plan/evaluate";
import { startRecording } from "../../src/plan/recorder";
import { maskInputs, resolveOutput, UNKNOWN } from "../../src/plan/values";
import { defineCluster } from "../../src/program";
import { planStack, resourcesOfType, shippedConfig, TYPES } from "../helpers/plan";
import { stackFromConfig } from "../../src/stack";

const TENANTS = "hetzner-k8s:tenants:Tenants";
const TENANT = "hetzner-k8s:tenants:Tenant";
const TENANT_LABEL = "hetzner-k8s.io/tenant";
const NAMESPACE = "kubernetes:core/v1:Namespace";
const USERS_NAMESPACE = "tenant-users";
/** The engine's URN prefix of what the Tenants component holds, and of what a Tenant component holds. */
const UNDER_TENANTS = `urn:pulumi:dev::hetzner-k8s::${TENANTS}$`;
const UNDER_TENANT = `${UNDER_TENANTS}${TENANT}$`;

/** Kinds that live inside a namespace; a tenant may own nothing else but its Namespaces and its admission policies. */
const NAMESPACED_KINDS = [
  "ResourceQuota",
  "LimitRange",
  "Role",
  "RoleBinding",
  "ServiceAccount",
  "Secret",
  "NetworkPolicy",
];

/** The cluster-scoped admission policies and bindings that hold a tenant to its hostnames, named after it. */
const ADMISSION_KINDS = ["ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"];
const admissionPolicies = (tenant: string) =>
  ADMISSION_KINDS.flatMap((kind) => [
    `${kind} tenant-certificates.${tenant}`,
    `${kind} tenant-ingresses.${tenant}`,
  ]);

interface Metadata {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
}

const metadataOf = (resource: PlannedResource) => resource.inputs.metadata as Metadata;

function tenantComponent(plan: Plan, name: string): PlannedResource {
  const found = plan.resources.filter((resource) => resource.type === TENANT && resource.name === name);
  if (found.length !== 1) throw new Error(`expected one Tenant component ${name}, found ${found.length}`);
  return found[0];
}

/** The resources a Tenant component holds. */
function resourcesOf(plan: Plan, tenant: string): PlannedResource[] {
  const component = tenantComponent(plan, tenant);
  return plan.resources.filter((resource) => resource.parent === component.urn);
}

/** Every resource under any Tenant component. */
function allTenantResources(plan: Plan): PlannedResource[] {
  const components = new Set(resourcesOfType(plan, TENANT).map((component) => component.urn));
  return plan.resources.filter((resource) => resource.parent !== null && components.has(resource.parent));
}

/** `type name` of each resource, sorted. */
function summary(resources: PlannedResource[]): string[] {
  return resources.map((resource) => `${resource.type} ${resource.name}`).sort();
}

function byUrn(plan: Plan): Map<string, PlannedResource> {
  return new Map(plan.resources.map((resource) => [resource.urn, resource]));
}

/** What changed between two plans, by URN: resources gone, resources new, and resources declared differently. */
function diff(before: Plan, after: Plan) {
  const old = byUrn(before);
  const now = byUrn(after);
  return {
    removed: [...old.keys()].filter((urn) => !now.has(urn)).sort(),
    added: [...now.keys()].filter((urn) => !old.has(urn)).sort(),
    changed: [...now.entries()]
      .filter(([urn, resource]) => {
        const previous = old.get(urn);
        return previous !== undefined && JSON.stringify(previous) !== JSON.stringify(resource);
      })
      .map(([urn]) => urn),
  };
}

const kindsOf = (resources: PlannedResource[]) =>
  [...new Set(resources.map((resource) => resource.type))].sort();

const PRIORITY_CLASS = "kubernetes:scheduling.k8s.io/v1:PriorityClass";

describe("tenants in the program (dev stack)", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("registers one Tenant component per tenant under the Tenants component", () => {
    const [tenants] = resourcesOfType(plan, TENANTS);
    expect(resourcesOfType(plan, TENANTS)).toHaveLength(1);
    const components = resourcesOfType(plan, TENANT);
    expect(components.map((component) => component.name).sort()).toEqual(["team-a", "team-b"]);
    for (const component of components) expect(component.parent).toBe(tenants.urn);
    // URNs as the engine gives them: the type part chains the types of every ancestor.
    expect(tenants.urn).toBe(`urn:pulumi:dev::hetzner-k8s::${TENANTS}::tenants`);
    expect(components.map((component) => component.urn).sort()).toEqual([
      `${UNDER_TENANTS}${TENANT}::team-a`,
      `${UNDER_TENANTS}${TENANT}::team-b`,
    ]);
    for (const resource of allTenantResources(plan))
      expect(resource.urn).toBe(`${UNDER_TENANT}${resource.type}::${resource.name}`);
  });

  it("gives team-a its namespace, quotas, limits, role, bindings, identities and network policies", () => {
    expect(summary(resourcesOf(plan, "team-a"))).toEqual([
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy tenant-certificates.team-a",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy tenant-ingresses.team-a",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding tenant-certificates.team-a",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding tenant-ingresses.team-a",
      "kubernetes:core/v1:LimitRange team-a/tenant-limits",
      "kubernetes:core/v1:Namespace team-a",
      "kubernetes:core/v1:ResourceQuota team-a/denied-priority-classes",
      "kubernetes:core/v1:ResourceQuota team-a/tenant-quota",
      "kubernetes:core/v1:Secret tenant-users/team-a.alice-token",
      "kubernetes:core/v1:Secret tenant-users/team-a.bob-token",
      "kubernetes:core/v1:ServiceAccount tenant-users/team-a.alice",
      "kubernetes:core/v1:ServiceAccount tenant-users/team-a.bob",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-a/allow-tenant-and-platform",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-a/default-deny-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-a/tenant-egress",
      "kubernetes:rbac.authorization.k8s.io/v1:Role team-a/tenant-workloads",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding team-a/user-alice",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding team-a/user-bob",
    ]);
  });

  it("gives team-b the same in both its namespaces, and its user's identity in tenant-users", () => {
    const resources = resourcesOf(plan, "team-b");
    const count = (type: string) => resources.filter((resource) => resource.type === type).length;
    expect(
      Object.fromEntries(kindsOf(resources).map((type) => [type.replace(/^kubernetes:/, ""), count(type)])),
    ).toEqual({
      "core/v1:Namespace": 2,
      "core/v1:ResourceQuota": 4,
      "core/v1:LimitRange": 2,
      "rbac.authorization.k8s.io/v1:Role": 2,
      "rbac.authorization.k8s.io/v1:RoleBinding": 2,
      "core/v1:ServiceAccount": 1,
      "core/v1:Secret": 1,
      "networking.k8s.io/v1:NetworkPolicy": 6,
      "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": 2,
      "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": 2,
    });
    const token = resources.find((resource) => resource.type === "kubernetes:core/v1:Secret");
    expect(token?.name).toBe("tenant-users/team-b.carol-token");
    expect(token?.inputs.type).toBe("kubernetes.io/service-account-token");
    const account = resources.find((resource) => resource.type === "kubernetes:core/v1:ServiceAccount");
    expect(account?.name).toBe("tenant-users/team-b.carol");
    // Bound in both namespaces to the account in tenant-users.
    for (const binding of resources.filter(
      (resource) => resource.type === "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    ))
      expect(binding.inputs.subjects).toEqual([
        { kind: "ServiceAccount", name: "team-b.carol", namespace: USERS_NAMESPACE },
      ]);
    const namespaces = resources.filter((resource) => resource.type === NAMESPACE);
    for (const namespace of namespaces) {
      expect(metadataOf(namespace).labels).toMatchObject({
        [TENANT_LABEL]: "team-b",
        "pod-security.kubernetes.io/enforce": "baseline",
      });
    }
  });

  it("keeps tenant namespaces when a tenant is removed, with the network policies, quotas and limits that lock them down, and nothing else", () => {
    const tenantResources = allTenantResources(plan);
    const retained = tenantResources.filter((resource) => resource.options.retainOnDelete);
    const guardRails = (namespace: string) => [
      `${NAMESPACE} ${namespace}`,
      `kubernetes:core/v1:LimitRange ${namespace}/tenant-limits`,
      `kubernetes:core/v1:ResourceQuota ${namespace}/denied-priority-classes`,
      `kubernetes:core/v1:ResourceQuota ${namespace}/tenant-quota`,
      `kubernetes:networking.k8s.io/v1:NetworkPolicy ${namespace}/allow-tenant-and-platform`,
      `kubernetes:networking.k8s.io/v1:NetworkPolicy ${namespace}/default-deny-ingress`,
      `kubernetes:networking.k8s.io/v1:NetworkPolicy ${namespace}/tenant-egress`,
    ];
    expect(summary(retained)).toEqual(["team-a", "team-b", "team-b-staging"].flatMap(guardRails).sort());
    // The users' access ends with the tenant: RBAC, identities and hostname policies are deleted.
    const deleted = tenantResources.filter((resource) => !resource.options.retainOnDelete);
    expect(kindsOf(deleted)).toEqual([
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding",
      "kubernetes:core/v1:Secret",
      "kubernetes:core/v1:ServiceAccount",
      "kubernetes:rbac.authorization.k8s.io/v1:Role",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding",
    ]);
  });

  it("creates the users' namespace once, outside every tenant, restricted and with no tenant's label", () => {
    const [tenants] = resourcesOfType(plan, TENANTS);
    const namespaces = resourcesOfType(plan, NAMESPACE).filter(
      (resource) => metadataOf(resource).name === USERS_NAMESPACE,
    );
    expect(namespaces.map((namespace) => [namespace.urn, namespace.parent])).toEqual([
      [`${UNDER_TENANTS}${NAMESPACE}::${USERS_NAMESPACE}`, tenants.urn],
    ]);
    expect(metadataOf(namespaces[0]).labels).toEqual({
      "app.kubernetes.io/managed-by": "hetzner-k8s",
      "pod-security.kubernetes.io/enforce": "restricted",
      "pod-security.kubernetes.io/audit": "restricted",
      "pod-security.kubernetes.io/warn": "restricted",
    });
    // Every identity waits for it.
    for (const resource of allTenantResources(plan).filter(
      (entry) => metadataOf(entry).namespace === USERS_NAMESPACE,
    ))
      expect(resource.dependencies).toContain(namespaces[0].urn);
  });

  it("denies every connection to the users' namespace, which holds no pod", () => {
    const [tenants] = resourcesOfType(plan, TENANTS);
    const policies = resourcesOfType(plan, "kubernetes:networking.k8s.io/v1:NetworkPolicy").filter(
      (resource) => metadataOf(resource).namespace === USERS_NAMESPACE,
    );
    expect(policies.map((policy) => [policy.name, policy.parent])).toEqual([
      [`${USERS_NAMESPACE}/default-deny-ingress`, tenants.urn],
    ]);
    expect(policies[0].inputs.spec).toEqual({ podSelector: {}, policyTypes: ["Ingress"] });
    const namespace = resourcesOfType(plan, NAMESPACE).find(
      (resource) => metadataOf(resource).name === USERS_NAMESPACE,
    );
    expect(policies[0].dependencies).toContain(namespace?.urn);
  });

  it("creates the tenants' priority classes once, outside every tenant (the platform's own is the platform's)", () => {
    const [tenants] = resourcesOfType(plan, TENANTS);
    const classes = resourcesOfType(plan, PRIORITY_CLASS);
    expect(
      classes
        .filter((entry) => entry.parent === tenants.urn)
        .map((entry) => entry.name)
        .sort(),
    ).toEqual(["default", "high", "low", "platform-critical"]);
    expect(classes.filter((entry) => entry.parent !== tenants.urn).map((entry) => entry.name)).toEqual([
      "hetzner-k8s-platform",
    ]);
  });

  it("creates tenant namespaces after the priority classes, and every other tenant object after its namespaces", () => {
    const [tenants] = resourcesOfType(plan, TENANTS);
    const classes = resourcesOfType(plan, PRIORITY_CLASS)
      .filter((entry) => entry.parent === tenants.urn)
      .map((entry) => entry.urn);
    const namespaces = new Map(
      resourcesOfType(plan, NAMESPACE).map((namespace) => [metadataOf(namespace).name, namespace.urn]),
    );
    for (const resource of allTenantResources(plan)) {
      // Cluster-scoped like the namespaces: the admission policies and bindings go after the classes too.
      if (resource.type === NAMESPACE || ADMISSION_KINDS.includes(String(resource.inputs.kind)))
        expect(resource.dependencies).toEqual(expect.arrayContaining(classes));
      else expect(resource.dependencies).toContain(namespaces.get(metadataOf(resource).namespace ?? ""));
    }
  });

  // A token Secret that reaches the API server before its ServiceAccount is deleted by the token controller.
  it("creates each user's token Secret after the user's ServiceAccount", () => {
    const secrets = allTenantResources(plan).filter(
      (resource) => resource.type === "kubernetes:core/v1:Secret",
    );
    expect(secrets.map((secret) => secret.name).sort()).toEqual([
      "tenant-users/team-a.alice-token",
      "tenant-users/team-a.bob-token",
      "tenant-users/team-b.carol-token",
    ]);
    for (const secret of secrets) {
      const account = (secret.inputs.metadata as { annotations: Record<string, string> }).annotations[
        "kubernetes.io/service-account.name"
      ];
      const serviceAccount = allTenantResources(plan).find(
        (resource) =>
          resource.type === "kubernetes:core/v1:ServiceAccount" &&
          resource.name === `${metadataOf(secret).namespace}/${account}`,
      );
      expect(serviceAccount).toBeDefined();
      expect([secret.name, secret.dependencies]).toEqual([
        secret.name,
        expect.arrayContaining([serviceAccount?.urn]),
      ]);
    }
  });

  // Replacing a user's ServiceAccount (the revocation runbook) gives it a new UID: the token Secret bound
  // to the old UID is deleted first and created again, so the new kubeconfig carries a new token.
  it("binds each token Secret to its ServiceAccount's UID and replaces it when that changes", () => {
    const secrets = allTenantResources(plan).filter(
      (resource) => resource.type === "kubernetes:core/v1:Secret",
    );
    expect(secrets).toHaveLength(3);
    for (const secret of secrets) {
      const { annotations } = secret.inputs.metadata as { annotations: Record<string, string> };
      expect([secret.name, annotations]).toEqual([
        secret.name,
        {
          "kubernetes.io/service-account.name": metadataOf(secret).name.replace(/-token$/, ""),
          // The ServiceAccount's uid output, known once it exists.
          "kubernetes.io/service-account.uid": UNKNOWN,
        },
      ]);
      expect([secret.name, secret.options.replaceOnChanges, secret.options.deleteBeforeReplace]).toEqual([
        secret.name,
        ["metadata.annotations"],
        true,
      ]);
    }
    // Nothing else of a tenant is replaced on its own.
    for (const resource of allTenantResources(plan).filter((entry) => !secrets.includes(entry)))
      expect([resource.name, resource.options.replaceOnChanges]).toEqual([resource.name, []]);
  });

  it("creates every tenant resource and the priority classes through the cluster's Kubernetes provider", () => {
    const providers = resourcesOfType(plan, "pulumi:providers:kubernetes");
    expect(providers).toHaveLength(1);
    // Every Kubernetes object anywhere below the Tenants component: its URN chains the Tenants type.
    const all = plan.resources.filter(
      (resource) => resource.type.startsWith("kubernetes:") && resource.urn.startsWith(UNDER_TENANTS),
    );
    // team-a, team-b, the priority classes, the users' namespace and its policy
    expect(all.length).toBe(18 + 24 + 4 + 2);
    expect(all).toEqual(expect.arrayContaining(allTenantResources(plan)));
    for (const resource of all)
      expect([resource.name, resource.options.provider]).toEqual([resource.name, providers[0].urn]);
  });

  it("owns nothing cluster-scoped but its Namespaces and admission policies, each object in one of the tenant's namespaces but its users' identities, in tenant-users", () => {
    for (const component of resourcesOfType(plan, TENANT)) {
      const resources = resourcesOf(plan, component.name);
      const namespaces = resources
        .filter((resource) => resource.type === NAMESPACE)
        .map((resource) => metadataOf(resource).name);
      expect(namespaces.length).toBeGreaterThan(0);
      expect(namespaces).not.toContain(USERS_NAMESPACE);
      const users =
        shippedConfig("dev").tenants.find((tenant) => tenant.name === component.name)?.users ?? [];
      expect(users.length).toBeGreaterThan(0);
      const identities = users.flatMap((user) => [
        `ServiceAccount ${component.name}.${user}`,
        `Secret ${component.name}.${user}-token`,
      ]);
      const inUsersNamespace: string[] = [];
      const clusterScoped: string[] = [];
      for (const resource of resources) {
        const kind = String(resource.inputs.kind);
        const where = `${component.name}: ${resource.type} ${resource.name}`;
        expect([where, resource.type.endsWith(`:${kind}`)]).toEqual([where, true]);
        if (kind === "Namespace") {
          expect([where, metadataOf(resource).namespace]).toEqual([where, undefined]);
          expect(metadataOf(resource).labels?.[TENANT_LABEL]).toBe(component.name);
        } else if (ADMISSION_KINDS.includes(kind)) {
          expect([where, metadataOf(resource).namespace]).toEqual([where, undefined]);
          expect(metadataOf(resource).labels?.[TENANT_LABEL]).toBe(component.name);
          clusterScoped.push(`${kind} ${metadataOf(resource).name}`);
        } else {
          expect([where, NAMESPACED_KINDS.includes(kind)]).toEqual([where, true]);
          const namespace = metadataOf(resource).namespace ?? "";
          if (namespace === USERS_NAMESPACE) inUsersNamespace.push(`${kind} ${metadataOf(resource).name}`);
          else expect([where, namespaces.includes(namespace)]).toEqual([where, true]);
        }
      }
      // In tenant-users: exactly the users' ServiceAccounts and token Secrets, named after tenant and user.
      expect(inUsersNamespace.sort()).toEqual(identities.sort());
      // Cluster-scoped besides its Namespaces: exactly its own hostname policies and bindings, named after it.
      expect(clusterScoped.sort()).toEqual(admissionPolicies(component.name).sort());
    }
  });

  it("limits every tenant namespace's egress: DNS, tenant namespaces, and the internet unless switched off", async () => {
    const policies = allTenantResources(plan).filter((resource) => resource.name.endsWith("/tenant-egress"));
    expect(policies.map((resource) => resource.name).sort()).toEqual([
      "team-a/tenant-egress",
      "team-b-staging/tenant-egress",
      "team-b/tenant-egress",
    ]);
    type Spec = { podSelector: object; policyTypes: string[]; egress: { to: Record<string, unknown>[] }[] };
    for (const policy of policies) {
      const spec = policy.inputs.spec as Spec;
      expect([policy.name, spec.podSelector, spec.policyTypes]).toEqual([policy.name, {}, ["Egress"]]);
      expect(spec.egress.flatMap((rule) => rule.to).some((peer) => "ipBlock" in peer)).toBe(true);
      expect(policy.type).toBe("kubernetes:networking.k8s.io/v1:NetworkPolicy");
    }
    const closed = await planStack("dev", (config) => {
      config.tenants[0].egressInternet = false;
    });
    const teamA = allTenantResources(closed).find((resource) => resource.name === "team-a/tenant-egress");
    const peers = (teamA?.inputs.spec as Spec).egress.flatMap((rule) => rule.to);
    expect(peers.some((peer) => "ipBlock" in peer)).toBe(false);
    // Only team-a's policy changes.
    expect(diff(plan, closed)).toEqual({ removed: [], added: [], changed: [teamA?.urn] });
  });

  it("excepts one address per node from the internet, known once Hetzner assigns it", () => {
    const nodes = shippedConfig("dev").nodes.length;
    for (const policy of allTenantResources(plan).filter((resource) =>
      resource.name.endsWith("/tenant-egress"),
    )) {
      const except = (policy.inputs.spec as { egress: { to: { ipBlock?: { except: string[] } }[] }[] }).egress
        .flatMap((rule) => rule.to)
        .flatMap((peer) => peer.ipBlock?.except ?? []);
      expect([policy.name, except.slice(-nodes)]).toEqual([policy.name, Array(nodes).fill(UNKNOWN)]);
    }
  });

  it("outputs the tenants' kubeconfigs as a secret", () => {
    expect(plan.outputs.tenantKubeconfigs).toMatchObject({ secret: true, value: "[secret]" });
  });

  it("removing a tenant deletes only its resources and changes nothing else", async () => {
    const without = await planStack("dev", (config) => {
      config.tenants = config.tenants.filter((tenant) => tenant.name !== "team-a");
    });
    const teamA = tenantComponent(plan, "team-a");
    const expected = [teamA.urn, ...resourcesOf(plan, "team-a").map((resource) => resource.urn)].sort();
    expect(expected.length).toBe(19);
    expect(diff(plan, without)).toEqual({ removed: expected, added: [], changed: [] });
    // Its namespace stays in the cluster locked down: the retained resources are among those removed.
    expect(
      summary(resourcesOf(plan, "team-a").filter((resource) => resource.options.retainOnDelete)),
    ).toEqual([
      "kubernetes:core/v1:LimitRange team-a/tenant-limits",
      `${NAMESPACE} team-a`,
      "kubernetes:core/v1:ResourceQuota team-a/denied-priority-classes",
      "kubernetes:core/v1:ResourceQuota team-a/tenant-quota",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-a/allow-tenant-and-platform",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-a/default-deny-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-a/tenant-egress",
    ]);
    expect(without.outputs.tenantKubeconfigs).toMatchObject({ secret: true, value: "[secret]" });
  });

  it("dropping a namespace from a tenant keeps it locked down and ends the users' access to it", async () => {
    const without = await planStack("dev", (config) => {
      const teamB = config.tenants.find((tenant) => tenant.name === "team-b");
      if (teamB) teamB.namespaces = ["team-b"];
    });
    const removed = new Set(diff(plan, without).removed);
    const gone = resourcesOf(plan, "team-b").filter((resource) => removed.has(resource.urn));
    expect(
      gone.every(
        (resource) =>
          metadataOf(resource).namespace === "team-b-staging" || resource.name === "team-b-staging",
      ),
    ).toBe(true);
    expect(summary(gone.filter((resource) => !resource.options.retainOnDelete))).toEqual([
      "kubernetes:rbac.authorization.k8s.io/v1:Role team-b-staging/tenant-workloads",
      "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding team-b-staging/user-carol",
    ]);
    expect(summary(gone.filter((resource) => resource.options.retainOnDelete))).toEqual([
      "kubernetes:core/v1:LimitRange team-b-staging/tenant-limits",
      `${NAMESPACE} team-b-staging`,
      "kubernetes:core/v1:ResourceQuota team-b-staging/denied-priority-classes",
      "kubernetes:core/v1:ResourceQuota team-b-staging/tenant-quota",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-b-staging/allow-tenant-and-platform",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-b-staging/default-deny-ingress",
      "kubernetes:networking.k8s.io/v1:NetworkPolicy team-b-staging/tenant-egress",
    ]);
  });

  it("adding a tenant creates only resources under its own Tenant component; allowDeletion lets its namespaces go", async () => {
    const withC = await planStack("dev", (config) => {
      config.tenants.push({
        name: "team-c",
        namespaces: ["team-c", "team-c-dev"],
        users: ["dave"],
        quota: {
          requestsCpu: "500m",
          requestsMemory: "512Mi",
          limitsCpu: "1",
          limitsMemory: "1Gi",
          storage: "0",
          persistentVolumeClaims: 0,
          pods: 20,
          services: 5,
          loadBalancers: 0,
          nodePorts: 0,
        },
        limits: {
          defaultRequestCpu: "100m",
          defaultRequestMemory: "128Mi",
          defaultLimitCpu: "500m",
          defaultLimitMemory: "512Mi",
          maxCpu: "1",
          maxMemory: "1Gi",
        },
        priorityClasses: ["default", "low"],
        podSecurity: "restricted",
        allowFrom: [],
        egressInternet: true,
        allowDeletion: true,
      });
    });
    const component = tenantComponent(withC, "team-c");
    const own = resourcesOf(withC, "team-c");
    const changes = diff(plan, withC);
    expect(changes.removed).toEqual([]);
    expect(changes.changed).toEqual([]);
    expect(changes.added).toEqual([component.urn, ...own.map((resource) => resource.urn)].sort());
    // Per namespace: 2 quotas, limits, role, binding, 3 policies, namespace; 2 admission policies with
    // their bindings; and dave's identity.
    expect(own.length).toBe(2 * 9 + 4 + 2);
    expect(summary(own.filter((resource) => metadataOf(resource).namespace === USERS_NAMESPACE))).toEqual([
      "kubernetes:core/v1:Secret tenant-users/team-c.dave-token",
      "kubernetes:core/v1:ServiceAccount tenant-users/team-c.dave",
    ]);
    const namespaces = own.filter((resource) => resource.type === NAMESPACE);
    expect(namespaces.map((resource) => [resource.name, resource.options.retainOnDelete])).toEqual([
      ["team-c", false],
      ["team-c-dev", false],
    ]);
    // Its policies, quotas and limits go with its namespaces.
    expect(own.filter((resource) => resource.options.retainOnDelete)).toEqual([]);
    // Still one set of classes: a tenant brings none of its own.
    expect(resourcesOfType(withC, PRIORITY_CLASS)).toHaveLength(resourcesOfType(plan, PRIORITY_CLASS).length);
  });
});

describe("tenants' internet egress and the nodes' public addresses", () => {
  it("excepts each node's public IPv4 address, as Hetzner assigns it, in every tenant namespace", async () => {
    const config = shippedConfig("dev");
    const addresses = new Map(
      config.nodes.map((node, index) => [`${node.name}-server`, `203.0.113.${10 + index}`]),
    );
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => ({
          id: undefined,
          state: args.type === TYPES.server ? { ipv4Address: addresses.get(args.name) } : {},
        }),
        call: (args) => args.inputs,
      },
      PROJECT,
      "dev",
      true,
    );
    const records = startRecording();
    const outputs = defineCluster(
      stackFromConfig(config),
      { hcloudToken: pulumi.secret("(hcloud:token)") },
      {},
    );
    for (const value of Object.values(outputs)) if (value !== undefined) await resolveOutput(value);
    await pulumi.runtime.disconnect();

    const policies = records.filter((record) => record.name.endsWith("/tenant-egress"));
    expect(policies.map((record) => record.name).sort()).toEqual([
      "team-a/tenant-egress",
      "team-b-staging/tenant-egress",
      "team-b/tenant-egress",
    ]);
    for (const record of policies) {
      const spec = maskInputs(record.rawInputs.spec).value as {
        egress: { to: { ipBlock?: { cidr: string; except: string[] } }[] }[];
      };
      const blocks = spec.egress
        .flatMap((rule) => rule.to)
        .flatMap((peer) => (peer.ipBlock ? [peer.ipBlock] : []));
      expect([record.name, blocks]).toEqual([
        record.name,
        [
          {
            cidr: "0.0.0.0/0",
            except: [
              "10.0.0.0/8",
              "172.16.0.0/12",
              "192.168.0.0/16",
              "100.64.0.0/10",
              "169.254.0.0/16",
              ...[...addresses.values()].map((address) => `${address}/32`),
            ],
          },
        ],
      ]);
      // The policy follows the servers: a new address updates it.
      const servers = records.filter((entry) => entry.type === TYPES.server).map((entry) => entry.urn);
      expect(record.dependencies).toEqual(expect.arrayContaining(servers));
    }
  });
});
