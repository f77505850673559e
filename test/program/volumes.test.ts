import type { Plan } from "../../src/plan/evaluate";
import { planStack, resourceNamed, resourcesOfType, TYPES } from "../helpers/plan";

describe("node volumes", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("creates a volume only for nodes that ask for one", () => {
    expect(resourcesOfType(plan, TYPES.volume).map((volume) => volume.inputs.name)).toEqual([
      "dev-worker-1-data",
    ]);
  });

  it("protects the volume and retains it when the node is removed", () => {
    const volume = resourceNamed(plan, TYPES.volume, "worker-1-volume");
    expect(volume.inputs).toMatchObject({
      size: 20,
      location: "fsn1",
      format: "ext4",
      deleteProtection: true,
    });
    expect(volume.options.retainOnDelete).toBe(true);
    expect(volume.options.ignoreChanges).toContain("format");
  });

  it("attaches the volume to its own server without automount", () => {
    const attachment = resourceNamed(plan, TYPES.volumeAttachment, "worker-1-volume-attachment");
    const server = resourceNamed(plan, TYPES.server, "worker-1-server");
    const volume = resourceNamed(plan, TYPES.volume, "worker-1-volume");
    expect(attachment.dependencies).toEqual(expect.arrayContaining([server.urn, volume.urn]));
    expect(attachment.inputs.automount).toBe(false);
  });
});
