import { parse } from "yaml";
import { checkTenants } from "../../src/config/tenantRules";
import { PRIORITY_CLASSES, tenantSchema, type TenantConfig } from "../../src/config/tenantSchema";
import { certificateAuthorityOf, userKubeconfig } from "../../src/model/kubeconfig";
import type { Manifest } from "../../src/model/platform/common";
import {
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from "kubernetes-models/admissionregistration.k8s.io/v1";
import {
  buildTenant,
  celWithinHostnames,
  HOSTNAME_POLICY_KINDS,
  hostnamePolicyName,
  hostnameVariables,
  type HostnamePolicyKind,
  KEPT_KINDS,
  NODE_PORTS_PER_LOAD_BALANCER,
  priorityClassManifests,
  TENANT_ROLE,
  TENANT_USERS_NAMESPACE,
  tenantRoleRules,
  tenantUsersNamespaceManifest,
  tenantUsersNetworkPolicy,
  type TenantModel,
  withNodesExcepted,
} from "../../src/model/tenants";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";

const TENANT_LABEL = "hetzner-k8s.io/tenant";
const MANAGED = { "app.kubernetes.io/managed-by": "hetzner-k8s" };

/** A tenant as the stack file would list it; the schema fills in the defaults. */
function tenantConfig(entry: Record<string, unknown> = {}): TenantConfig {
  return tenantSchema.parse({
    name: "shop",
    namespaces: ["shop", "shop-staging"],
    users: ["alice", "ci"],
    quota: { requestsCpu: "2", requestsMemory: "4Gi", limitsCpu: "4", limitsMemory: "8Gi", storage: "20Gi" },
    ...entry,
  });
}

function objectsOf(model: TenantModel, kind: string, namespace?: string): Manifest[] {
  return model.objects.filter(
    (object) => object.kind === kind && (namespace === undefined || object.metadata.namespace === namespace),
  );
}

function single(model: TenantModel, kind: string, namespace: string, name: string): Manifest {
  const found = objectsOf(model, kind, namespace).filter((object) => object.metadata.name === name);
  expect(found).toHaveLength(1);
  return found[0];
}

interface PolicyRule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

describe("a tenant's namespaces", () => {
  it("are the listed ones, or the tenant's name", () => {
    expect(buildTenant(tenantConfig()).namespaces).toEqual(["shop", "shop-staging"]);
    expect(buildTenant(tenantConfig({ namespaces: undefined })).namespaces).toEqual(["shop"]);
  });

  it("carry the tenant label and Pod Security labels: enforce the tenant's level, audit and warn at restricted", () => {
    const baseline = buildTenant(tenantConfig({ podSecurity: "baseline" }));
    expect(baseline.namespaceManifests).toEqual(
      ["shop", "shop-staging"].map((name) => ({
        apiVersion: "v1",
        kind: "Namespace",
        metadata: {
          name,
          labels: {
            ...MANAGED,
            [TENANT_LABEL]: "shop",
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/audit": "restricted",
            "pod-security.kubernetes.io/warn": "restricted",
          },
        },
      })),
    );
    const restricted = buildTenant(tenantConfig());
    for (const namespace of restricted.namespaceManifests)
      expect(namespace.metadata.labels?.["pod-security.kubernetes.io/enforce"]).toBe("restricted");
  });

  it("keep a tenant's data unless it allows deletion", () => {
    expect(buildTenant(tenantConfig()).allowDeletion).toBe(false);
    expect(buildTenant(tenantConfig({ allowDeletion: true })).allowDeletion).toBe(true);
  });
});

describe("removing a tenant from the stack", () => {
  const where = (object: Manifest) =>
    `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata.name}`;

  it("keeps its namespaces and, in each, the network policies, quotas and limit range that lock it down", () => {
    const model = buildTenant(tenantConfig());
    expect(model.retainedOnRemoval.map(where)).toEqual([
      "Namespace shop",
      "Namespace shop-staging",
      ...["shop", "shop-staging"].flatMap((namespace) => [
        `ResourceQuota ${namespace}/tenant-quota`,
        `ResourceQuota ${namespace}/denied-priority-classes`,
        `LimitRange ${namespace}/tenant-limits`,
        `NetworkPolicy ${namespace}/default-deny-ingress`,
        `NetworkPolicy ${namespace}/allow-tenant-and-platform`,
        `NetworkPolicy ${namespace}/tenant-egress`,
      ]),
    ]);
    expect(KEPT_KINDS).toEqual(["NetworkPolicy", "ResourceQuota", "LimitRange"]);
  });

  it("ends its users' access: the Role, RoleBindings, ServiceAccounts and token Secrets all go", () => {
    const model = buildTenant(tenantConfig());
    const deleted = model.objects.filter((object) => !model.retainedOnRemoval.includes(object));
    expect(deleted.map(where)).toEqual([
      ...["shop", "shop-staging"].flatMap((namespace) => [
        `Role ${namespace}/tenant-workloads`,
        `RoleBinding ${namespace}/user-alice`,
        `RoleBinding ${namespace}/user-ci`,
      ]),
      `ServiceAccount ${TENANT_USERS_NAMESPACE}/shop.alice`,
      `Secret ${TENANT_USERS_NAMESPACE}/shop.alice-token`,
      `ServiceAccount ${TENANT_USERS_NAMESPACE}/shop.ci`,
      `Secret ${TENANT_USERS_NAMESPACE}/shop.ci-token`,
    ]);
  });

  it("names the very objects the tenant creates, so the component can mark exactly those", () => {
    const model = buildTenant(tenantConfig());
    const created = [...model.namespaceManifests, ...model.objects];
    for (const object of model.retainedOnRemoval)
      expect([where(object), created.filter((entry) => entry === object)]).toEqual([where(object), [object]]);
  });

  it("keeps nothing once it allows deletion", () => {
    expect(buildTenant(tenantConfig({ allowDeletion: true })).retainedOnRemoval).toEqual([]);
  });
});

describe("a tenant's quotas", () => {
  it("set the quota in every namespace, with no load balancers or node ports by default", () => {
    const model = buildTenant(tenantConfig());
    for (const namespace of model.namespaces) {
      expect(single(model, "ResourceQuota", namespace, "tenant-quota")).toEqual({
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: { name: "tenant-quota", namespace, labels: { ...MANAGED, [TENANT_LABEL]: "shop" } },
        spec: {
          hard: {
            "requests.cpu": "2",
            "requests.memory": "4Gi",
            "limits.cpu": "4",
            "limits.memory": "8Gi",
            "requests.storage": "20Gi",
            persistentvolumeclaims: "0",
            pods: "50",
            services: "10",
            "services.loadbalancers": "0",
            "services.nodeports": "0",
          },
        },
      });
    }
  });

  it("grant what the tenant's entry grants", () => {
    const model = buildTenant(
      tenantConfig({
        quota: {
          requestsCpu: 1,
          requestsMemory: "1Gi",
          limitsCpu: "1500m",
          limitsMemory: "2Gi",
          persistentVolumeClaims: 4,
          pods: 20,
          services: 3,
          loadBalancers: 1,
          nodePorts: 2,
        },
      }),
    );
    expect(single(model, "ResourceQuota", "shop", "tenant-quota").spec).toEqual({
      hard: {
        "requests.cpu": "1",
        "requests.memory": "1Gi",
        "limits.cpu": "1500m",
        "limits.memory": "2Gi",
        "requests.storage": "0",
        persistentvolumeclaims: "4",
        pods: "20",
        services: "3",
        "services.loadbalancers": "1",
        // The 2 node ports granted, and the 5 the granted load balancer's Service takes.
        "services.nodeports": "7",
      },
    });
  });

  it("count the node ports every granted load balancer brings on top of the granted node ports", () => {
    expect(NODE_PORTS_PER_LOAD_BALANCER).toBe(5);
    const nodePorts = (loadBalancers: number, granted: number) => {
      const model = buildTenant(
        tenantConfig({
          quota: {
            requestsCpu: 1,
            requestsMemory: "1Gi",
            limitsCpu: 1,
            limitsMemory: "1Gi",
            loadBalancers,
            nodePorts: granted,
          },
        }),
      );
      return model.namespaces.map(
        (namespace) =>
          (single(model, "ResourceQuota", namespace, "tenant-quota").spec as { hard: Record<string, string> })
            .hard["services.nodeports"],
      );
    };
    expect(nodePorts(0, 0)).toEqual(["0", "0"]);
    expect(nodePorts(0, 3)).toEqual(["3", "3"]);
    expect(nodePorts(2, 0)).toEqual(["10", "10"]);
    expect(nodePorts(3, 1)).toEqual(["16", "16"]);
  });

  it("deny every priority class but those the tenant may use, Kubernetes' own and unknown ones included", () => {
    const model = buildTenant(tenantConfig());
    for (const namespace of model.namespaces) {
      expect(single(model, "ResourceQuota", namespace, "denied-priority-classes")).toEqual({
        apiVersion: "v1",
        kind: "ResourceQuota",
        metadata: {
          name: "denied-priority-classes",
          namespace,
          labels: { ...MANAGED, [TENANT_LABEL]: "shop" },
        },
        spec: {
          hard: { pods: "0" },
          // NotIn the allowed ones: platform-critical, high, system-node-critical, system-cluster-critical
          // and any class created later all count against a quota of zero pods.
          scopeSelector: {
            matchExpressions: [{ scopeName: "PriorityClass", operator: "NotIn", values: ["default", "low"] }],
          },
        },
      });
    }
    const one = buildTenant(tenantConfig({ priorityClasses: ["high"] }));
    expect(single(one, "ResourceQuota", "shop", "denied-priority-classes").spec).toEqual({
      hard: { pods: "0" },
      scopeSelector: {
        matchExpressions: [{ scopeName: "PriorityClass", operator: "NotIn", values: ["high"] }],
      },
    });
  });

  it("deny every priority class when the tenant may use none", () => {
    const none = buildTenant(tenantConfig({ priorityClasses: [] }));
    for (const namespace of none.namespaces) {
      expect(single(none, "ResourceQuota", namespace, "denied-priority-classes").spec).toEqual({
        hard: { pods: "0" },
        scopeSelector: { matchExpressions: [{ scopeName: "PriorityClass", operator: "Exists" }] },
      });
    }
  });

  it("still deny Kubernetes' system classes when all of ours are allowed", () => {
    const model = buildTenant(tenantConfig({ priorityClasses: [...PRIORITY_CLASSES] }));
    expect(
      objectsOf(model, "ResourceQuota").map(
        (object) => `${object.metadata.namespace}/${object.metadata.name}`,
      ),
    ).toEqual([
      "shop/tenant-quota",
      "shop/denied-priority-classes",
      "shop-staging/tenant-quota",
      "shop-staging/denied-priority-classes",
    ]);
    for (const namespace of model.namespaces) {
      const denied = single(model, "ResourceQuota", namespace, "denied-priority-classes").spec as {
        scopeSelector: { matchExpressions: { operator: string; values?: string[] }[] };
      };
      expect(denied.scopeSelector.matchExpressions).toEqual([
        { scopeName: "PriorityClass", operator: "NotIn", values: [...PRIORITY_CLASSES] },
      ]);
    }
  });

  it("limit containers with defaults and maxima", () => {
    const model = buildTenant(tenantConfig({ limits: { maxCpu: "1", defaultLimitMemory: "256Mi" } }));
    for (const namespace of model.namespaces) {
      expect(single(model, "LimitRange", namespace, "tenant-limits").spec).toEqual({
        limits: [
          {
            type: "Container",
            defaultRequest: { cpu: "100m", memory: "128Mi" },
            default: { cpu: "500m", memory: "256Mi" },
            max: { cpu: "1", memory: "4Gi" },
          },
        ],
      });
    }
  });
});

describe("a tenant's identities and RBAC", () => {
  const model = buildTenant(tenantConfig());

  it("gives each user a ServiceAccount and a token Secret in the users' namespace, outside the tenant's", () => {
    expect(model.users.map((user) => [user.name, user.identityNamespace, user.namespaces])).toEqual([
      ["alice", TENANT_USERS_NAMESPACE, ["shop", "shop-staging"]],
      ["ci", TENANT_USERS_NAMESPACE, ["shop", "shop-staging"]],
    ]);
    expect(objectsOf(model, "ServiceAccount").map((object) => object.metadata)).toEqual(
      ["alice", "ci"].map((user) => ({
        name: `shop.${user}`,
        namespace: TENANT_USERS_NAMESPACE,
        labels: { ...MANAGED, [TENANT_LABEL]: "shop" },
      })),
    );
    for (const account of objectsOf(model, "ServiceAccount"))
      expect(account.automountServiceAccountToken).toBe(false);
    expect(objectsOf(model, "Secret")).toEqual(
      ["alice", "ci"].map((user) => ({
        apiVersion: "v1",
        kind: "Secret",
        metadata: {
          name: `shop.${user}-token`,
          namespace: TENANT_USERS_NAMESPACE,
          labels: { ...MANAGED, [TENANT_LABEL]: "shop" },
          annotations: { "kubernetes.io/service-account.name": `shop.${user}` },
        },
        type: "kubernetes.io/service-account-token",
      })),
    );
  });

  it("has no identities without users", () => {
    const alone = buildTenant(tenantConfig({ users: [] }));
    expect(alone.users).toEqual([]);
    expect(objectsOf(alone, "ServiceAccount")).toEqual([]);
    expect(objectsOf(alone, "Secret")).toEqual([]);
    expect(objectsOf(alone, "RoleBinding")).toEqual([]);
  });

  it("binds only the tenant Role, in each namespace, to the user's ServiceAccount in the users' namespace", () => {
    const bindings = objectsOf(model, "RoleBinding");
    expect(bindings.map((binding) => `${binding.metadata.namespace}/${binding.metadata.name}`)).toEqual([
      "shop/user-alice",
      "shop/user-ci",
      "shop-staging/user-alice",
      "shop-staging/user-ci",
    ]);
    for (const binding of bindings) {
      const user = binding.metadata.name.replace(/^user-/, "");
      expect(binding.roleRef).toEqual({
        apiGroup: "rbac.authorization.k8s.io",
        kind: "Role",
        name: TENANT_ROLE,
      });
      expect(binding.subjects).toEqual([
        { kind: "ServiceAccount", name: `shop.${user}`, namespace: TENANT_USERS_NAMESPACE },
      ]);
    }
  });

  it("has one tenant Role per namespace with the tenant's rules", () => {
    const roles = objectsOf(model, "Role");
    expect(roles.map((role) => `${role.metadata.namespace}/${role.metadata.name}`)).toEqual([
      "shop/tenant-workloads",
      "shop-staging/tenant-workloads",
    ]);
    for (const role of roles) expect(role.rules).toEqual(tenantRoleRules());
  });

  it("uses namespaced RBAC only: Roles and RoleBindings, never cluster-wide ones", () => {
    const kinds = [...model.namespaceManifests, ...model.objects].map((object) => object.kind);
    expect(kinds).not.toContain("ClusterRole");
    expect(kinds).not.toContain("ClusterRoleBinding");
    const accounts = model.users.map((user) => user.serviceAccount);
    for (const binding of objectsOf(model, "RoleBinding")) {
      expect((binding.roleRef as { kind: string }).kind).toBe("Role");
      expect(model.namespaces).toContain(binding.metadata.namespace);
      for (const subject of binding.subjects as Subject[]) {
        // Only the tenant's own users, whose accounts live outside every tenant namespace.
        expect(subject.kind).toBe("ServiceAccount");
        expect(subject.namespace).toBe(TENANT_USERS_NAMESPACE);
        expect(model.namespaces).not.toContain(subject.namespace);
        expect(accounts).toContain(subject.name);
      }
    }
  });

  it("names each identity after its tenant and user, so tenants' users never share one", () => {
    expect(model.users.map((user) => [user.serviceAccount, user.tokenSecret])).toEqual([
      ["shop.alice", "shop.alice-token"],
      ["shop.ci", "shop.ci-token"],
    ]);
    // The same user name in another tenant gets an identity of its own in the same namespace.
    const other = buildTenant(tenantConfig({ name: "billing", namespaces: ["billing"] }));
    const identities = (tenant: TenantModel) =>
      tenant.objects
        .filter((object) => object.metadata.namespace === TENANT_USERS_NAMESPACE)
        .map((object) => `${object.kind} ${object.metadata.name}`);
    expect(identities(other)).toEqual([
      "ServiceAccount billing.alice",
      "Secret billing.alice-token",
      "ServiceAccount billing.ci",
      "Secret billing.ci-token",
    ]);
    for (const identity of identities(other)) expect(identities(model)).not.toContain(identity);
  });

  it("grants no escalation, no wildcard and no writes to its own guard rails", () => {
    const rules = objectsOf(model, "Role").flatMap((role) => role.rules as PolicyRule[]);
    expect(rules.length).toBeGreaterThan(0);
    const guarded = ["resourcequotas", "limitranges", "networkpolicies", "roles", "rolebindings"];
    const writes = ["create", "update", "patch", "delete", "deletecollection"];
    for (const rule of rules) {
      const where = JSON.stringify(rule);
      const forbidden = rule.verbs.filter((verb) => ["escalate", "bind", "impersonate", "*"].includes(verb));
      expect([where, forbidden]).toEqual([where, []]);
      expect([where, rule.resources.includes("*")]).toEqual([where, false]);
      expect([where, rule.apiGroups.includes("*")]).toEqual([where, false]);
      expect(Object.keys(rule).sort()).toEqual(["apiGroups", "resources", "verbs"]); // no nonResourceURLs
      for (const resource of rule.resources.filter((name) => guarded.includes(name)))
        expect([where, resource, rule.verbs.filter((verb) => writes.includes(verb))]).toEqual([
          where,
          resource,
          [],
        ]);
      // Nothing that reaches beyond the namespace: namespaces, nodes, persistent volumes, CRDs.
      for (const resource of ["namespaces", "nodes", "persistentvolumes", "customresourcedefinitions"])
        expect([where, rule.resources.includes(resource)]).toEqual([where, false]);
    }
  });

  it("lets users read their quotas, limits, network policies and RBAC", () => {
    const rules = tenantRoleRules() as unknown as PolicyRule[];
    const canRead = (resource: string) =>
      rules.some(
        (rule) =>
          rule.resources.includes(resource) &&
          ["get", "list", "watch"].every((verb) => rule.verbs.includes(verb)),
      );
    for (const resource of [
      "resourcequotas",
      "limitranges",
      "networkpolicies",
      "roles",
      "rolebindings",
      "pods",
      "endpoints",
    ])
      expect([resource, canRead(resource)]).toEqual([resource, true]);
  });

  // Hand-written Endpoints could send a Service's traffic to another tenant's pods (CVE-2021-25740).
  it("lets users read endpoints but never write them", () => {
    const rules = tenantRoleRules() as unknown as PolicyRule[];
    const onEndpoints = rules.filter((rule) => rule.resources.includes("endpoints"));
    expect(onEndpoints).toEqual([
      {
        apiGroups: [""],
        resources: ["pods/log", "pods/status", "events", "resourcequotas", "limitranges", "endpoints"],
        verbs: ["get", "list", "watch"],
      },
    ]);
  });
});

describe("a tenant's network policies", () => {
  it("deny ingress by default in every namespace", () => {
    const model = buildTenant(tenantConfig());
    for (const namespace of model.namespaces) {
      expect(single(model, "NetworkPolicy", namespace, "default-deny-ingress").spec).toEqual({
        podSelector: {},
        policyTypes: ["Ingress"],
      });
    }
  });

  it("allow the tenant's own namespaces, traefik, monitoring and the namespaces it lists", () => {
    const model = buildTenant(tenantConfig({ allowFrom: ["billing", "team-x"] }));
    const byName = (name: string) => ({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
    });
    for (const namespace of model.namespaces) {
      expect(single(model, "NetworkPolicy", namespace, "allow-tenant-and-platform").spec).toEqual({
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { [TENANT_LABEL]: "shop" } } },
              byName("traefik"),
              byName("monitoring"),
              byName("billing"),
              byName("team-x"),
            ],
          },
        ],
      });
    }
  });

  it("select the tenant's namespaces by the label those namespaces carry", () => {
    const model = buildTenant(tenantConfig());
    const policy = single(model, "NetworkPolicy", "shop", "allow-tenant-and-platform").spec as {
      ingress: { from: { namespaceSelector: { matchLabels: Record<string, string> } }[] }[];
    };
    const selector = policy.ingress[0].from[0].namespaceSelector.matchLabels;
    for (const namespace of model.namespaceManifests)
      expect(namespace.metadata.labels).toMatchObject(selector);
  });
});

describe("a tenant's egress", () => {
  const DNS = {
    to: [
      {
        namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "kube-system" } },
        podSelector: { matchLabels: { "k8s-app": "kube-dns" } },
      },
    ],
    ports: [
      { protocol: "UDP", port: 53 },
      { protocol: "TCP", port: 53 },
    ],
  };
  const TENANTS = {
    to: [{ namespaceSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] } }],
  };
  const INTERNET = {
    to: [
      {
        ipBlock: {
          cidr: "0.0.0.0/0",
          except: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16"],
        },
      },
    ],
  };

  it("is restricted in every namespace: CoreDNS on 53, tenant namespaces, and the internet by default", () => {
    expect(tenantConfig().egressInternet).toBe(true);
    const model = buildTenant(tenantConfig({ allowFrom: ["billing"] }));
    for (const namespace of model.namespaces) {
      const policy = single(model, "NetworkPolicy", namespace, "tenant-egress");
      expect(policy.metadata.labels).toEqual({ ...MANAGED, [TENANT_LABEL]: "shop" });
      expect(policy.spec).toEqual({
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [DNS, TENANTS, INTERNET],
      });
      expect(() => validateAgainstSchema(policy)).not.toThrow();
    }
  });

  it("leaves out the internet when the tenant switches it off", () => {
    const model = buildTenant(tenantConfig({ egressInternet: false }));
    for (const namespace of model.namespaces)
      expect(single(model, "NetworkPolicy", namespace, "tenant-egress").spec).toEqual({
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [DNS, TENANTS],
      });
  });

  it("reaches a partner that lists the tenant in allowFrom, whose own ingress policy decides", () => {
    // payments lists shop: shop's pods connect to payments. Only payments' entry names the pair.
    const shop = buildTenant(tenantConfig());
    const payments = buildTenant(
      tenantConfig({ name: "payments", namespaces: ["payments"], allowFrom: ["shop"] }),
    );
    const egress = (single(shop, "NetworkPolicy", "shop", "tenant-egress").spec as { egress: unknown[] })
      .egress;
    const selector = TENANTS.to[0].namespaceSelector.matchExpressions[0];
    expect(egress).toContainEqual(TENANTS);
    // The partner's namespace carries the label the egress rule selects by...
    expect(Object.keys(payments.namespaceManifests[0].metadata.labels ?? {})).toContain(selector.key);
    // ...and its ingress admits the tenant's namespace.
    const ingress = single(payments, "NetworkPolicy", "payments", "allow-tenant-and-platform").spec as {
      ingress: { from: unknown[] }[];
    };
    expect(ingress.ingress[0].from).toContainEqual({
      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "shop" } },
    });
  });

  it("opens no platform namespace, node, pod or Service address: no other rule, and the internet excepts every private range", () => {
    const policy = single(buildTenant(tenantConfig()), "NetworkPolicy", "shop", "tenant-egress");
    const rules = (policy.spec as { egress: { to: Record<string, unknown>[] }[] }).egress;
    const peers = rules.flatMap((rule) => rule.to);
    // Every namespace-selecting peer is kube-system's CoreDNS or a tenant namespace.
    for (const peer of peers.filter((entry) => "namespaceSelector" in entry))
      expect([DNS.to[0], TENANTS.to[0]]).toContainEqual(peer);
    const blocks = peers.filter((entry) => "ipBlock" in entry);
    expect(blocks).toEqual(INTERNET.to);
  });

  it("is refused by the config rules when a cluster range lies outside the excepted ones", () => {
    // The shipped stacks' network, pod and service ranges all lie in 10.0.0.0/8.
    for (const stack of ["dev", "prod"] as const)
      expect(
        checkTenants(shippedConfig(stack)).filter((problem) => problem.path.includes("egressInternet")),
      ).toEqual([]);
    const config = structuredClone(shippedConfig("dev"));
    config.podCidr = "198.18.0.0/16";
    expect(checkTenants(config)).toContainEqual({
      path: ["tenants", 0, "egressInternet"],
      message: expect.stringContaining("podCidr 198.18.0.0/16 is outside the private ranges") as string,
    });
    for (const tenant of config.tenants) tenant.egressInternet = false;
    expect(checkTenants(config).filter((problem) => problem.path.includes("egressInternet"))).toEqual([]);
  });

  it("excepts the nodes' public addresses from the internet as well, given them, and changes nothing else", () => {
    const model = buildTenant(tenantConfig());
    const nodes = ["203.0.113.10/32", "203.0.113.11/32"];
    for (const object of model.objects) {
      const excepted = withNodesExcepted(object, nodes);
      if (object.kind !== "NetworkPolicy" || object.metadata.name !== "tenant-egress") {
        expect(excepted).toBe(object);
        continue;
      }
      expect(excepted.spec).toEqual({
        podSelector: {},
        policyTypes: ["Egress"],
        egress: [
          DNS,
          TENANTS,
          { to: [{ ipBlock: { cidr: "0.0.0.0/0", except: [...INTERNET.to[0].ipBlock.except, ...nodes] } }] },
        ],
      });
      expect(excepted.metadata).toEqual(object.metadata);
      expect(() => validateAgainstSchema(excepted)).not.toThrow();
      // The model's own object stays as it was: what a removed tenant keeps is compared against it.
      expect((object.spec as { egress: unknown[] }).egress[2]).toEqual(INTERNET);
    }
    // Without addresses (no public ones), or without internet egress, the policy is the model's.
    const policy = single(model, "NetworkPolicy", "shop", "tenant-egress");
    expect(withNodesExcepted(policy, [])).toBe(policy);
    const closed = single(
      buildTenant(tenantConfig({ egressInternet: false })),
      "NetworkPolicy",
      "shop",
      "tenant-egress",
    );
    expect(withNodesExcepted(closed, nodes).spec).toEqual(closed.spec);
  });

  it("opens no IPv6 destination, so the nodes' IPv6 networks need no entry", () => {
    const policy = withNodesExcepted(
      single(buildTenant(tenantConfig()), "NetworkPolicy", "shop", "tenant-egress"),
      ["203.0.113.10/32"],
    );
    const blocks = (
      policy.spec as { egress: { to: { ipBlock?: { cidr: string; except: string[] } }[] }[] }
    ).egress
      .flatMap((rule) => rule.to)
      .flatMap((peer) => (peer.ipBlock ? [peer.ipBlock] : []));
    expect(blocks.map((block) => block.cidr)).toEqual(["0.0.0.0/0"]);
    // Kubernetes takes only an `except` that lies within the block: IPv4, as the block is.
    for (const entry of blocks[0].except) expect(entry).toMatch(/^\d+\.\d+\.\d+\.\d+\/\d+$/);
  });

  it("stays with a kept namespace, like the ingress policies", () => {
    const model = buildTenant(tenantConfig());
    expect(model.retainedOnRemoval).toContainEqual(single(model, "NetworkPolicy", "shop", "tenant-egress"));
  });
});

describe("a tenant's objects as a whole", () => {
  const model = buildTenant(tenantConfig({ allowFrom: ["billing"], priorityClasses: ["low"] }));

  it("are exactly these, per namespace and for the users", () => {
    expect(
      model.objects.map((object) => `${object.kind} ${object.metadata.namespace}/${object.metadata.name}`),
    ).toEqual([
      ...["shop", "shop-staging"].flatMap((namespace) => [
        `ResourceQuota ${namespace}/tenant-quota`,
        `ResourceQuota ${namespace}/denied-priority-classes`,
        `LimitRange ${namespace}/tenant-limits`,
        `Role ${namespace}/tenant-workloads`,
        `RoleBinding ${namespace}/user-alice`,
        `RoleBinding ${namespace}/user-ci`,
        `NetworkPolicy ${namespace}/default-deny-ingress`,
        `NetworkPolicy ${namespace}/allow-tenant-and-platform`,
        `NetworkPolicy ${namespace}/tenant-egress`,
      ]),
      `ServiceAccount ${TENANT_USERS_NAMESPACE}/shop.alice`,
      `Secret ${TENANT_USERS_NAMESPACE}/shop.alice-token`,
      `ServiceAccount ${TENANT_USERS_NAMESPACE}/shop.ci`,
      `Secret ${TENANT_USERS_NAMESPACE}/shop.ci-token`,
    ]);
  });

  it("live in the tenant's namespaces, but the users' identities in the users' namespace; all carry its label; Namespaces are the only cluster-scoped objects", () => {
    const identities = model.users.flatMap((user) => [
      `ServiceAccount ${user.serviceAccount}`,
      `Secret ${user.tokenSecret}`,
    ]);
    for (const object of model.objects) {
      const what = `${object.kind} ${object.metadata.name}`;
      const expected = identities.includes(what) ? [TENANT_USERS_NAMESPACE] : model.namespaces;
      expect([what, expected.includes(object.metadata.namespace ?? "")]).toEqual([what, true]);
      expect(object.metadata.labels?.[TENANT_LABEL]).toBe("shop");
    }
    // Exactly the identities live in the users' namespace, and nothing of them in the tenant's.
    expect(
      model.objects
        .filter((object) => object.metadata.namespace === TENANT_USERS_NAMESPACE)
        .map((object) => `${object.kind} ${object.metadata.name}`),
    ).toEqual(identities);
    expect(model.namespaces).not.toContain(TENANT_USERS_NAMESPACE);
    expect(model.namespaceManifests.map((object) => [object.kind, object.metadata.namespace])).toEqual([
      ["Namespace", undefined],
      ["Namespace", undefined],
    ]);
  });

  it("match the official Kubernetes API schemas", () => {
    for (const object of [...model.namespaceManifests, ...model.objects])
      expect(() => validateAgainstSchema(object)).not.toThrow();
  });
});

describe("the users' namespace", () => {
  it("is tenant-users, restricted, and carries no tenant's label", () => {
    const namespace = tenantUsersNamespaceManifest();
    expect(TENANT_USERS_NAMESPACE).toBe("tenant-users");
    expect(namespace).toEqual({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: {
        name: TENANT_USERS_NAMESPACE,
        labels: {
          ...MANAGED,
          "pod-security.kubernetes.io/enforce": "restricted",
          "pod-security.kubernetes.io/audit": "restricted",
          "pod-security.kubernetes.io/warn": "restricted",
        },
      },
    });
    expect(() => validateAgainstSchema(namespace)).not.toThrow();
  });

  it("admits no connection to a pod there (it holds identities only)", () => {
    const policy = tenantUsersNetworkPolicy();
    expect(policy).toEqual({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "default-deny-ingress", namespace: TENANT_USERS_NAMESPACE, labels: MANAGED },
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    });
    expect(() => validateAgainstSchema(policy)).not.toThrow();
  });
});

describe("priority classes", () => {
  const classes = priorityClassManifests();

  it("are the four the tenant schema knows, highest first, 'default' the global default", () => {
    expect(classes.map((entry) => [entry.metadata.name, entry.value, entry.globalDefault])).toEqual([
      ["platform-critical", 1_000_000, false],
      ["high", 10_000, false],
      ["default", 1_000, true],
      ["low", 100, false],
    ]);
  });

  it("let low-priority work wait instead of preempting", () => {
    expect(classes.map((entry) => entry.preemptionPolicy)).toEqual([
      "PreemptLowerPriority",
      "PreemptLowerPriority",
      "PreemptLowerPriority",
      "Never",
    ]);
  });

  it("are cluster-scoped and match the API schema", () => {
    for (const entry of classes) {
      expect(entry.metadata.namespace).toBeUndefined();
      expect(() => validateAgainstSchema(entry)).not.toThrow();
    }
  });
});

interface Kubeconfig {
  apiVersion: string;
  kind: string;
  clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
  users: { name: string; user: { token: string } }[];
  contexts: { name: string; context: { cluster: string; user: string; namespace: string } }[];
  "current-context": string;
}

describe("tenant kubeconfigs", () => {
  const text = userKubeconfig({
    clusterName: "dev",
    server: "https://203.0.113.9:6443",
    certificateAuthorityData: "Q0EtREFUQQ==",
    user: "shop-alice",
    token: "eyJhbGciOi.token.value",
    namespaces: ["shop", "shop-staging"],
  });
  const kubeconfig = parse(text) as Kubeconfig;

  it("is a kubeconfig for the cluster with its CA", () => {
    expect(kubeconfig.apiVersion).toBe("v1");
    expect(kubeconfig.kind).toBe("Config");
    expect(kubeconfig.clusters).toEqual([
      {
        name: "dev",
        cluster: { server: "https://203.0.113.9:6443", "certificate-authority-data": "Q0EtREFUQQ==" },
      },
    ]);
  });

  it("carries the user's token", () => {
    expect(kubeconfig.users).toEqual([{ name: "shop-alice", user: { token: "eyJhbGciOi.token.value" } }]);
  });

  it("has a context per namespace, the first one current", () => {
    expect(kubeconfig.contexts).toEqual([
      { name: "dev-shop", context: { cluster: "dev", user: "shop-alice", namespace: "shop" } },
      {
        name: "dev-shop-staging",
        context: { cluster: "dev", user: "shop-alice", namespace: "shop-staging" },
      },
    ]);
    expect(kubeconfig["current-context"]).toBe("dev-shop");
  });

  it("takes the CA from the admin kubeconfig k3s writes, or nothing when it is not there", () => {
    const admin = [
      "apiVersion: v1",
      "clusters:",
      "- cluster:",
      "    certificate-authority-data: TFMwdExTMUNSVWQ=",
      "    server: https://127.0.0.1:6443",
      "  name: default",
      "kind: Config",
    ].join("\n");
    expect(certificateAuthorityOf(admin)).toBe("TFMwdExTMUNSVWQ=");
    expect(certificateAuthorityOf("")).toBe("");
    expect(certificateAuthorityOf("clusters: [")).toBe("");
    expect(certificateAuthorityOf("apiVersion: v1\nclusters: []\n")).toBe("");
  });
});

describe("a tenant's hostname policies", () => {
  const HOSTNAMES = ["shop.example.com", "*.shop.apps.example.com"];
  const model = buildTenant(tenantConfig({ hostnames: HOSTNAMES }));
  const policies = model.hostnamePolicies.filter((object) => object.kind === "ValidatingAdmissionPolicy");
  const bindings = model.hostnamePolicies.filter(
    (object) => object.kind === "ValidatingAdmissionPolicyBinding",
  );

  interface PolicySpec {
    failurePolicy: string;
    matchConstraints: {
      matchPolicy: string;
      namespaceSelector: object;
      resourceRules: {
        apiGroups: string[];
        apiVersions: string[];
        operations: string[];
        resources: string[];
      }[];
    };
    variables: { name: string; expression: string }[];
    validations: { expression: string; message: string; messageExpression?: string; reason: string }[];
  }
  const specOf = (kind: HostnamePolicyKind) =>
    policies.find((policy) => policy.metadata.name === hostnamePolicyName("shop", kind))?.spec as PolicySpec;
  const expressions = (kind: HostnamePolicyKind) =>
    specOf(kind).validations.flatMap((validation) => [
      validation.expression,
      validation.messageExpression ?? "",
    ]);

  it("are a policy and a binding per governed kind, cluster-scoped, named after tenant and kind", () => {
    expect(HOSTNAME_POLICY_KINDS).toEqual(["ingresses", "certificates"]);
    expect(model.hostnamePolicies.map((object) => `${object.kind} ${object.metadata.name}`)).toEqual([
      "ValidatingAdmissionPolicy tenant-ingresses.shop",
      "ValidatingAdmissionPolicyBinding tenant-ingresses.shop",
      "ValidatingAdmissionPolicy tenant-certificates.shop",
      "ValidatingAdmissionPolicyBinding tenant-certificates.shop",
    ]);
    for (const object of model.hostnamePolicies) {
      expect(object.apiVersion).toBe("admissionregistration.k8s.io/v1");
      expect(object.metadata.namespace).toBeUndefined();
      expect(object.metadata.labels).toEqual({ ...MANAGED, [TENANT_LABEL]: "shop" });
    }
  });

  it("match the official Kubernetes API schemas", () => {
    for (const policy of policies)
      expect(() => new ValidatingAdmissionPolicy(policy as never).validate()).not.toThrow();
    for (const binding of bindings)
      expect(() => new ValidatingAdmissionPolicyBinding(binding as never).validate()).not.toThrow();
  });

  it("fail closed, on create and update of v1 Ingresses and cert-manager Certificates in the tenant's namespaces", () => {
    const selector = { matchLabels: { [TENANT_LABEL]: "shop" } };
    expect(specOf("ingresses").failurePolicy).toBe("Fail");
    expect(specOf("certificates").failurePolicy).toBe("Fail");
    expect(specOf("ingresses").matchConstraints).toEqual({
      matchPolicy: "Equivalent",
      namespaceSelector: selector,
      resourceRules: [
        {
          apiGroups: ["networking.k8s.io"],
          apiVersions: ["v1"],
          operations: ["CREATE", "UPDATE"],
          resources: ["ingresses"],
        },
      ],
    });
    expect(specOf("certificates").matchConstraints.resourceRules).toEqual([
      {
        apiGroups: ["cert-manager.io"],
        apiVersions: ["v1"],
        operations: ["CREATE", "UPDATE"],
        resources: ["certificates"],
      },
    ]);
    expect(specOf("certificates").matchConstraints.namespaceSelector).toEqual(selector);
    // Each binding denies (not only warns or audits), in the tenant's namespaces alone.
    expect(bindings.map((binding) => binding.spec)).toEqual(
      HOSTNAME_POLICY_KINDS.map((kind) => ({
        policyName: hostnamePolicyName("shop", kind),
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: selector },
      })),
    );
  });

  it("write the tenant's hostname list once, the same for both kinds, and every check reads it from there", () => {
    for (const kind of HOSTNAME_POLICY_KINDS) {
      const variables = specOf(kind).variables;
      expect(variables).toEqual(hostnameVariables(tenantConfig({ hostnames: HOSTNAMES })));
      expect(variables[0].name).toBe("hostnames");
      expect(JSON.parse(variables[0].expression)).toEqual(HOSTNAMES);
      // No hostname is written anywhere else in the policy.
      const elsewhere = JSON.stringify({ ...specOf(kind), variables: variables.slice(1) });
      for (const hostname of HOSTNAMES) expect(elsewhere).not.toContain(hostname.replace("*.", ""));
    }
    expect(buildTenant(tenantConfig()).hostnamePolicies[0].spec).toMatchObject({
      variables: expect.arrayContaining([{ name: "hostnames", expression: "[]" }]) as unknown,
    });
  });

  it("test every name of a Certificate against the list: dnsNames and commonName", () => {
    const all = expressions("certificates");
    expect(all).toContain(
      `!has(object.spec.dnsNames) || object.spec.dnsNames.all(n, ${celWithinHostnames("n")})`,
    );
    expect(all).toContain(`!has(object.spec.commonName) || ${celWithinHostnames("object.spec.commonName")}`);
    expect(celWithinHostnames("n")).toBe(
      "(n in variables.hostnames || variables.zones.exists(z, n.endsWith(z) && size(n) > size(z) && " +
        "!n.substring(0, size(n) - size(z)).contains('.')))",
    );
    expect(specOf("certificates").variables[1]).toEqual({
      name: "zones",
      expression: "variables.hostnames.filter(p, p.startsWith('*.')).map(p, p.substring(1))",
    });
  });

  it("refuse Certificates naming anything else, and CA certificates", () => {
    const all = expressions("certificates").join("\n");
    for (const field of ["ipAddresses", "uris", "emailAddresses", "otherNames", "literalSubject"])
      expect(all).toContain(`!has(object.spec.${field})`);
    expect(all).toContain("!object.spec.isCA");
    expect(all).toContain("u == 'cert sign'");
  });

  it("test every Ingress host and TLS host against the list, and refuse catch-alls", () => {
    const all = expressions("ingresses");
    expect(all.join("\n")).toContain(`r.host) || ${celWithinHostnames("r.host")}`);
    expect(all.join("\n")).toContain(`t.hosts.all(h, ${celWithinHostnames("h")})`);
    expect(all).toContain("!has(object.spec) || !has(object.spec.defaultBackend)");
    expect(all).toContain(
      "!has(object.spec) || !has(object.spec.rules) || object.spec.rules.all(r, has(r.host) && r.host != '')",
    );
    expect(all).toContain(
      "!has(object.spec) || !has(object.spec.tls) || object.spec.tls.all(t, has(t.hosts) && size(t.hosts) > 0)",
    );
  });

  it("name the tenant in every message", () => {
    for (const kind of HOSTNAME_POLICY_KINDS)
      for (const validation of specOf(kind).validations) {
        expect(validation.message.startsWith("tenant shop: ")).toBe(true);
        if (validation.messageExpression)
          expect(validation.messageExpression.startsWith("'tenant shop: ' + ")).toBe(true);
        expect(validation.reason).toBe("Forbidden");
      }
  });

  it("go with the tenant: neither among the namespaced objects nor kept on removal", () => {
    for (const object of model.hostnamePolicies) {
      expect(model.objects).not.toContain(object);
      expect(model.retainedOnRemoval).not.toContain(object);
    }
  });
});
