import { PRIORITY_CLASSES, type TenantConfig } from "../config/tenantSchema";
import { metadata, namespaceManifest, podSecurityLabels, type Manifest } from "./platform/common";
import { MONITORING_NAMESPACE } from "./platform/monitoring";
import { TENANT_LABEL } from "./platform/releases";
import { tenantNamespaces } from "./pool";

/**
 * Kubernetes objects of a tenant: namespaces with Pod Security labels, quotas, limits, RBAC that stays
 * inside the tenant's namespaces, one ServiceAccount identity per user, and network isolation.
 * Pure: each tenant's objects depend on that tenant's entry alone.
 */

export const TENANT_ROLE = "tenant-workloads";
/**
 * Users' ServiceAccounts and token Secrets live here, outside every tenant's reach: a tenant that could
 * read them could use another user's token, and one that could create Secrets or pods beside its own
 * ServiceAccount could mint tokens for itself that outlive a revocation.
 */
export const TENANT_USERS_NAMESPACE = "tenant-users";
/**
 * Node ports that each granted load balancer brings: Kubernetes gives a LoadBalancer Service a node port
 * per port it serves, counted by `services.nodeports`, and the Hetzner cloud controller forwards to them.
 * Five covers HTTP, HTTPS and a few more ports per load balancer.
 */
export const NODE_PORTS_PER_LOAD_BALANCER = 5;

/** Namespaces whose pods may always reach tenant pods: the ingress controller and Prometheus. */
export const PLATFORM_CLIENT_NAMESPACES = ["traefik", MONITORING_NAMESPACE];

export interface TenantUser {
  tenant: string;
  name: string;
  /** Namespace of the user's ServiceAccount and token Secret (TENANT_USERS_NAMESPACE). */
  identityNamespace: string;
  serviceAccount: string;
  tokenSecret: string;
  namespaces: string[];
}

export interface TenantModel {
  name: string;
  namespaces: string[];
  /** Namespace objects. */
  namespaceManifests: Manifest[];
  /** Everything inside the namespaces, and the users' identities in TENANT_USERS_NAMESPACE. */
  objects: Manifest[];
  /**
   * What stays in the cluster when the tenant (or one of its namespaces) leaves the stack: some of the
   * very objects of namespaceManifests and objects, which the component creates with retainOnDelete.
   * None with allowDeletion; otherwise the namespaces and what keeps them locked down (KEPT_KINDS).
   */
  retainedOnRemoval: Manifest[];
  users: TenantUser[];
  allowDeletion: boolean;
}

/**
 * What a kept namespace keeps of its tenant, because its workloads outlive the tenant and their
 * controllers keep creating pods, claims and jobs:
 * - NetworkPolicies: without them every pod of the cluster reaches the kept pods. Both stay, so the
 *   namespace is reachable from exactly where it was before, no more and no less.
 * - ResourceQuotas: without them a Deployment, StatefulSet or HPA the tenant left behind could scale
 *   beyond its quota, claim volumes it was refused, and run pods at the priority classes it was
 *   refused (Kubernetes' system-* ones included, which preempt the platform); those pods were only
 *   waiting for the quota to go.
 * - LimitRanges: their maxima cap each container as before, and their defaults give containers
 *   without resources the requests the quota needs to admit them.
 * Not kept, so that the users' access ends: the Role and its RoleBindings (a binding would authorize
 * the user again the moment anyone re-creates an account of the same name), and the users'
 * ServiceAccounts and token Secrets in TENANT_USERS_NAMESPACE, whose deletion invalidates every token
 * of theirs, minted ones included; a kept account would still authenticate (as a member of the
 * system:serviceaccounts groups) with no tenant left to own it.
 */
export const KEPT_KINDS = ["NetworkPolicy", "ResourceQuota", "LimitRange"];

/** The namespace of every tenant user's identity, readable by cluster admins only. */
export function tenantUsersNamespaceManifest(): Manifest {
  return namespaceManifest(TENANT_USERS_NAMESPACE, podSecurityLabels("restricted"));
}

/** Cluster-wide priority classes, created once; tenants may use those their entry allows. */
export function priorityClassManifests(): Manifest[] {
  const values: Record<(typeof PRIORITY_CLASSES)[number], number> = {
    "platform-critical": 1_000_000,
    high: 10_000,
    default: 1_000,
    low: 100,
  };
  return PRIORITY_CLASSES.map((name) => ({
    apiVersion: "scheduling.k8s.io/v1",
    kind: "PriorityClass",
    metadata: metadata(name),
    value: values[name],
    globalDefault: name === "default",
    // Low-priority work waits for room instead of evicting others.
    preemptionPolicy: name === "low" ? "Never" : "PreemptLowerPriority",
    description: `hetzner-k8s priority class "${name}"`,
  }));
}

function quota(tenant: TenantConfig, namespace: string): Manifest {
  const q = tenant.quota;
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: metadata("tenant-quota", namespace, { [TENANT_LABEL]: tenant.name }),
    spec: {
      hard: {
        "requests.cpu": q.requestsCpu,
        "requests.memory": q.requestsMemory,
        "limits.cpu": q.limitsCpu,
        "limits.memory": q.limitsMemory,
        "requests.storage": q.storage,
        persistentvolumeclaims: String(q.persistentVolumeClaims),
        pods: String(q.pods),
        services: String(q.services),
        "services.loadbalancers": String(q.loadBalancers),
        "services.nodeports": String(q.nodePorts + q.loadBalancers * NODE_PORTS_PER_LOAD_BALANCER),
      },
    },
  };
}

/**
 * A quota of zero pods for every priority class but those the tenant may use: Kubernetes' own
 * system-node-critical and system-cluster-critical (which outrank every class of ours) and any class
 * created later (by a chart, say) are denied as well as ours. The Priority admission
 * plugin fills in the default class before quota admission, so a pod without a class counts as "default".
 */
function priorityClassQuota(tenant: TenantConfig, namespace: string): Manifest {
  const allowed = tenant.priorityClasses;
  return {
    apiVersion: "v1",
    kind: "ResourceQuota",
    metadata: metadata("denied-priority-classes", namespace, { [TENANT_LABEL]: tenant.name }),
    spec: {
      hard: { pods: "0" },
      scopeSelector: {
        matchExpressions: [
          allowed.length > 0
            ? { scopeName: "PriorityClass", operator: "NotIn", values: allowed }
            : { scopeName: "PriorityClass", operator: "Exists" },
        ],
      },
    },
  };
}

function limitRange(tenant: TenantConfig, namespace: string): Manifest {
  const l = tenant.limits;
  return {
    apiVersion: "v1",
    kind: "LimitRange",
    metadata: metadata("tenant-limits", namespace, { [TENANT_LABEL]: tenant.name }),
    spec: {
      limits: [
        {
          type: "Container",
          defaultRequest: { cpu: l.defaultRequestCpu, memory: l.defaultRequestMemory },
          default: { cpu: l.defaultLimitCpu, memory: l.defaultLimitMemory },
          max: { cpu: l.maxCpu, memory: l.maxMemory },
        },
      ],
    },
  };
}

const ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const READ = ["get", "list", "watch"];

/**
 * What tenant users may do inside their namespaces: run and operate workloads. Quotas, limit ranges,
 * network policies, roles and bindings are read-only to them, and nothing grants escalate, bind or
 * impersonate.
 */
export function tenantRoleRules(): Record<string, unknown>[] {
  return [
    {
      apiGroups: [""],
      resources: ["pods", "services", "configmaps", "secrets", "persistentvolumeclaims", "serviceaccounts"],
      verbs: ALL_VERBS,
    },
    {
      apiGroups: [""],
      // Hand-written endpoints could point a Service (and the ingress in front of it) at another
      // tenant's pods (CVE-2021-25740): read-only, as upstream's edit role has it since 1.22.
      resources: ["pods/log", "pods/status", "events", "resourcequotas", "limitranges", "endpoints"],
      verbs: READ,
    },
    {
      apiGroups: [""],
      resources: ["pods/exec", "pods/portforward", "pods/attach"],
      verbs: ["get", "create"],
    },
    {
      apiGroups: ["apps"],
      resources: ["deployments", "statefulsets", "replicasets", "daemonsets"],
      verbs: ALL_VERBS,
    },
    {
      apiGroups: ["apps"],
      resources: ["deployments/scale", "statefulsets/scale"],
      verbs: ["get", "update", "patch"],
    },
    { apiGroups: ["batch"], resources: ["jobs", "cronjobs"], verbs: ALL_VERBS },
    { apiGroups: ["autoscaling"], resources: ["horizontalpodautoscalers"], verbs: ALL_VERBS },
    { apiGroups: ["policy"], resources: ["poddisruptionbudgets"], verbs: ALL_VERBS },
    { apiGroups: ["networking.k8s.io"], resources: ["ingresses"], verbs: ALL_VERBS },
    { apiGroups: ["networking.k8s.io"], resources: ["networkpolicies"], verbs: READ },
    { apiGroups: ["cert-manager.io"], resources: ["certificates"], verbs: ALL_VERBS },
    { apiGroups: ["rbac.authorization.k8s.io"], resources: ["roles", "rolebindings"], verbs: READ },
  ];
}

function networkPolicies(tenant: TenantConfig, namespace: string): Manifest[] {
  const byName = (name: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
  });
  return [
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("default-deny-ingress", namespace, { [TENANT_LABEL]: tenant.name }),
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    },
    {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("allow-tenant-and-platform", namespace, { [TENANT_LABEL]: tenant.name }),
      spec: {
        podSelector: {},
        policyTypes: ["Ingress"],
        ingress: [
          {
            from: [
              { namespaceSelector: { matchLabels: { [TENANT_LABEL]: tenant.name } } },
              ...PLATFORM_CLIENT_NAMESPACES.map(byName),
              ...tenant.allowFrom.map(byName),
            ],
          },
        ],
      },
    },
  ];
}

export function buildTenant(tenant: TenantConfig): TenantModel {
  const namespaces = tenantNamespaces(tenant);
  // A dot cannot occur in a tenant or user name, so `<tenant>.<user>` names no other tenant's user.
  const users: TenantUser[] = tenant.users.map((name) => ({
    tenant: tenant.name,
    name,
    identityNamespace: TENANT_USERS_NAMESPACE,
    serviceAccount: `${tenant.name}.${name}`,
    tokenSecret: `${tenant.name}.${name}-token`,
    namespaces,
  }));
  const labels = { [TENANT_LABEL]: tenant.name };
  const perNamespace = namespaces.flatMap((namespace) => [
    quota(tenant, namespace),
    priorityClassQuota(tenant, namespace),
    limitRange(tenant, namespace),
    {
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata(TENANT_ROLE, namespace, labels),
      rules: tenantRoleRules(),
    },
    ...users.map((user) => ({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "RoleBinding",
      metadata: metadata(`user-${user.name}`, namespace, labels),
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: TENANT_ROLE },
      subjects: [{ kind: "ServiceAccount", name: user.serviceAccount, namespace: user.identityNamespace }],
    })),
    ...networkPolicies(tenant, namespace),
  ]);
  const identities = users.flatMap((user): Manifest[] => [
    {
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: metadata(user.serviceAccount, user.identityNamespace, labels),
      automountServiceAccountToken: false,
    },
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        ...metadata(user.tokenSecret, user.identityNamespace, labels),
        annotations: { "kubernetes.io/service-account.name": user.serviceAccount },
      },
      type: "kubernetes.io/service-account-token",
    },
  ]);
  const namespaceManifests = namespaces.map((namespace) => ({
    apiVersion: "v1",
    kind: "Namespace",
    metadata: metadata(namespace, undefined, { ...labels, ...podSecurityLabels(tenant.podSecurity) }),
  }));
  return {
    name: tenant.name,
    namespaces,
    namespaceManifests,
    objects: [...perNamespace, ...identities],
    // A namespace holds the tenant's data: it stays unless deletion was allowed, and its guard rails
    // stay with it until it is deleted.
    retainedOnRemoval: tenant.allowDeletion
      ? []
      : [...namespaceManifests, ...perNamespace.filter((object) => KEPT_KINDS.includes(object.kind))],
    users,
    allowDeletion: tenant.allowDeletion,
  };
}
