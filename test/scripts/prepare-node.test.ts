import * as fs from "node:fs";
import { callsTo, failureLine, ScriptHarness } from "./harness";

const NODE = "cp-1";
const EXISTING_UUID = "7d9c4b7e-0c1a-4c41-9d55-0a3c9a2b1f00";
const MOUNT = "/var/lib/hetzner-k8s/volume";

describe("prepare-node.sh", () => {
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
  });
  afterEach(() => h.cleanup());

  const snapshot = (files: string[]) =>
    files.map((file) => {
      const stat = fs.statSync(h.rootPath(file));
      return { file, content: h.readRootFile(file), mtimeMs: stat.mtimeMs };
    });

  it("first run waits for cloud-init, writes modules and sysctls, formats a blank volume and mounts it", () => {
    const device = h.fakeDevice("volume");
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device });

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "cloud-init")).toEqual(["status --wait"]);
    expect(h.readRootFile("/etc/modules-load.d/k3s.conf")).toBe("overlay\nbr_netfilter\n");
    expect(callsTo(result.calls, "modprobe")).toEqual(["overlay", "br_netfilter"]);
    const sysctls = h.readRootFile("/etc/sysctl.d/90-k3s.conf");
    for (const line of [
      "net.ipv4.ip_forward = 1",
      "net.bridge.bridge-nf-call-iptables = 1",
      "net.bridge.bridge-nf-call-ip6tables = 1",
      "fs.inotify.max_user_instances = 8192",
      "fs.inotify.max_user_watches = 524288",
    ]) {
      expect(sysctls).toContain(line);
    }
    expect(callsTo(result.calls, "sysctl")).toEqual(["--system"]);
    // Modules are loaded before the sysctls are applied: net.bridge.* only exists with br_netfilter.
    expect(result.calls.findIndex((c) => c.startsWith("modprobe br_netfilter"))).toBeLessThan(
      result.calls.indexOf("sysctl --system"),
    );
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([`-q -L hk-volume ${device}`]);
    expect(h.readRootFile("/etc/fstab")).toBe(
      `UUID=0b5e7c3a-1111-4222-8333-444455556666 ${MOUNT} ext4 defaults,nofail 0 2\n`,
    );
    expect(fs.statSync(h.rootPath(MOUNT)).isDirectory()).toBe(true);
    expect(callsTo(result.calls, "mount")).toEqual([`-t ext4 -o defaults ${device} ${h.rootPath(MOUNT)}`]);
    expect(result.stdout).toMatch(/node prepared \(\d+ changes\)/);
  });

  it("second run is a no-op: no modprobe, sysctl --system, mkfs or mount, and files are untouched", () => {
    const device = h.fakeDevice("volume");
    const env = { NODE_NAME: NODE, VOLUME_DEVICE: device };
    expect(h.run("prepare-node.sh", env).status).toBe(0);
    const files = ["/etc/modules-load.d/k3s.conf", "/etc/sysctl.d/90-k3s.conf", "/etc/fstab"];
    const before = snapshot(files);

    const second = h.run("prepare-node.sh", env);

    expect(second.status).toBe(0);
    expect(second.stderr).toBe("");
    for (const command of ["modprobe", "sysctl", "mkfs.ext4", "mount"]) {
      expect(callsTo(second.calls, command)).toEqual([]);
    }
    expect(snapshot(files)).toEqual(before);
    expect(second.stdout).toContain("node already prepared; nothing changed");
    expect(second.stdout).toContain("already holds ext4");
    expect(second.stdout).toContain(`${MOUNT} is already mounted`);
  });

  it("mounts, and never formats, a device that already holds a filesystem", () => {
    const device = h.fakeDevice("volume", `UUID=${EXISTING_UUID}\nTYPE=ext4\n`);
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device });

    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([]);
    expect(fs.readFileSync(device, "utf8")).toBe(`UUID=${EXISTING_UUID}\nTYPE=ext4\n`);
    expect(callsTo(result.calls, "mount")).toHaveLength(1);
    expect(h.readRootFile("/etc/fstab")).toContain(`UUID=${EXISTING_UUID} ${MOUNT} ext4 defaults,nofail 0 2`);
  });

  it("keeps a non-ext4 filesystem as it is and records its real type", () => {
    const device = h.fakeDevice("volume", `UUID=${EXISTING_UUID}\nTYPE=xfs\n`);
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device });

    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([]);
    expect(callsTo(result.calls, "mount")[0]).toMatch(/^-t xfs /);
    expect(h.readRootFile("/etc/fstab")).toContain(`UUID=${EXISTING_UUID} ${MOUNT} xfs defaults,nofail 0 2`);
  });

  it("formats a blank device exactly once over two runs, with the requested label", () => {
    const device = h.fakeDevice("volume");
    const env = { NODE_NAME: NODE, VOLUME_DEVICE: device, VOLUME_LABEL: "data" };
    h.run("prepare-node.sh", env);
    h.run("prepare-node.sh", env);

    expect(callsTo(h.allCalls(), "mkfs.ext4")).toEqual([`-q -L data ${device}`]);
  });

  it("adds the fstab entry by UUID once after two runs and keeps existing entries", () => {
    h.writeRootFile("/etc/fstab", "UUID=aaaa / ext4 defaults 0 1"); // no final newline
    const device = h.fakeDevice("volume", `UUID=${EXISTING_UUID}\nTYPE=ext4\n`);
    const env = { NODE_NAME: NODE, VOLUME_DEVICE: device };
    h.run("prepare-node.sh", env);
    h.run("prepare-node.sh", env);

    const lines = h.readRootFile("/etc/fstab").split("\n").filter(Boolean);
    expect(lines).toEqual([
      "UUID=aaaa / ext4 defaults 0 1",
      `UUID=${EXISTING_UUID} ${MOUNT} ext4 defaults,nofail 0 2`,
    ]);
  });

  it("refuses to format or mount a device whose probe fails", () => {
    const device = h.fakeDevice("volume");
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device, STUB_BLKID_EXIT: "4" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-filesystem"));
    expect(result.stderr).toContain("refusing to format");
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([]);
    expect(callsTo(result.calls, "mount")).toEqual([]);
  });

  it("refuses to format a device that holds a partition table", () => {
    const device = h.fakeDevice("volume", "PTTYPE=gpt\n");
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-filesystem"));
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([]);
  });

  it.each(["swap", "crypto_LUKS", "btrfs"])("refuses to format or mount a device that holds %s", (type) => {
    const device = h.fakeDevice("volume", `UUID=${EXISTING_UUID}\nTYPE=${type}\n`);
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-filesystem"));
    expect(result.stderr).toContain(`holds ${type}, not ext4 or xfs`);
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([]);
    expect(callsTo(result.calls, "mount")).toEqual([]);
    expect(fs.existsSync(h.rootPath("/etc/fstab"))).toBe(false);
  });

  it("refuses to add a second fstab entry for a mount point that is already taken", () => {
    h.writeRootFile("/etc/fstab", `/dev/sdz ${MOUNT} ext4 defaults 0 2\n`);
    const device = h.fakeDevice("volume", `UUID=${EXISTING_UUID}\nTYPE=ext4\n`);
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-fstab"));
    expect(h.readRootFile("/etc/fstab")).toBe(`/dev/sdz ${MOUNT} ext4 defaults 0 2\n`);
  });

  it("waits for a volume device that appears late", () => {
    const device = h.rootPath("/dev/late-volume");
    const attach = h.background(`sleep 0.5; mkdir -p "$(dirname "$1")"; : >"$1"`, [device]);
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device, DEVICE_TIMEOUT: "10" });
    attach.kill();

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "mount")).toHaveLength(1);
  });

  it("fails, naming node and step, when the volume device never appears", () => {
    const result = h.run("prepare-node.sh", {
      NODE_NAME: NODE,
      VOLUME_DEVICE: "/nonexistent/scsi-0HC_Volume_1",
      DEVICE_TIMEOUT: "1",
    });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-wait"));
    expect(result.stderr).toContain("did not appear within 1s");
  });

  it("fails, naming node and step, when cloud-init does not finish within CLOUD_INIT_TIMEOUT", () => {
    const started = Date.now();
    const result = h.run("prepare-node.sh", {
      NODE_NAME: NODE,
      CLOUD_INIT_TIMEOUT: "1",
      STUB_CLOUD_INIT_SLEEP: "30",
    });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "cloud-init"));
    expect(result.stderr).toContain("did not finish within 1s");
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(callsTo(result.calls, "modprobe")).toEqual([]);
  });

  it("fails on a cloud-init error but continues on recoverable errors (exit 2)", () => {
    const failed = h.run("prepare-node.sh", { NODE_NAME: NODE, STUB_CLOUD_INIT_EXIT: "1" });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(failureLine(NODE, "cloud-init"));

    const recoverable = h.run("prepare-node.sh", { NODE_NAME: NODE, STUB_CLOUD_INIT_EXIT: "2" });
    expect(recoverable.status).toBe(0);
    expect(recoverable.stdout).toContain("recoverable errors");
  });

  it("re-applies sysctls on the next run when sysctl --system failed", () => {
    const failed = h.run("prepare-node.sh", { NODE_NAME: NODE, STUB_SYSCTL_EXIT: "1" });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(failureLine(NODE, "sysctl"));

    const retried = h.run("prepare-node.sh", { NODE_NAME: NODE });
    expect(retried.status).toBe(0);
    expect(callsTo(retried.calls, "sysctl")).toEqual(["--system"]);
  });

  it("requires NODE_NAME", () => {
    const result = h.run("prepare-node.sh", {});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine("<unset>", "check-env"));
  });

  it("skips the volume steps without VOLUME_DEVICE", () => {
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE });
    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "blkid")).toEqual([]);
    expect(fs.existsSync(h.rootPath("/etc/fstab"))).toBe(false);
  });
});

describe("prepare-node.sh on a volume that appears or grows on a running node (VOLUME_ONLY=1)", () => {
  const GIB = 2 ** 30;
  const EXT4 = `UUID=${EXISTING_UUID}\nTYPE=ext4\n`;
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
  });
  afterEach(() => h.cleanup());

  /** A mounted 20 GiB Hetzner volume whose ext4 fills it, prepared by the node's bootstrap. */
  function preparedVolume(content = EXT4) {
    const volume = h.fakeScsiVolume(4242, "sdb", content);
    const bootstrap = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: volume.device });
    expect(bootstrap.stderr).toBe("");
    expect(bootstrap.status).toBe(0);
    return volume;
  }
  const volumeOnly = (device: string, env: Record<string, string> = {}) =>
    h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device, VOLUME_ONLY: "1", ...env });

  it("formats, records and mounts a volume added to a running node, without the node steps", () => {
    const { device } = h.fakeScsiVolume(4242, "sdb");
    const result = volumeOnly(device, { VOLUME_SIZE_GB: "20" });

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    for (const command of ["cloud-init", "modprobe", "sysctl"])
      expect(callsTo(result.calls, command)).toEqual([]);
    expect(fs.existsSync(h.rootPath("/etc/sysctl.d/90-k3s.conf"))).toBe(false);
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([`-q -L hk-volume ${device}`]);
    expect(h.readRootFile("/etc/fstab")).toContain(` ${MOUNT} ext4 defaults,nofail 0 2`);
    expect(callsTo(result.calls, "mount")).toHaveLength(1);
    // A fresh filesystem fills its device: nothing to grow.
    expect(callsTo(result.calls, "resize2fs")).toEqual([]);
    expect(result.stdout).toMatch(/volume prepared \(\d+ changes\)/);
  });

  it("rescans the SCSI disk, then grows the mounted ext4 online to the larger device", () => {
    const { device, rescan } = preparedVolume();
    h.growAfterRescan(device, 30 * GIB);

    const result = volumeOnly(device, { VOLUME_SIZE_GB: "30" });

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    // blockdev only reports the new size once the disk was rescanned, so reaching it proves the order.
    expect(h.readRootFile(rescan)).toBe("1\n");
    expect(callsTo(result.calls, "resize2fs")).toEqual([device]);
    expect(h.filesystemBytes(device)).toBe(30 * GIB);
    for (const command of ["mkfs.ext4", "mount", "cloud-init", "modprobe"]) {
      expect(callsTo(result.calls, command)).toEqual([]);
    }
    expect(result.stdout).toContain(`growing the ext4 filesystem on ${device} online`);
    expect(result.stdout).toContain("volume prepared (1 changes)");
  });

  it("changes nothing on a second run after growing, and says so", () => {
    const { device } = preparedVolume();
    h.growAfterRescan(device, 30 * GIB);
    expect(volumeOnly(device, { VOLUME_SIZE_GB: "30" }).status).toBe(0);
    const fstab = h.readRootFile("/etc/fstab");

    const second = volumeOnly(device, { VOLUME_SIZE_GB: "30" });

    expect(second.stderr).toBe("");
    expect(second.status).toBe(0);
    for (const command of ["resize2fs", "mkfs.ext4", "mount"])
      expect(callsTo(second.calls, command)).toEqual([]);
    expect(h.filesystemBytes(device)).toBe(30 * GIB);
    expect(h.readRootFile("/etc/fstab")).toBe(fstab);
    expect(second.stdout).toContain("already fills");
    expect(second.stdout).toContain("volume already prepared; nothing changed");
  });

  it("does not resize a filesystem as large as its device, nor for a tail smaller than a block group", () => {
    const { device } = preparedVolume();
    const equal = volumeOnly(device, { VOLUME_SIZE_GB: "20" });
    expect(equal.status).toBe(0);
    expect(callsTo(equal.calls, "resize2fs")).toEqual([]);
    expect(equal.stdout).toContain("volume already prepared; nothing changed");

    // resize2fs leaves such a tail unused: resizing for it would "change" something on every run.
    h.setDeviceBytes(device, 20 * GIB + 64 * 2 ** 20);
    const tail = volumeOnly(device);
    expect(tail.status).toBe(0);
    expect(callsTo(tail.calls, "resize2fs")).toEqual([]);
    expect(tail.stdout).toContain("nothing changed");
  });

  it("grows from the size the kernel reports when the disk has no SCSI rescan file", () => {
    const device = h.fakeDevice("vdb", EXT4);
    h.setFilesystemBytes(device, 20 * GIB);
    h.setDeviceBytes(device, 25 * GIB);
    const result = volumeOnly(device);

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("not a SCSI disk");
    expect(callsTo(result.calls, "resize2fs")).toEqual([device]);
    expect(h.filesystemBytes(device)).toBe(25 * GIB);
  });

  it("grows the filesystem in a full run too (the bootstrap of a node whose volume was grown before)", () => {
    const { device } = h.fakeScsiVolume(4242, "sdb", EXT4);
    h.setFilesystemBytes(device, 10 * GIB);
    const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device });

    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "resize2fs")).toEqual([device]);
    expect(h.filesystemBytes(device)).toBe(20 * GIB);
  });

  it("refuses to touch a device smaller than its filesystem", () => {
    const { device } = preparedVolume();
    h.setDeviceBytes(device, 10 * GIB);
    const result = volumeOnly(device);

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-grow"));
    expect(result.stderr).toContain("smaller than its ext4 filesystem");
    expect(callsTo(result.calls, "resize2fs")).toEqual([]);
    expect(callsTo(result.calls, "mkfs.ext4")).toEqual([]);
    expect(h.filesystemBytes(device)).toBe(20 * GIB);
  });

  it("fails, without resizing, when the kernel never sees the volume's new size", () => {
    const { device, rescan } = preparedVolume();
    const result = volumeOnly(device, { VOLUME_SIZE_GB: "30", DEVICE_TIMEOUT: "1" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-grow"));
    expect(result.stderr).toContain(`less than the volume's 30 GB (VOLUME_SIZE_GB)`);
    expect(h.readRootFile(rescan)).toBe("1\n");
    expect(callsTo(result.calls, "blockdev").length).toBeGreaterThan(1);
    expect(callsTo(result.calls, "resize2fs")).toEqual([]);
  });

  it("leaves a non-ext4 filesystem at its size on a larger device", () => {
    const { device } = preparedVolume(`UUID=${EXISTING_UUID}\nTYPE=xfs\n`);
    h.setDeviceBytes(device, 30 * GIB);
    const result = volumeOnly(device);

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("holds xfs; only ext4 is grown here");
    expect(callsTo(result.calls, "dumpe2fs")).toEqual([]);
    expect(callsTo(result.calls, "resize2fs")).toEqual([]);
  });

  it("refuses to resize when it cannot read the ext4 superblock", () => {
    const { device } = preparedVolume();
    h.setDeviceBytes(device, 30 * GIB);
    const result = volumeOnly(device, { STUB_DUMPE2FS_EXIT: "8" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-grow"));
    expect(result.stderr).toContain("dumpe2fs cannot read the ext4 superblock");
    expect(callsTo(result.calls, "resize2fs")).toEqual([]);
  });

  it("fails with resize2fs's message when it fails, and a re-run tries again", () => {
    const { device } = preparedVolume();
    h.setDeviceBytes(device, 30 * GIB);
    const failed = volumeOnly(device, { STUB_RESIZE2FS_EXIT: "1" });
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(failureLine(NODE, "volume-grow"));
    expect(failed.stderr).toContain("resize2fs stub: failing");

    const retried = volumeOnly(device);
    expect(retried.status).toBe(0);
    expect(callsTo(retried.calls, "resize2fs")).toEqual([device]);
    expect(h.filesystemBytes(device)).toBe(30 * GIB);
  });

  it("fails when resize2fs reports success but the filesystem did not grow", () => {
    const { device } = preparedVolume();
    h.setDeviceBytes(device, 30 * GIB);
    const result = volumeOnly(device, { STUB_RESIZE2FS_NOOP: "1" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "volume-grow"));
    expect(result.stderr).toContain("still");
  });

  it("checks its volume settings", () => {
    const noDevice = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_ONLY: "1" });
    expect(noDevice.status).not.toBe(0);
    expect(noDevice.stderr).toMatch(failureLine(NODE, "check-env"));
    expect(noDevice.stderr).toContain("needs VOLUME_DEVICE");
    expect(callsTo(noDevice.calls, "cloud-init")).toEqual([]);

    const device = h.fakeDevice("volume", EXT4);
    const invalid: Record<string, string>[] = [
      { VOLUME_ONLY: "yes" },
      { VOLUME_SIZE_GB: "20G" },
      { VOLUME_SIZE_GB: "0" },
    ];
    for (const env of invalid) {
      const result = h.run("prepare-node.sh", { NODE_NAME: NODE, VOLUME_DEVICE: device, ...env });
      expect([env, result.status]).not.toEqual([env, 0]);
      expect(result.stderr).toMatch(failureLine(NODE, "check-env"));
      expect(result.calls).toEqual([]);
    }
  });
});
