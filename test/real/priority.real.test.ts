import type { StackConfig } from "../../src/config/schema";
import { PRIORITY_CLASSES } from "../../src/config/tenantSchema";
import { PLATFORM_PRIORITY, PLATFORM_PRIORITY_CLASS } from "../../src/model/platform/priority";
import { LOCAL_PATH_NAMESPACE } from "../../src/model/platform/storage";
import { editedConfig } from "../helpers/plan";
import { Kubectl } from "./harness/kubectl";
import { kubernetesLayersProgram } from "./harness/program";
import { changes, RealStack } from "./harness/stack";
import { pod, waitFor } from "./harness/workloads";

/**
 * The platform's priority class against a real API server: where it sits among the live classes, the
 * priority the Priority admission plugin gives a pod that names it, and the quota that refuses it to a
 * tenant granted every tenant class, through that tenant's own kubeconfig. Helm releases do not run in
 * this tier, so a pod created by the admin in a platform namespace stands in for theirs; the program's
 * own local-path Deployment gets real pods from the controllers.
 */

const admin = Kubectl.admin();
const TENANT = "prio";

/** dev with a single tenant of its own, granted every class a tenant can be, deleted with the stack. */
function config(): StackConfig {
  return editedConfig("dev", (edited) => {
    edited.tenants = [
      {
        ...edited.tenants[0],
        name: TENANT,
        namespaces: [TENANT],
        users: ["pat"],
        priorityClasses: [...PRIORITY_CLASSES],
        allowDeletion: true,
      },
    ];
  });
}

interface LivePod {
  spec: { priority?: number; priorityClassName?: string; preemptionPolicy?: string };
}

let stack: RealStack;
let kubeconfigs: Record<string, string>;

beforeAll(async () => {
  stack = await RealStack.create("priority");
  const result = await stack.up(kubernetesLayersProgram(config()));
  kubeconfigs = result.outputs.tenantKubeconfigs as Record<string, string>;
  // Quota admission counts only quotas the controller has observed.
  await waitFor("the quota controller to observe the tenant's quotas", () =>
    admin
      .json<{ items: { status?: { hard?: object } }[] }>(["-n", TENANT, "get", "resourcequotas"])
      .items.every((quota) => quota.status?.hard),
  );
});

afterAll(async () => {
  await stack?.remove();
});

describe("the platform's priority class", () => {
  it("sits above every tenant class and below Kubernetes' own", () => {
    const live = admin.json<{
      items: { metadata: { name: string }; value: number; globalDefault?: boolean }[];
    }>(["get", "priorityclasses"]);
    const values = Object.fromEntries(live.items.map((item) => [item.metadata.name, item.value]));
    expect(values[PLATFORM_PRIORITY_CLASS]).toBe(PLATFORM_PRIORITY);
    for (const name of PRIORITY_CLASSES)
      expect([name, values[name] < PLATFORM_PRIORITY]).toEqual([name, true]);
    for (const name of ["system-cluster-critical", "system-node-critical"])
      expect([name, values[name] > PLATFORM_PRIORITY]).toEqual([name, true]);
    const platform = live.items.find((item) => item.metadata.name === PLATFORM_PRIORITY_CLASS);
    expect(platform?.globalDefault ?? false).toBe(false);
  });

  it("gives a platform pod its priority, which no tenant pod reaches", () => {
    admin.ok(
      ["create", "-f", "-"],
      JSON.stringify(pod("platform", "traefik", undefined, {}, PLATFORM_PRIORITY_CLASS)),
    );
    try {
      const created = admin.json<LivePod>(["-n", "traefik", "get", "pod", "platform"]);
      expect(created.spec).toMatchObject({
        priority: PLATFORM_PRIORITY,
        preemptionPolicy: "PreemptLowerPriority",
      });
    } finally {
      admin.ok(["-n", "traefik", "delete", "pod", "platform", "--wait"]);
    }
  });

  it("is refused to a tenant granted every tenant class, through its own kubeconfig", () => {
    const pat = Kubectl.fromKubeconfig(`${TENANT}/pat`, kubeconfigs[`${TENANT}/pat`]);
    const refused = pat.create(pod("at-platform", TENANT, undefined, {}, PLATFORM_PRIORITY_CLASS));
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/exceeded quota: denied-priority-classes/);
    // Its highest class is admitted, at a priority below the platform's.
    expect(pat.create(pod("at-highest", TENANT, undefined, {}, "platform-critical")).status).toBe(0);
    const highest = admin.json<LivePod>(["-n", TENANT, "get", "pod", "at-highest"]);
    expect(highest.spec.priority).toBeLessThan(PLATFORM_PRIORITY);
  });

  it("leaves the program's own local-path pods at Kubernetes' cluster-critical priority", async () => {
    const selector = "app.kubernetes.io/name=local-path-provisioner";
    const pods = () =>
      admin.json<{ items: LivePod[] }>(["-n", LOCAL_PATH_NAMESPACE, "get", "pods", "-l", selector]).items;
    // The Deployment and ReplicaSet controllers create the pod; no scheduler runs, so it stays pending.
    await waitFor("the local-path-provisioner pod", () => pods().length > 0);
    for (const created of pods())
      expect(created.spec).toMatchObject({
        priorityClassName: "system-cluster-critical",
        priority: 2_000_000_000,
      });
  });

  it("goes with the stack", async () => {
    const steps = await stack.destroy();
    expect(changes(steps).every((step) => step.op === "delete")).toBe(true);
    expect(admin.run(["get", "priorityclass", PLATFORM_PRIORITY_CLASS]).status).not.toBe(0);
    await waitFor(
      `namespace ${TENANT} to be deleted`,
      () => admin.run(["get", "namespace", TENANT]).status !== 0,
    );
  });
});
