import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { certificateAuthorityOf, userKubeconfig } from "../model/kubeconfig";
import {
  priorityClassManifests,
  TENANT_USERS_NAMESPACE,
  tenantUsersNamespaceManifest,
  tenantUsersNetworkPolicy,
  withNodesExcepted,
  type TenantModel,
} from "../model/tenants";
import type { Manifest } from "../model/platform/common";
import { createManifest, manifestResourceName } from "../kubernetes/manifests";
import { entryOf } from "../lookup";

export interface TenantsArgs {
  clusterName: string;
  tenants: TenantModel[];
  provider: k8s.Provider;
  /** Admin kubeconfig, for the cluster CA that tenant kubeconfigs carry (secret). */
  adminKubeconfig: pulumi.Input<string>;
  /** API address written into tenant kubeconfigs. */
  apiServerUrl: pulumi.Input<string>;
  /**
   * The nodes' public IPv4 addresses, which tenants' internet egress excepts (see withNodesExcepted).
   * Empty where the nodes have none (the real test tier).
   */
  nodePublicIpv4: pulumi.Input<string>[];
}

/** Cluster-wide priority classes, then one Tenant per entry of the stack's tenant list. */
export class Tenants extends pulumi.ComponentResource {
  /** `tenant/user` -> kubeconfig (secret). */
  readonly kubeconfigs: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: TenantsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:tenants:Tenants", name, {}, opts);
    const priorityClasses = priorityClassManifests().map((manifest) =>
      createManifest(manifest, { parent: this, provider: args.provider }),
    );
    const usersNamespace = createManifest(tenantUsersNamespaceManifest(), {
      parent: this,
      provider: args.provider,
    });
    createManifest(tenantUsersNetworkPolicy(), {
      parent: this,
      provider: args.provider,
      dependsOn: [usersNamespace],
    });
    const tenants = args.tenants.map(
      (tenant) =>
        new Tenant(
          tenant.name,
          { ...args, tenant, after: priorityClasses, usersNamespace },
          { parent: this },
        ),
    );
    this.kubeconfigs = pulumi.secret(
      pulumi
        .all(tenants.map((tenant) => tenant.kubeconfigs))
        .apply((maps) => Object.assign({}, ...maps) as Record<string, string>),
    );
    this.registerOutputs({ kubeconfigs: this.kubeconfigs });
  }
}

export interface TenantArgs extends TenantsArgs {
  tenant: TenantModel;
  after: pulumi.Resource[];
  /** Holds the users' ServiceAccounts and token Secrets. */
  usersNamespace: pulumi.Resource;
}

/** One tenant: its namespaces, quotas, limits, RBAC, users, network policies and hostname policies. */
export class Tenant extends pulumi.ComponentResource {
  readonly kubeconfigs: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: TenantArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:tenants:Tenant", name, {}, opts);
    this.kubeconfigs = createTenant(args, this);
    this.registerOutputs({ kubeconfigs: this.kubeconfigs });
  }
}

function createTenant(args: TenantArgs, parent: pulumi.Resource): pulumi.Output<Record<string, string>> {
  const { tenant, provider } = args;
  // The model decides what outlives the tenant's removal (its namespaces and their guard rails, unless
  // deletion was allowed); those objects are left in the cluster when they leave the stack.
  const retained = new Set(tenant.retainedOnRemoval);
  const namespaces = tenant.namespaceManifests.map((manifest) =>
    createManifest(manifest, {
      parent,
      provider,
      dependsOn: args.after,
      retainOnDelete: retained.has(manifest),
    }),
  );
  // The hostname policies stand before anything in the namespaces, so no RoleBinding lets a user write
  // an Ingress or a Certificate that they would not have seen.
  // A binding goes after its policy, and before it on deletion.
  const policies = new Map<string, pulumi.CustomResource>();
  const hostnamePolicies = tenant.hostnamePolicies.map((manifest) => {
    const policy = policies.get(String((manifest.spec as { policyName?: string } | undefined)?.policyName));
    const resource = createManifest(manifest, {
      parent,
      provider,
      dependsOn: [...args.after, ...(policy ? [policy] : [])],
    });
    if (manifest.kind === "ValidatingAdmissionPolicy") policies.set(manifest.metadata.name, resource);
    return resource;
  });
  const created = new Map<string, pulumi.CustomResource>();
  const key = (kind: string, namespace: string | undefined, name: string) => `${kind}/${namespace}/${name}`;
  const nodeCidrs = args.nodePublicIpv4.map((address) => pulumi.interpolate`${address}/32`);
  for (const manifest of tenant.objects) {
    const after = [...namespaces, args.usersNamespace, ...hostnamePolicies];
    const account = manifest.metadata.annotations?.["kubernetes.io/service-account.name"];
    // The model lists a token's ServiceAccount before the token; what was created under that key is one.
    const owner = account
      ? (entryOf(
          created,
          key("ServiceAccount", manifest.metadata.namespace, account),
          "the tenant's objects",
          parent,
        ) as k8s.core.v1.ServiceAccount)
      : undefined;
    // Replacing a user's ServiceAccount must give it a new UID: created first under the same name, the
    // "replacement" would be the old object, which the old one's deletion then removes.
    const identity = manifest.metadata.namespace === TENANT_USERS_NAMESPACE;
    created.set(
      key(manifest.kind, manifest.metadata.namespace, manifest.metadata.name),
      owner
        ? tokenSecret(manifest, owner, { parent, provider, dependsOn: [...after, owner] })
        : createManifest(withNodesExcepted(manifest, nodeCidrs), {
            parent,
            provider,
            dependsOn: after,
            deleteBeforeReplace: identity,
            retainOnDelete: retained.has(manifest),
          }),
    );
  }
  const ca = pulumi.output(args.adminKubeconfig).apply(certificateAuthorityOf);
  const entries = tenant.users.map((user) => {
    const secret = entryOf(
      created,
      `Secret/${user.identityNamespace}/${user.tokenSecret}`,
      "the tenant's objects",
      parent,
    ) as k8s.core.v1.Secret;
    const kubeconfig = pulumi
      .all([secret.data, ca, args.apiServerUrl])
      .apply(([data, certificateAuthorityData, server]) =>
        userKubeconfig({
          clusterName: args.clusterName,
          server,
          certificateAuthorityData,
          user: `${user.tenant}-${user.name}`,
          token: Buffer.from(data?.token ?? "", "base64").toString("utf8"),
          namespaces: user.namespaces,
        }),
      );
    return pulumi.all([`${user.tenant}/${user.name}`, kubeconfig]);
  });
  return pulumi.secret(pulumi.all(entries).apply((pairs) => Object.fromEntries(pairs)));
}

/**
 * A user's token Secret, bound to its ServiceAccount's UID. A token's claims name the ServiceAccount's
 * UID, and the API server accepts a token only while that UID is the account's: replacing the
 * ServiceAccount (the revocation runbook) invalidates every token of the user, those it minted for itself
 * included, and replaces this Secret, so the new kubeconfig gets a new token. A Secret re-created under
 * the same account would get the very same token back (the claims and the RSA signature are the same).
 * It is created after its ServiceAccount: Kubernetes deletes a token Secret whose account is missing.
 */
function tokenSecret(
  manifest: Manifest,
  owner: k8s.core.v1.ServiceAccount,
  opts: pulumi.CustomResourceOptions,
): k8s.core.v1.Secret {
  return new k8s.core.v1.Secret(
    manifestResourceName(manifest),
    {
      type: manifest.type as string,
      metadata: {
        ...manifest.metadata,
        annotations: {
          ...manifest.metadata.annotations,
          "kubernetes.io/service-account.uid": owner.metadata.uid,
        },
      },
    },
    {
      ...opts,
      replaceOnChanges: ["metadata.annotations"],
      deleteBeforeReplace: true,
    },
  );
}
