import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { TENANT_USERS_NAMESPACE } from "../../src/model/tenants";
import { expectLiveMatchesModel, modelManifests } from "./harness/live";
import { Kubectl } from "./harness/kubectl";
import { editedConfig } from "../helpers/plan";
import { kubernetesLayersProgram } from "./harness/program";
import { changes, nameOf, RealStack, type Step } from "./harness/stack";
import { pod, service, waitFor } from "./harness/workloads";

/**
 * The tenants layer under the real engine and provider, against a real API server: what `pulumi up`
 * creates, what a second run and each edit change, and what a tenant can and cannot do through its own
 * kubeconfig from the stack outputs.
 */

const admin = Kubectl.admin();

/** dev's tenants, with a load balancer for team-a. */
function baseConfig(edit?: (config: StackConfig) => void): StackConfig {
  return editedConfig("dev", (config) => {
    config.tenants[0].quota.loadBalancers = 1;
    edit?.(config);
  });
}

/** A third tenant modelled on team-b, with one namespace and one user. */
function teamC(config: StackConfig, allowDeletion = false): StackConfig["tenants"][number] {
  return {
    ...structuredClone(config.tenants[1]),
    name: "team-c",
    namespaces: ["team-c"],
    users: ["dave"],
    allowDeletion,
  };
}

let stack: RealStack;
let kubeconfigs: Record<string, string>;
const user = (name: string) => Kubectl.fromKubeconfig(name, kubeconfigs[name]);

async function up(config: StackConfig, replace?: string[]): Promise<Step[]> {
  const result = await stack.up(kubernetesLayersProgram(config), replace);
  kubeconfigs = result.outputs.tenantKubeconfigs as Record<string, string>;
  return result.steps;
}

const opsOf = (steps: Step[]) => changes(steps).map((step) => `${step.op} ${step.type} ${nameOf(step.urn)}`);

beforeAll(async () => {
  stack = await RealStack.create("tenants");
});

afterAll(async () => {
  await stack?.remove();
});

describe("pulumi up of the tenants", () => {
  it("creates every object of the model on an empty cluster", async () => {
    const config = baseConfig();
    const steps = await up(config);
    expect(changes(steps).every((step) => step.op === "create")).toBe(true);
    const manifests = modelManifests(buildClusterModel(config), config);
    expect(manifests.length).toBeGreaterThan(40);
    expectLiveMatchesModel(admin, manifests);
    expect(Object.keys(kubeconfigs).sort()).toEqual(["team-a/alice", "team-a/bob", "team-b/carol"]);
    // Quota admission counts only quotas the controller has observed.
    await waitFor("the quota controller to observe every quota", () =>
      admin
        .json<{ items: { status?: { hard?: object } }[] }>(["get", "resourcequotas", "-A"])
        .items.every((quota) => quota.status?.hard),
    );
  });

  it("changes nothing on a second run", async () => {
    const steps = await up(baseConfig());
    expect(opsOf(steps)).toEqual([]);
    expect(steps.length).toBeGreaterThan(40);
  });
});

describe("a tenant user, through its own kubeconfig", () => {
  it("works inside its tenant's namespaces and nowhere else", () => {
    const alice = user("team-a/alice");
    expect(alice.canI("create", "deployments", "team-a")).toBe(true);
    expect(alice.canI("get", "pods", "team-a")).toBe(true);
    expect(alice.canI("get", "pods", "team-b")).toBe(false);
    expect(alice.canI("get", "pods", "kube-system")).toBe(false);
    expect(alice.canI("list", "nodes")).toBe(false);
    expect(alice.canI("list", "namespaces")).toBe(false);
  });

  it("cannot change its own limits, grant itself more, or escalate", () => {
    const alice = user("team-a/alice");
    for (const resource of ["resourcequotas", "limitranges", "networkpolicies", "roles", "rolebindings"])
      expect([resource, alice.canI("update", resource, "team-a")]).toEqual([resource, false]);
    expect(alice.canI("escalate", "roles", "team-a")).toBe(false);
    expect(alice.canI("bind", "clusterroles", "team-a")).toBe(false);
    expect(alice.canI("impersonate", "serviceaccounts", "team-a")).toBe(false);
    expect(alice.canI("create", "endpoints", "team-a")).toBe(false);
    expect(alice.canI("create", "endpointslices.discovery.k8s.io", "team-a")).toBe(false);
    const escalation = alice.create(
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: { name: "take-over" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
        subjects: [{ kind: "ServiceAccount", name: "team-a.alice", namespace: TENANT_USERS_NAMESPACE }],
      },
      "team-a",
    );
    expect(escalation.status).not.toBe(0);
    expect(escalation.stderr).toMatch(/forbidden/i);
  });

  it("cannot read any user's token or mint a token of its own", () => {
    const bob = user("team-a/bob");
    expect(bob.canI("get", "secrets", TENANT_USERS_NAMESPACE)).toBe(false);
    expect(bob.run(["-n", TENANT_USERS_NAMESPACE, "get", "secret", "team-a.alice-token"]).status).not.toBe(0);
    expect(bob.canI("create", "serviceaccounts/token", TENANT_USERS_NAMESPACE)).toBe(false);
    expect(bob.run(["-n", TENANT_USERS_NAMESPACE, "create", "token", "team-a.bob"]).status).not.toBe(0);
    // No tenant namespace holds an identity that the RBAC binds.
    expect(
      admin.json<{ items: unknown[] }>([
        "-n",
        "team-a",
        "get",
        "serviceaccounts,secrets",
        "-l",
        "hetzner-k8s.io/tenant",
      ]).items,
    ).toEqual([]);
  });

  it("gets the limit range's defaults, and is refused above its maximum and the quota", () => {
    const alice = user("team-a/alice");
    alice.ok(["create", "-f", "-"], JSON.stringify(pod("defaults", "team-a")));
    const created = admin.json<{
      spec: { containers: { resources: Record<string, Record<string, string>> }[] };
    }>(["-n", "team-a", "get", "pod", "defaults"]);
    expect(created.spec.containers[0].resources).toEqual({
      requests: { cpu: "100m", memory: "128Mi" },
      limits: { cpu: "500m", memory: "512Mi" },
    });
    const tooBig = alice.create(pod("too-big", "team-a", { limits: { cpu: "3", memory: "1Gi" } }));
    expect(tooBig.stderr).toMatch(/maximum cpu usage per Container is 2/);
    // requests.cpu is 2 in team-a: three pods of one core each do not fit.
    const oneCore = { requests: { cpu: "1", memory: "128Mi" }, limits: { cpu: "1", memory: "128Mi" } };
    expect(alice.create(pod("core-1", "team-a", oneCore)).status).toBe(0);
    const second = alice.create(pod("core-2", "team-a", oneCore));
    expect(second.stderr).toMatch(/exceeded quota: tenant-quota/);
  });

  it("runs pods only at the Pod Security level of its namespace", () => {
    const alice = user("team-a/alice");
    const root = alice.create(pod("as-root", "team-a", undefined, { runAsNonRoot: false }));
    expect(root.stderr).toMatch(/violates PodSecurity "restricted/);
    const carol = user("team-b/carol");
    // baseline admits what restricted refuses, but not a privileged container.
    expect(carol.create(pod("as-root", "team-b", undefined, { runAsNonRoot: false })).status).toBe(0);
    const privileged = carol.create(pod("privileged", "team-b", undefined, { privileged: true }));
    expect(privileged.stderr).toMatch(/violates PodSecurity "baseline/);
  });

  it("uses only the priority classes its entry allows; every other class is refused", () => {
    const alice = user("team-a/alice");
    // team-a may use default and low (the schema default); a pod without a class gets default.
    expect(alice.create(pod("low", "team-a", undefined, {}, "low")).status).toBe(0);
    for (const denied of ["high", "platform-critical", "system-cluster-critical", "system-node-critical"]) {
      const refused = alice.create(pod(`at-${denied}`, "team-a", undefined, {}, denied));
      expect([denied, refused.stderr]).toEqual([
        denied,
        expect.stringMatching(/exceeded quota: denied-priority-classes/),
      ]);
    }
  });

  it("creates the LoadBalancer Service it was granted, and no second one", () => {
    const alice = user("team-a/alice");
    expect(alice.create(service("web", "team-a", "LoadBalancer", [80, 443]))).toMatchObject({ status: 0 });
    const second = alice.create(service("web-2", "team-a", "LoadBalancer", [80]));
    expect(second.stderr).toMatch(/exceeded quota: tenant-quota.*services.loadbalancers/);
    const carol = user("team-b/carol");
    expect(carol.create(service("web", "team-b", "LoadBalancer", [80])).stderr).toMatch(/exceeded quota/);
  });
});

describe("horizontal pod autoscaling of a tenant's workload", () => {
  it("is the tenant's to set up, and the real controller scales its Deployment through the scale subresource", async () => {
    const alice = user("team-a/alice");
    expect(alice.canI("create", "horizontalpodautoscalers.autoscaling", "team-a")).toBe(true);
    expect(alice.canI("create", "horizontalpodautoscalers.autoscaling", "team-b")).toBe(false);
    const template = pod("web", "team-a") as { spec: object };
    const labels = { app: "web" };
    alice.ok(
      ["create", "-f", "-"],
      JSON.stringify({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name: "web", namespace: "team-a" },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: template.spec },
        },
      }),
    );
    alice.ok(
      ["create", "-f", "-"],
      JSON.stringify({
        apiVersion: "autoscaling/v2",
        kind: "HorizontalPodAutoscaler",
        metadata: { name: "web", namespace: "team-a" },
        spec: {
          scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "web" },
          minReplicas: 2,
          maxReplicas: 4,
          metrics: [
            {
              type: "Resource",
              resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
            },
          ],
        },
      }),
    );
    // Below minReplicas the controller scales without metrics; above it, it reads the metrics API, which
    // k3s's metrics-server serves and this control plane (no kubelets) does not.
    const replicas = () =>
      admin.json<{ spec: { replicas: number } }>(["-n", "team-a", "get", "deployment", "web"]).spec.replicas;
    await waitFor("the autoscaler to raise web to its minimum", () => replicas() === 2, 90_000);
    type Conditions = { status: { conditions?: { type: string; status: string; reason: string }[] } };
    const condition = (type: string) =>
      admin
        .json<Conditions>(["-n", "team-a", "get", "hpa", "web"])
        .status.conditions?.find((entry) => entry.type === type);
    await waitFor(
      "the autoscaler to report on the metrics",
      () => condition("ScalingActive") !== undefined,
      90_000,
    );
    expect(condition("AbleToScale")).toMatchObject({ status: "True" });
    expect(condition("ScalingActive")).toMatchObject({ status: "False", reason: "FailedGetResourceMetric" });
    alice.ok(["-n", "team-a", "delete", "hpa/web", "deployment/web"]);
  });
});

describe("revoking a user's token (docs/runbooks/rotate-credentials.md)", () => {
  it("invalidates the old kubeconfig and every token of the account, and hands out a new one", async () => {
    const before = kubeconfigs["team-a/alice"];
    const old = Kubectl.fromKubeconfig("team-a/alice-revoked", before);
    // A token minted for the account some other way (here by the admin) must die with it too.
    const minted = admin.ok(["-n", TENANT_USERS_NAMESPACE, "create", "token", "team-a.alice"]).trim();
    const mintedIdentity = Kubectl.fromKubeconfig("minted", before.replace(/token: .*/, `token: ${minted}`));
    expect(mintedIdentity.canI("get", "pods", "team-a")).toBe(true);

    const state = await stack.exportState();
    const account = state.resources.find((resource) =>
      resource.urn.endsWith("kubernetes:core/v1:ServiceAccount::tenant-users/team-a.alice"),
    );
    expect(account).toBeDefined();
    const steps = await up(baseConfig(), [account?.urn as string]);
    // A replacement shows as replace, then the delete of the old object and the create of the new one.
    expect(new Set(changes(steps).map((step) => nameOf(step.urn)))).toEqual(
      new Set(["tenant-users/team-a.alice", "tenant-users/team-a.alice-token"]),
    );
    expect(opsOf(steps.filter((step) => step.op === "replace")).sort()).toEqual(
      [
        "replace kubernetes:core/v1:ServiceAccount tenant-users/team-a.alice",
        "replace kubernetes:core/v1:Secret tenant-users/team-a.alice-token",
      ].sort(),
    );

    expect(kubeconfigs["team-a/alice"]).not.toEqual(before);
    await waitFor("the new token to work", () => user("team-a/alice").canI("get", "pods", "team-a"));
    // The API server keeps a successful authentication for 10 s: a token used just before may work
    // that long after the revocation, not longer.
    for (const revoked of [old, mintedIdentity]) {
      await waitFor(
        "a revoked token to be refused",
        () => /Unauthorized/.test(revoked.run(["auth", "can-i", "get", "pods", "-n", "team-a"]).stderr),
        15_000,
      );
    }
    // bob's token is untouched.
    expect(user("team-a/bob").canI("get", "pods", "team-a")).toBe(true);
  });
});

describe("edits, each its own pulumi up", () => {
  it("adds a tenant without touching the others", async () => {
    const steps = await up(
      baseConfig((config) => {
        config.tenants.push(teamC(config));
      }),
    );
    const ops = changes(steps);
    expect(ops.length).toBeGreaterThan(5);
    for (const step of ops) {
      expect(step.op).toBe("create");
      // The tenant's own objects: its namespace's, its users' identities, its hostname admission policies.
      expect(step.urn).toMatch(
        /::team-c$|::team-c\/|::tenant-users\/team-c\.|::tenant-(ingresses|certificates)\.team-c$/,
      );
    }
    expect(user("team-c/dave").canI("create", "pods", "team-c")).toBe(true);
  });

  it("changes a quota in place", async () => {
    const steps = await up(
      baseConfig((config) => {
        config.tenants[0].quota.requestsCpu = "3";
        config.tenants.push(teamC(config));
      }),
    );
    expect(opsOf(steps)).toEqual(["update kubernetes:core/v1:ResourceQuota team-a/tenant-quota"]);
    const updated = changes(steps)[0];
    expect(Object.keys(updated.detailedDiff)).toEqual(['spec.hard["requests.cpu"]']);
    const quota = admin.json<{ spec: { hard: Record<string, string> } }>([
      "-n",
      "team-a",
      "get",
      "resourcequota",
      "tenant-quota",
    ]);
    expect(quota.spec.hard["requests.cpu"]).toBe("3");
  });

  it("removes a tenant but keeps its namespaces, their workloads and their isolation; its users' access ends", async () => {
    admin.ok(["-n", "team-b", "create", "configmap", "data", "--from-literal=keep=me"]);
    const before = baseConfig((config) => {
      config.tenants[0].quota.requestsCpu = "3";
      config.tenants.push(teamC(config));
    });
    const removed = buildClusterModel(before).tenants.find((tenant) => tenant.name === "team-b");
    if (!removed) throw new Error("team-b is not in the stack");
    const carol = Kubectl.fromKubeconfig("team-b/carol-removed", kubeconfigs["team-b/carol"]);
    expect(carol.canI("get", "pods", "team-b")).toBe(true);

    const steps = await up(
      baseConfig((config) => {
        config.tenants[0].quota.requestsCpu = "3";
        config.tenants[1] = teamC(config);
      }),
    );
    const ops = changes(steps);
    expect(ops.every((step) => step.op === "delete")).toBe(true);
    expect(
      ops.every((step) =>
        /::team-b(-staging)?(\/|$)|::tenant-users\/team-b\.|::tenant-(ingresses|certificates)\.team-b$/.test(
          step.urn,
        ),
      ),
    ).toBe(true);
    expect(ops.map((step) => nameOf(step.urn))).toEqual(expect.arrayContaining(["team-b", "team-b-staging"]));
    // The Namespace resources left the stack, the namespaces stayed in the cluster.
    for (const namespace of ["team-b", "team-b-staging"])
      expect(admin.json<{ status: { phase: string } }>(["get", "namespace", namespace]).status.phase).toBe(
        "Active",
      );
    expect(admin.ok(["-n", "team-b", "get", "configmap", "data", "-o", "jsonpath={.data.keep}"])).toBe("me");
    expect(admin.run(["-n", "team-b", "get", "pod", "as-root"]).status).toBe(0);

    // Each kept namespace stays locked down: its policies, quotas and limits are there...
    const names = (namespace: string, kinds: string) =>
      admin
        .json<{ items: { kind: string; metadata: { name: string } }[] }>(["-n", namespace, "get", kinds])
        .items.map((item) => `${item.kind} ${item.metadata.name}`)
        .sort();
    for (const namespace of ["team-b", "team-b-staging"]) {
      expect([namespace, names(namespace, "networkpolicies,resourcequotas,limitranges")]).toEqual([
        namespace,
        [
          "LimitRange tenant-limits",
          "NetworkPolicy allow-tenant-and-platform",
          "NetworkPolicy default-deny-ingress",
          "NetworkPolicy tenant-egress",
          "ResourceQuota denied-priority-classes",
          "ResourceQuota tenant-quota",
        ],
      ]);
      // ... and no RBAC of the tenant is left in it.
      expect([namespace, names(namespace, "roles,rolebindings")]).toEqual([namespace, []]);
    }
    // ... as the model has them ...
    expectLiveMatchesModel(admin, removed.retainedOnRemoval);
    // ... and they still hold: a pod left to a controller gets the limit range's defaults, and a
    // denied priority class stays denied.
    admin.ok(["create", "-f", "-"], JSON.stringify(pod("after-removal", "team-b")));
    const kept = admin.json<{
      spec: { containers: { resources: Record<string, Record<string, string>> }[] };
    }>(["-n", "team-b", "get", "pod", "after-removal"]);
    expect(kept.spec.containers[0].resources.limits).toEqual({ cpu: "500m", memory: "512Mi" });
    const critical = admin.create(pod("critical", "team-b", undefined, {}, "system-cluster-critical"));
    expect(critical.stderr).toMatch(/exceeded quota: denied-priority-classes/);

    // carol's access went with the tenant: no kubeconfig, no identity, no binding.
    expect(Object.keys(kubeconfigs)).not.toContain("team-b/carol");
    expect(
      admin.json<{ items: unknown[] }>([
        "-n",
        TENANT_USERS_NAMESPACE,
        "get",
        "serviceaccounts,secrets",
        "-l",
        "hetzner-k8s.io/tenant=team-b",
      ]).items,
    ).toEqual([]);
    for (const namespace of ["team-b", "team-b-staging"]) {
      const asCarol = admin.run([
        "auth",
        "can-i",
        "get",
        "pods",
        "-n",
        namespace,
        "--as",
        `system:serviceaccount:${TENANT_USERS_NAMESPACE}:team-b.carol`,
      ]);
      expect([namespace, asCarol.stdout.trim()]).toEqual([namespace, "no"]);
    }
    // Her old kubeconfig is refused outright (after the API server's 10 s authentication cache).
    await waitFor(
      "carol's token to be refused",
      () => /Unauthorized/.test(carol.run(["-n", "team-b", "get", "pods"]).stderr),
      15_000,
    );
    expect(carol.run(["-n", "team-b-staging", "get", "configmaps"]).stderr).toMatch(/Unauthorized/);
  });

  it("deletes a tenant's namespaces only after allowDeletion was applied", async () => {
    const withC = (allowDeletion: boolean) =>
      baseConfig((config) => {
        config.tenants[0].quota.requestsCpu = "3";
        config.tenants[1] = teamC(config, allowDeletion);
      });
    // allowDeletion is a resource option (retainOnDelete), not an input: the engine records it with
    // no step of its own.
    const allow = await up(withC(true));
    expect(opsOf(allow)).toEqual([]);
    const steps = await up(
      baseConfig((config) => {
        config.tenants[0].quota.requestsCpu = "3";
        config.tenants.splice(1, 1);
      }),
    );
    expect(changes(steps).every((step) => step.op === "delete")).toBe(true);
    await waitFor(
      "namespace team-c to be deleted",
      () => admin.run(["get", "namespace", "team-c"]).status !== 0,
    );
  });

  it("destroys cleanly", async () => {
    const steps = await stack.destroy();
    expect(changes(steps).every((step) => step.op === "delete")).toBe(true);
    expect(admin.run(["get", "priorityclass", "high"]).status).not.toBe(0);
  });
});
