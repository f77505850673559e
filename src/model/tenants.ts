import { PRIORITY_CLASSES, tenantNamespaces, type TenantConfig } from "../config/tenantSchema";
import type { INamespace } from "kubernetes-models/v1/Namespace";
import type { ILimitRange } from "kubernetes-models/v1/LimitRange";
import type { IResourceQuota } from "kubernetes-models/v1/ResourceQuota";
import type { ISecret } from "kubernetes-models/v1/Secret";
import type { IServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import type { IValidatingAdmissionPolicy } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicy";
import type { IValidatingAdmissionPolicyBinding } from "kubernetes-models/admissionregistration.k8s.io/v1/ValidatingAdmissionPolicyBinding";
import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { IPolicyRule } from "kubernetes-models/rbac.authorization.k8s.io/v1/PolicyRule";
import type { IRole } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import type { IRoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";
import type { IPriorityClass } from "kubernetes-models/scheduling.k8s.io/v1/PriorityClass";
import { manifestOf, metadata, namespaceManifest, podSecurityLabels, type Manifest } from "./platform/common";
import { tenantReportRules } from "./platform/imageScanning";
import { MONITORING_NAMESPACE } from "./platform/monitoring";
import { defaultDenyIngress } from "./platform/policyBuilders";
import { NON_INTERNET_RANGES, TENANT_LABEL } from "../names";

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
  /**
   * The admission policies that hold the tenant's Ingresses and Certificates to its hostnames, with their
   * bindings to the tenant's namespaces (hostnamePolicyManifests). Cluster-scoped, so not among objects;
   * they go with the tenant, whose users go with it.
   */
  hostnamePolicies: Manifest[];
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

/**
 * No pod belongs in the users' namespace (it holds identities only); should one ever run there, nothing
 * connects to it.
 */
export function tenantUsersNetworkPolicy(): Manifest {
  return defaultDenyIngress(TENANT_USERS_NAMESPACE);
}

/** Cluster-wide priority classes, created once; tenants may use those their entry allows. */
export function priorityClassManifests(): Manifest[] {
  const values: Record<(typeof PRIORITY_CLASSES)[number], number> = {
    "platform-critical": 1_000_000,
    high: 10_000,
    default: 1_000,
    low: 100,
  };
  return PRIORITY_CLASSES.map((name) =>
    manifestOf<IPriorityClass>({
      apiVersion: "scheduling.k8s.io/v1",
      kind: "PriorityClass",
      metadata: metadata(name),
      value: values[name],
      globalDefault: name === "default",
      // Low-priority work waits for room instead of evicting others.
      preemptionPolicy: name === "low" ? "Never" : "PreemptLowerPriority",
      description: `hetzner-k8s priority class "${name}"`,
    }),
  );
}

function quota(tenant: TenantConfig, namespace: string): Manifest {
  const q = tenant.quota;
  return manifestOf<IResourceQuota>({
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
  });
}

/**
 * A quota of zero pods for every priority class but those the tenant may use: Kubernetes' own
 * system-node-critical and system-cluster-critical (which outrank every class of ours) and any class
 * created later (by a chart, say) are denied as well as ours. The Priority admission
 * plugin fills in the default class before quota admission, so a pod without a class counts as "default".
 */
function priorityClassQuota(tenant: TenantConfig, namespace: string): Manifest {
  const allowed = tenant.priorityClasses;
  return manifestOf<IResourceQuota>({
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
  });
}

function limitRange(tenant: TenantConfig, namespace: string): Manifest {
  const l = tenant.limits;
  return manifestOf<ILimitRange>({
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
  });
}

const ALL_VERBS = ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"];
const READ = ["get", "list", "watch"];

/**
 * What tenant users may do inside their namespaces: run and operate workloads. Quotas, limit ranges,
 * network policies, roles and bindings are read-only to them, and nothing grants escalate, bind or
 * impersonate.
 */
export function tenantRoleRules(options: TenantRbacOptions = {}): IPolicyRule[] {
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
    // With image scanning, the Trivy operator's reports on the namespace's workloads, read-only.
    ...(options.imageScanning ? tenantReportRules() : []),
  ];
}

/** What the cluster adds to every tenant's Role. */
export interface TenantRbacOptions {
  /** imageScanningEnabled: read the scan reports of the tenant's namespaces (model/platform/imageScanning.ts). */
  imageScanning?: boolean;
}

function networkPolicies(tenant: TenantConfig, namespace: string): Manifest[] {
  const byName = (name: string) => ({
    namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
  });
  return [
    manifestOf<INetworkPolicy>({
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: metadata("default-deny-ingress", namespace, { [TENANT_LABEL]: tenant.name }),
      spec: { podSelector: {}, policyTypes: ["Ingress"] },
    }),
    manifestOf<INetworkPolicy>({
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
    }),
  ];
}

/** What a tenant's hostnames govern: one admission policy (and binding) per kind, named after both. */
export const HOSTNAME_POLICY_KINDS = ["ingresses", "certificates"] as const;
export type HostnamePolicyKind = (typeof HOSTNAME_POLICY_KINDS)[number];

/** Name of a tenant's policy for a kind and of its binding; a dot cannot occur in a tenant's name. */
export function hostnamePolicyName(tenant: string, kind: HostnamePolicyKind): string {
  return `tenant-${kind}.${tenant}`;
}

/**
 * CEL: whether the string `host` is one of the tenant's hostnames (variables.hostnames), or sits one label
 * under one of its wildcards (variables.zones), as an Ingress or TLS wildcard matches. No case folding:
 * an upper-case name is refused, never widened.
 */
export function celWithinHostnames(host: string): string {
  return (
    `(${host} in variables.hostnames || variables.zones.exists(z, ${host}.endsWith(z) && ` +
    `size(${host}) > size(z) && !${host}.substring(0, size(${host}) - size(z)).contains('.')))`
  );
}

/** The variables both of a tenant's policies start from: its hostname list, written once. */
export function hostnameVariables(tenant: TenantConfig): { name: string; expression: string }[] {
  return [
    { name: "hostnames", expression: JSON.stringify(tenant.hostnames ?? []) },
    // ".example.com" for "*.example.com": what a name one label under the wildcard ends with.
    { name: "zones", expression: "variables.hostnames.filter(p, p.startsWith('*.')).map(p, p.substring(1))" },
    {
      name: "listed",
      expression: "size(variables.hostnames) == 0 ? 'none' : variables.hostnames.join(', ')",
    },
  ];
}

interface PolicyValidation {
  expression: string;
  message: string;
  messageExpression?: string;
  reason: "Forbidden";
}

function refusal(tenant: string) {
  return (expression: string, message: string, messageExpression?: string): PolicyValidation => ({
    expression,
    message: `tenant ${tenant}: ${message}`,
    ...(messageExpression && { messageExpression: `'tenant ${tenant}: ' + ${messageExpression}` }),
    reason: "Forbidden",
  });
}

const OUTSIDE = "': not one of its hostnames (' + variables.listed + ')'";

function ingressValidations(tenant: string): PolicyValidation[] {
  const within = celWithinHostnames;
  const refuse = refusal(tenant);
  const spec = (check: string) => `!has(object.spec) || ${check}`;
  return [
    // Without a host, a rule or the default backend answers for every hostname, the platform's included.
    refuse(
      spec("!has(object.spec.defaultBackend)"),
      "an Ingress may not set spec.defaultBackend, which serves every hostname",
    ),
    refuse(
      spec("!has(object.spec.rules) || object.spec.rules.all(r, has(r.host) && r.host != '')"),
      "every rule of an Ingress needs a host (a rule without one serves every hostname)",
    ),
    refuse(
      spec(`!has(object.spec.rules) || object.spec.rules.all(r, !has(r.host) || ${within("r.host")})`),
      "an Ingress host is not one of the tenant's hostnames",
      `'Ingress host ' + object.spec.rules.filter(r, has(r.host) && !${within("r.host")})` +
        `.map(r, r.host).join(', ') + ${OUTSIDE}`,
    ),
    refuse(
      spec("!has(object.spec.tls) || object.spec.tls.all(t, has(t.hosts) && size(t.hosts) > 0)"),
      "every spec.tls entry of an Ingress must list its hosts (one without hosts stands for every hostname)",
    ),
    refuse(
      spec(
        `!has(object.spec.tls) || object.spec.tls.all(t, !has(t.hosts) || t.hosts.all(h, ${within("h")}))`,
      ),
      "an Ingress TLS host is not one of the tenant's hostnames",
      `'Ingress TLS host ' + object.spec.tls.filter(t, has(t.hosts)).map(t, t.hosts.filter(h, !${within("h")})` +
        `.join(', ')).filter(s, s != '').join(', ') + ${OUTSIDE}`,
    ),
  ];
}

function certificateValidations(tenant: string): PolicyValidation[] {
  const within = celWithinHostnames;
  const refuse = refusal(tenant);
  const none = (field: string) => `(!has(object.spec.${field}) || size(object.spec.${field}) == 0)`;
  return [
    refuse(
      `!has(object.spec.dnsNames) || object.spec.dnsNames.all(n, ${within("n")})`,
      "a Certificate's dnsNames must be the tenant's hostnames",
      `'Certificate dnsNames ' + object.spec.dnsNames.filter(n, !${within("n")}).join(', ') + ${OUTSIDE}`,
    ),
    refuse(
      `!has(object.spec.commonName) || ${within("object.spec.commonName")}`,
      "a Certificate's commonName must be one of the tenant's hostnames",
      `'Certificate commonName ' + object.spec.commonName + ${OUTSIDE}`,
    ),
    // Names the hostname list does not govern, and a subject written out whole (its CN is any name).
    refuse(
      [
        none("ipAddresses"),
        none("uris"),
        none("emailAddresses"),
        none("otherNames"),
        "(!has(object.spec.literalSubject) || object.spec.literalSubject == '')",
      ].join(" && "),
      "a Certificate may name hostnames only (no ipAddresses, uris, emailAddresses, otherNames or literalSubject)",
    ),
    // A CA certificate from the cluster's issuer would sign any name it liked.
    refuse(
      "(!has(object.spec.isCA) || !object.spec.isCA) && " +
        "(!has(object.spec.usages) || !object.spec.usages.exists(u, u == 'cert sign' || u == 'crl sign'))",
      "a Certificate may not be a CA or sign certificates",
    ),
  ];
}

const GOVERNED: Record<
  HostnamePolicyKind,
  { apiGroup: string; validations: (tenant: string) => PolicyValidation[] }
> = {
  ingresses: { apiGroup: "networking.k8s.io", validations: ingressValidations },
  certificates: { apiGroup: "cert-manager.io", validations: certificateValidations },
};

/**
 * The tenant's hostnames, enforced by the API server itself: for Ingresses and for cert-manager
 * Certificates, a ValidatingAdmissionPolicy with the list written into it, bound to the namespaces that
 * carry the tenant's label (tenants cannot label namespaces). On create and update they refuse an Ingress
 * with a host outside the list or none at all (a catch-all), and a Certificate for any other name or a
 * CA: the cluster CA issuer has no name constraints, and users are told to trust it. One policy per kind,
 * so the API server type-checks each against its own schema. The Certificate policy matches by group and
 * resource, so it stands before cert-manager's definition exists. Failing closed: an error in evaluation
 * refuses. Status subresources are not matched, so controllers updating them are never in the way.
 */
export function hostnamePolicyManifests(tenant: TenantConfig): Manifest[] {
  const labels = { [TENANT_LABEL]: tenant.name };
  const namespaceSelector = { matchLabels: labels };
  return HOSTNAME_POLICY_KINDS.flatMap((kind): Manifest[] => {
    const name = hostnamePolicyName(tenant.name, kind);
    const { apiGroup, validations } = GOVERNED[kind];
    return [
      manifestOf<IValidatingAdmissionPolicy>({
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicy",
        metadata: metadata(name, undefined, labels),
        spec: {
          failurePolicy: "Fail",
          matchConstraints: {
            // A request in another version is converted to v1 before the policy sees it.
            matchPolicy: "Equivalent",
            namespaceSelector,
            resourceRules: [
              {
                apiGroups: [apiGroup],
                apiVersions: ["v1"],
                operations: ["CREATE", "UPDATE"],
                resources: [kind],
              },
            ],
          },
          variables: hostnameVariables(tenant),
          validations: validations(tenant.name),
        },
      }),
      manifestOf<IValidatingAdmissionPolicyBinding>({
        apiVersion: "admissionregistration.k8s.io/v1",
        kind: "ValidatingAdmissionPolicyBinding",
        metadata: metadata(name, undefined, labels),
        spec: { policyName: name, validationActions: ["Deny"], matchResources: { namespaceSelector } },
      }),
    ];
  });
}

/** The `cidr` of the internet rule of a tenant's egress policy: IPv4 only, as every pod address is. */
export const INTERNET_CIDR = "0.0.0.0/0";

/** k3s's CoreDNS: the pods behind the kube-dns Service in kube-system. */
export const CLUSTER_DNS = { namespace: "kube-system", podLabels: { "k8s-app": "kube-dns" } };

/**
 * Where the tenant's pods may open connections; replies to connections made to them need no rule.
 * - DNS: CoreDNS only, on 53 (UDP, and TCP for large answers); nothing else of kube-system.
 * - Every tenant namespace, its own and others': `allowFrom` names who may connect *to* a tenant, so
 *   the egress a partner needs is the partner's own, towards the tenant that listed it. A tenant's
 *   model knows only its own entry, so its egress admits every tenant namespace and the receiving
 *   tenant's ingress policies (default deny, then its own namespaces, the platform's clients and its
 *   `allowFrom`) decide, exactly as before. Requiring the partner to list the tenant back would make
 *   `allowFrom` mutual and silently break one-way pairs.
 * - Not the platform's namespaces, the nodes or the API server: tenants run kubectl from outside, and
 *   their pods' service account tokens are granted nothing. The `kubernetes` Service leads to the
 *   servers' private addresses, which no rule admits.
 * - The internet only with `egressInternet`.
 */
function egressPolicy(tenant: TenantConfig, namespace: string): Manifest {
  return manifestOf<INetworkPolicy>({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata("tenant-egress", namespace, { [TENANT_LABEL]: tenant.name }),
    spec: {
      podSelector: {},
      policyTypes: ["Egress"],
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": CLUSTER_DNS.namespace } },
              podSelector: { matchLabels: CLUSTER_DNS.podLabels },
            },
          ],
          ports: [
            { protocol: "UDP", port: 53 },
            { protocol: "TCP", port: 53 },
          ],
        },
        { to: [{ namespaceSelector: { matchExpressions: [{ key: TENANT_LABEL, operator: "Exists" }] } }] },
        ...(tenant.egressInternet
          ? [{ to: [{ ipBlock: { cidr: INTERNET_CIDR, except: NON_INTERNET_RANGES } }] }]
          : []),
      ],
    },
  });
}

/**
 * A tenant object with the nodes' public addresses (`<IPv4>/32` each) excepted from the internet rule of
 * its egress policy as well; any other object as it is. Without them a tenant pod reaches every port its
 * own node listens on through the node's public address (kubelet, node-exporter, kube-proxy's metrics:
 * the Hetzner firewall filters what reaches a public interface, not what a pod sends its own node), and
 * the other nodes' as far as their firewall admits. Only the cloud knows the addresses, so the model is
 * generic in them: the program passes the servers' outputs, tests pass strings, and the offline plan
 * shows them as known after apply. The nodes' IPv6 networks need no entry: pods have IPv4 addresses only
 * (the pod range is IPv4, a config rule checks), the rule opens no IPv6 destination at all, and an IPv6
 * entry in an IPv4 block is invalid (Kubernetes requires each `except` to lie within `cidr`).
 */
export function withNodesExcepted<T>(manifest: Manifest, nodeCidrs: readonly T[]): Manifest {
  if (
    manifest.kind !== "NetworkPolicy" ||
    manifest.metadata.name !== "tenant-egress" ||
    nodeCidrs.length === 0
  )
    return manifest;
  type Peer = { ipBlock?: { cidr: string; except?: unknown[] } };
  const spec = manifest.spec as { egress: { to: Peer[] }[] };
  const egress = spec.egress.map((rule) => ({
    ...rule,
    to: rule.to.map((peer) =>
      peer.ipBlock?.cidr === INTERNET_CIDR
        ? { ...peer, ipBlock: { ...peer.ipBlock, except: [...(peer.ipBlock.except ?? []), ...nodeCidrs] } }
        : peer,
    ),
  }));
  return { ...manifest, spec: { ...spec, egress } };
}

export function buildTenant(tenant: TenantConfig, rbac: TenantRbacOptions = {}): TenantModel {
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
    manifestOf<IRole>({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "Role",
      metadata: metadata(TENANT_ROLE, namespace, labels),
      rules: tenantRoleRules(rbac),
    }),
    ...users.map((user) =>
      manifestOf<IRoleBinding>({
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: metadata(`user-${user.name}`, namespace, labels),
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: TENANT_ROLE },
        subjects: [{ kind: "ServiceAccount", name: user.serviceAccount, namespace: user.identityNamespace }],
      }),
    ),
    ...networkPolicies(tenant, namespace),
    egressPolicy(tenant, namespace),
  ]);
  const identities = users.flatMap((user): Manifest[] => [
    manifestOf<IServiceAccount>({
      apiVersion: "v1",
      kind: "ServiceAccount",
      metadata: metadata(user.serviceAccount, user.identityNamespace, labels),
      automountServiceAccountToken: false,
    }),
    manifestOf<ISecret>({
      apiVersion: "v1",
      kind: "Secret",
      metadata: {
        ...metadata(user.tokenSecret, user.identityNamespace, labels),
        annotations: { "kubernetes.io/service-account.name": user.serviceAccount },
      },
      type: "kubernetes.io/service-account-token",
    }),
  ]);
  const namespaceManifests = namespaces.map((namespace) =>
    manifestOf<INamespace>({
      apiVersion: "v1",
      kind: "Namespace",
      metadata: metadata(namespace, undefined, { ...labels, ...podSecurityLabels(tenant.podSecurity) }),
    }),
  );
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
    hostnamePolicies: hostnamePolicyManifests(tenant),
    users,
    allowDeletion: tenant.allowDeletion,
  };
}
