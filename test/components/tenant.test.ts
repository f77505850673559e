import * as k8s from "@pulumi/kubernetes";
import type { Manifest } from "../../src/model/platform/common";
import { TENANT_USERS_NAMESPACE, type TenantModel } from "../../src/model/tenants";
import { StandIn } from "./standIn";
import { evaluateProgram, type Evaluation, type PlannedResource } from "../../src/plan/evaluate";
import { Tenant } from "../../src/tenants/tenants";

/**
 * One Tenant on its own, from a hand-made tenant model: a namespace kept on removal, a quota inside it,
 * and one user whose token Secret is bound to its ServiceAccount.
 */

const NAMESPACE: Manifest = { apiVersion: "v1", kind: "Namespace", metadata: { name: "team-a" } };
const QUOTA: Manifest = {
  apiVersion: "v1",
  kind: "ResourceQuota",
  metadata: { name: "quota", namespace: "team-a" },
  spec: { hard: { pods: "10" } },
};
const ACCOUNT: Manifest = {
  apiVersion: "v1",
  kind: "ServiceAccount",
  metadata: { name: "team-a.ci", namespace: TENANT_USERS_NAMESPACE },
};
const TOKEN: Manifest = {
  apiVersion: "v1",
  kind: "Secret",
  metadata: {
    name: "team-a.ci-token",
    namespace: TENANT_USERS_NAMESPACE,
    annotations: { "kubernetes.io/service-account.name": "team-a.ci" },
  },
  type: "kubernetes.io/service-account-token",
};
const TENANT: TenantModel = {
  name: "team-a",
  namespaces: ["team-a"],
  namespaceManifests: [NAMESPACE],
  objects: [QUOTA, ACCOUNT, TOKEN],
  retainedOnRemoval: [NAMESPACE, QUOTA],
  hostnamePolicies: [],
  users: [
    {
      tenant: "team-a",
      name: "ci",
      identityNamespace: TENANT_USERS_NAMESPACE,
      serviceAccount: "team-a.ci",
      tokenSecret: "team-a.ci-token",
      namespaces: ["team-a"],
    },
  ],
  allowDeletion: false,
};

let evaluation: Evaluation;
beforeAll(async () => {
  evaluation = await evaluateProgram("components", (opts) => {
    const provider = new k8s.Provider("cluster", { kubeconfig: "apiVersion: v1" });
    const tenant = new Tenant(
      "team-a",
      {
        clusterName: "c1",
        tenants: [],
        provider,
        adminKubeconfig: "apiVersion: v1\nclusters: []\n",
        apiServerUrl: "https://api.example:6443",
        nodePublicIpv4: [],
        tenant: TENANT,
        after: [new StandIn("priority-classes")],
        usersNamespace: new StandIn("tenant-users"),
      },
      opts,
    );
    return { kubeconfigs: tenant.kubeconfigs };
  });
});

const resource = (type: string, name: string): PlannedResource => {
  const found = evaluation.resources.find((entry) => entry.type === type && entry.name.includes(name));
  if (!found) throw new Error(`no ${type} ${name}`);
  return found;
};

describe("Tenant", () => {
  it("keeps on removal what the model says, and waits for what must exist first", () => {
    const namespace = resource("kubernetes:core/v1:Namespace", "team-a");
    expect(namespace.options.retainOnDelete).toBe(true);
    expect(namespace.dependencies).toEqual([expect.stringMatching(/::priority-classes$/)]);
    const quota = resource("kubernetes:core/v1:ResourceQuota", "quota");
    expect(quota.options.retainOnDelete).toBe(true);
    expect(quota.dependencies).toEqual(
      expect.arrayContaining([namespace.urn, expect.stringMatching(/::tenant-users$/)]),
    );
  });

  it("replaces a user's ServiceAccount by deleting it first, and creates the token after it", () => {
    const account = resource("kubernetes:core/v1:ServiceAccount", "team-a.ci");
    expect(account.options.deleteBeforeReplace).toBe(true);
    expect(account.options.retainOnDelete).toBe(false);
    const token = resource("kubernetes:core/v1:Secret", "team-a.ci-token");
    expect(token.dependencies).toContain(account.urn);
  });

  it("hands its users' kubeconfigs on as one secret (their tokens are known only once deployed)", () => {
    expect(evaluation.outputs.kubeconfigs).toMatchObject({ secret: true, known: false });
  });
});
