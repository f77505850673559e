import type { StackConfig } from "../../src/config/schema";
import { readNodeScript } from "../../src/remote/remoteScript";
import { HAS_VOLUME_LABEL } from "../../src/model/platform/storage";
import { COMMAND_TYPE } from "../../src/plan/bootstrapPath";
import type { Plan, PlannedResource } from "../../src/plan/evaluate";
import { maskInputs } from "../../src/plan/values";
import { editedConfig, planStack, resourceNamed, resourcesOfType, TYPES } from "../helpers/plan";
import { recordProgram } from "../helpers/record";

const NODE_PATCH = "kubernetes:core/v1:NodePatch";
const command = (plan: Plan, name: string) => resourceNamed(plan, COMMAND_TYPE, name);
const urns = (plan: Plan) => new Set(plan.resources.map((resource) => resource.urn));

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

describe("preparing node volumes", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev");
  });

  it("gives only nodes with a volume a volume command, after their bootstrap, volume and attachment", () => {
    expect(
      resourcesOfType(plan, COMMAND_TYPE)
        .filter((resource) => resource.name.endsWith("-prepare-volume"))
        .map((resource) => resource.name),
    ).toEqual(["worker-1-prepare-volume"]);
    const prepare = command(plan, "worker-1-prepare-volume");
    const bootstrap = command(plan, "worker-1-bootstrap");
    expect(prepare.parent).toBe(bootstrap.parent);
    expect(prepare.dependencies).toEqual(
      expect.arrayContaining([
        bootstrap.urn,
        resourceNamed(plan, TYPES.volume, "worker-1-volume").urn,
        resourceNamed(plan, TYPES.volumeAttachment, "worker-1-volume-attachment").urn,
      ]),
    );
    // It runs on the node itself.
    expect(prepare.dependencies.filter((urn) => urn.includes(TYPES.server))).toEqual([
      resourceNamed(plan, TYPES.server, "worker-1-server").urn,
    ]);
    // Runs on create and on every change of its inputs; removing the node runs nothing (the drain does).
    expect(prepare.inputs.create).toBeDefined();
    expect(prepare.inputs.update).toEqual(prepare.inputs.create);
    expect(prepare.inputs.delete).toBeUndefined();
    expect(prepare.options.ignoreChanges).toEqual([]);
  });

  it("sets a node's volume label only after its volume command mounted the volume", () => {
    const patch = resourceNamed(plan, NODE_PATCH, "worker-1");
    expect(patch.inputs).toMatchObject({ metadata: { labels: { [HAS_VOLUME_LABEL]: "true" } } });
    expect(patch.dependencies).toEqual(
      expect.arrayContaining([
        command(plan, "worker-1-prepare-volume").urn,
        command(plan, "worker-1-bootstrap").urn,
      ]),
    );
    const withoutVolume = resourceNamed(plan, NODE_PATCH, "cp-2");
    expect(withoutVolume.inputs).not.toMatchObject({ metadata: { labels: { [HAS_VOLUME_LABEL]: "true" } } });
    expect(withoutVolume.dependencies.filter((urn) => urn.endsWith("-prepare-volume"))).toEqual([]);
  });

  describe("a volume added to an existing node", () => {
    let added: Plan;
    beforeAll(async () => {
      added = await planStack("dev", (config) => {
        volumeOf(config, "cp-2", 50);
      });
    });

    it("creates the volume, its attachment and its volume command, and nothing else", () => {
      const before = urns(plan);
      const created = added.resources.filter((resource) => !before.has(resource.urn)).map((r) => r.name);
      expect(created.sort()).toEqual(["cp-2-prepare-volume", "cp-2-volume", "cp-2-volume-attachment"]);
      expect(command(added, "cp-2-prepare-volume").dependencies).toEqual(
        expect.arrayContaining([
          command(added, "cp-2-bootstrap").urn,
          resourceNamed(added, TYPES.volume, "cp-2-volume").urn,
          resourceNamed(added, TYPES.volumeAttachment, "cp-2-volume-attachment").urn,
        ]),
      );
      // The bootstrap's own view of the volume changes, but it never re-runs: the volume command does the work.
      expect(command(added, "cp-2-bootstrap").options.ignoreChanges).toEqual(
        expect.arrayContaining(["create", "stdin"]),
      );
    });

    it("labels the node as having a volume only after the volume command", () => {
      const patch = resourceNamed(added, NODE_PATCH, "cp-2");
      expect(patch.inputs).toMatchObject({ metadata: { labels: { [HAS_VOLUME_LABEL]: "true" } } });
      expect(patch.dependencies).toContain(command(added, "cp-2-prepare-volume").urn);
    });

    it("still drains the node before its volume is detached when the node is removed", () => {
      expect(command(added, "cp-2-drain").dependencies).toEqual(
        expect.arrayContaining([
          resourceNamed(added, TYPES.volumeAttachment, "cp-2-volume-attachment").urn,
          resourceNamed(added, TYPES.server, "cp-2-server").urn,
        ]),
      );
    });
  });

  describe("against volumes that already exist", () => {
    const script = (records: PlannedResource[]) =>
      records.find(
        (resource) => resource.type === COMMAND_TYPE && resource.name === "worker-1-prepare-volume",
      );

    it("runs the volume part of prepare-node.sh on the volume's device, with its size", async () => {
      const prepare = script(await planWithVolumes(4242));
      expect(prepare?.inputs.create).toContain("export NODE_NAME='dev-worker-1'");
      expect(prepare?.inputs.create).toContain("export VOLUME_ONLY='1'");
      expect(prepare?.inputs.create).toContain("export VOLUME_DEVICE='/dev/disk/by-id/scsi-0HC_Volume_4242'");
      expect(prepare?.inputs.create).toContain("export VOLUME_SIZE_GB='20'");
      expect(prepare?.inputs.create).toContain(readNodeScript("prepare-node"));
      // No secrets: nothing on standard input.
      expect(prepare?.inputs.create).not.toContain('eval "$(cat)"');
      expect(prepare?.inputs.stdin).toBeUndefined();
    });

    it("updates the same command, with the new size, when the volume grows", async () => {
      const before = script(await planWithVolumes(4242));
      const after = script(await planWithVolumes(4242, (config) => volumeOf(config, "worker-1", 40)));
      expect(after?.urn).toBe(before?.urn);
      expect(after?.inputs.update).toBe(after?.inputs.create);
      expect(after?.inputs.update).toContain("export VOLUME_SIZE_GB='40'");
      // Only the size differs; an update runs `update`, so the grown volume is prepared again.
      expect(after?.inputs.update).toBe(
        String(before?.inputs.update).replace("VOLUME_SIZE_GB='20'", "VOLUME_SIZE_GB='40'"),
      );
      // The command type replaces itself only on a change of `triggers`, which this one does not set.
      expect(after?.inputs.triggers).toBeUndefined();
      expect(after?.options.replaceOnChanges).toEqual(["triggers[*]"]);
      expect(after?.options.deleteBeforeReplace).toBe(false);
    });

    it("updates it with the new device when the volume is replaced", async () => {
      const before = script(await planWithVolumes(4242));
      const after = script(await planWithVolumes(5151));
      expect(after?.urn).toBe(before?.urn);
      expect(after?.inputs.update).toContain("export VOLUME_DEVICE='/dev/disk/by-id/scsi-0HC_Volume_5151'");
      expect(after?.inputs.update).not.toBe(before?.inputs.update);
    });
  });
});

function volumeOf(config: StackConfig, node: string, sizeGb: number): void {
  const entry = config.nodes.find((candidate) => candidate.name === node);
  if (!entry) throw new Error(`the stack has no node ${node}`);
  entry.volumeSizeGb = sizeGb;
}

/**
 * The program as a preview of a deployed stack sees it: its volumes exist (with this id, and the device
 * and size Hetzner reports), while the offline plan's mocks know nothing the cloud assigns.
 */
async function planWithVolumes(
  volumeId: number,
  edit?: (config: StackConfig) => void,
): Promise<PlannedResource[]> {
  const records = await recordProgram(
    editedConfig("dev", edit),
    (args) =>
      args.type === TYPES.volume
        ? {
            id: String(volumeId),
            state: { ...args.inputs, linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${volumeId}` },
          }
        : { id: undefined, state: {} },
    true,
  );
  return records.map((record) => ({
    urn: record.urn,
    type: record.type,
    name: record.name,
    parent: record.parent,
    dependencies: record.dependencies,
    inputs: maskInputs(record.rawInputs).value as Record<string, unknown>,
    secretInputs: [],
    options: record.options,
  }));
}
