import { parseStackConfig } from "../../src/config/load";
import type { StackConfig } from "../../src/config/schema";
import { evaluatePlan, type Plan, type PlannedResource } from "../../src/plan/evaluate";
import { BACKUP_SECRET_KEYS, enableBackups } from "../helpers/backups";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { asStackFile, resourceNamed, resourcesOfType, shippedConfig } from "../helpers/plan";
import { stackFromConfig } from "../../src/stack";

/**
 * Application backups in the real program's offline plan: the credentials stay a Pulumi secret from the
 * config to the Secret, and every Velero object is there, in order, and valid.
 */

const RELEASE = "kubernetes:helm.sh/v3:Release";
const SECRET = "kubernetes:core/v1:Secret";

function backupsConfig(): StackConfig {
  const config = structuredClone(shippedConfig("prod"));
  enableBackups(config);
  config.tenants[0].backup = { schedule: "0 * * * *", retentionDays: 7 };
  return parseStackConfig(asStackFile(config), new Set(BACKUP_SECRET_KEYS));
}

const dependsOn = (resource: PlannedResource, other: PlannedResource) =>
  resource.dependencies.includes(other.urn);

describe("application backups in the plan", () => {
  let plan: Plan;

  beforeAll(async () => {
    plan = await evaluatePlan("prod", stackFromConfig(backupsConfig()));
  });

  it("keep the credentials secret: the Secret's data is a secret input, and no value shows them", () => {
    const secret = resourceNamed(plan, SECRET, "velero/velero-s3-credentials");
    expect(secret.secretInputs).toEqual(["stringData"]);
    const text = JSON.stringify(plan.resources);
    expect(text).not.toContain("access-key-id");
    expect(text).not.toContain("secret-access-key");
  });

  it("install the release after its Secret, and the location and schedules after the release", () => {
    const [release] = resourcesOfType(plan, RELEASE).filter((resource) => resource.inputs.chart === "velero");
    expect(release.inputs).toMatchObject({
      namespace: "velero",
      repositoryOpts: { repo: "https://vmware-tanzu.github.io/helm-charts" },
    });
    expect(dependsOn(release, resourceNamed(plan, SECRET, "velero/velero-s3-credentials"))).toBe(true);
    const location = resourceNamed(plan, "kubernetes:velero.io/v1:BackupStorageLocation", "velero/default");
    expect(dependsOn(location, release)).toBe(true);
    const schedules = resourcesOfType(plan, "kubernetes:velero.io/v1:Schedule");
    expect(schedules.map((schedule) => schedule.name)).toEqual(["velero/cluster", "velero/tenant-payments"]);
    for (const schedule of schedules) expect(dependsOn(schedule, release)).toBe(true);
  });

  it("bound the server's and the node agent's resources (charts/velero/values.yaml)", () => {
    const [release] = resourcesOfType(plan, RELEASE).filter((resource) => resource.inputs.chart === "velero");
    const values = release.inputs.values as {
      resources: { limits: { memory: string } };
      nodeAgent: { resources: { limits: { memory: string } } };
    };
    expect(values.resources.limits.memory).toBeDefined();
    expect(values.nodeAgent.resources.limits.memory).toBeDefined();
  });

  it("create only objects that match their API schemas", () => {
    const objects = plan.resources.filter(
      (resource) =>
        resource.inputs.metadata !== undefined &&
        resource.type.startsWith("kubernetes:") &&
        resource.type !== RELEASE,
    );
    const velero = objects.filter(
      (resource) => (resource.inputs.metadata as { namespace?: string }).namespace === "velero",
    );
    expect(velero.length).toBeGreaterThanOrEqual(7);
    for (const object of velero) {
      const inputs = { ...object.inputs };
      for (const field of object.secretInputs) if (field === "stringData") inputs[field] = {};
      expect(() => validateAgainstSchema(inputs)).not.toThrow();
    }
  });
});
