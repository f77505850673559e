import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { callsTo, findOnPath, realPath, ScriptHarness } from "./harness";

/**
 * prepare-node.sh against a REAL file-backed loop device, with the real blkid, mkfs.ext4, mount,
 * mountpoint, blockdev, dumpe2fs and resize2fs (wrapped only to log their calls). The mount lands inside a temp dir and is undone in
 * afterAll. Needs root and working loop devices; otherwise the tests are skipped with the reason.
 */

const NODE = "worker-1";
const MOUNT = "/var/lib/hetzner-k8s/volume";
const MB = 1024 * 1024;
const REAL_TOOLS = ["blkid", "mkfs.ext4", "mount", "mountpoint", "blockdev", "dumpe2fs", "resize2fs"];

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: "utf8", env: { PATH: realPath() }, stdio: "pipe" }).trim();
}

function loopDevicesUnavailable(): string | undefined {
  if (process.platform !== "linux") return `not Linux (${process.platform})`;
  if (process.getuid?.() !== 0) return "not running as root";
  if (!fs.existsSync("/dev/loop-control") && !fs.readdirSync("/dev").some((f) => /^loop\d+$/.test(f))) {
    return "no /dev/loop* devices";
  }
  for (const tool of REAL_TOOLS.concat("losetup", "umount")) {
    if (!findOnPath(tool)) return `${tool} is not installed`;
  }
  try {
    sh("losetup", ["-f"]);
  } catch (error) {
    return `'losetup -f' failed: ${(error as Error).message.split("\n")[0]}`;
  }
  return undefined;
}

const skipReason = loopDevicesUnavailable();
if (skipReason) {
  console.warn(`prepare-node.loop.test.ts: skipping the real loop-device tests: ${skipReason}`);
}
const itWithLoop = skipReason ? it.skip : it;
const suffix = skipReason ? ` [skipped: ${skipReason}]` : "";

/** The kernel grows a mounted ext4 only for CAP_SYS_RESOURCE, which containers often drop. */
function onlineResizeUnavailable(): string | undefined {
  if (skipReason) return skipReason;
  const effective = /^CapEff:\s+([0-9a-f]+)$/m.exec(fs.readFileSync("/proc/self/status", "utf8"))?.[1];
  const CAP_SYS_RESOURCE = 24n;
  if (effective === undefined || ((BigInt(`0x${effective}`) >> CAP_SYS_RESOURCE) & 1n) === 0n) {
    return "no CAP_SYS_RESOURCE, so the kernel refuses to grow a mounted ext4";
  }
  return undefined;
}
const resizeSkipReason = onlineResizeUnavailable();
if (resizeSkipReason && !skipReason) {
  console.warn(`prepare-node.loop.test.ts: skipping the real online resize: ${resizeSkipReason}`);
}
const itWithResize = resizeSkipReason ? it.skip : it;
const resizeSuffix = resizeSkipReason ? ` [skipped: ${resizeSkipReason}]` : "";

describe("prepare-node.sh with a real loop device", () => {
  const work = skipReason ? "" : fs.mkdtempSync(path.join(os.tmpdir(), "hk-loop-"));
  const harnesses: ScriptHarness[] = [];
  const loops: string[] = [];

  /** Attaches a fresh 20 MB image file as a loop device. */
  function attachLoop(name: string): string {
    const image = path.join(work, `${name}.img`);
    fs.writeFileSync(image, "");
    fs.truncateSync(image, 20 * MB);
    const device = sh("losetup", ["-f", "--show", image]);
    loops.push(device);
    return device;
  }

  function harness(): ScriptHarness {
    const h = new ScriptHarness({ passthrough: REAL_TOOLS });
    harnesses.push(h);
    return h;
  }

  afterAll(() => {
    for (const h of harnesses) {
      const target = h.rootPath(MOUNT);
      try {
        sh("mountpoint", ["-q", target]);
        sh("umount", [target]);
      } catch {
        // not mounted
      }
      h.cleanup();
    }
    for (const device of loops) sh("losetup", ["-d", device]);
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  itWithLoop(
    `mounts an existing filesystem without reformatting it: the marker file survives${suffix}`,
    () => {
      const device = attachLoop("existing");
      sh("mkfs.ext4", ["-q", "-L", "existing", device]);
      const uuid = sh("blkid", ["-p", "-s", "UUID", "-o", "value", device]);
      const scratch = fs.mkdtempSync(path.join(work, "scratch-"));
      sh("mount", [device, scratch]);
      fs.writeFileSync(path.join(scratch, "marker.txt"), "precious data\n");
      sh("umount", [scratch]);

      const h = harness();
      const env = { NODE_NAME: NODE, VOLUME_DEVICE: device };
      const first = h.run("prepare-node.sh", env);
      expect(first.stderr).toBe("");
      expect(first.status).toBe(0);
      expect(callsTo(first.calls, "mkfs.ext4")).toEqual([]);
      expect(callsTo(first.calls, "mount")).toHaveLength(1);
      expect(fs.readFileSync(path.join(h.rootPath(MOUNT), "marker.txt"), "utf8")).toBe("precious data\n");
      expect(h.readRootFile("/etc/fstab")).toBe(`UUID=${uuid} ${MOUNT} ext4 defaults,nofail 0 2\n`);

      const second = h.run("prepare-node.sh", env);
      expect(second.status).toBe(0);
      expect(callsTo(second.calls, "mkfs.ext4")).toEqual([]);
      expect(callsTo(second.calls, "mount")).toEqual([]);
      expect(second.stdout).toContain("nothing changed");
      expect(sh("blkid", ["-p", "-s", "UUID", "-o", "value", device])).toBe(uuid);
    },
  );

  itWithLoop(`formats a really blank device exactly once and mounts it${suffix}`, () => {
    const device = attachLoop("blank");
    const h = harness();
    const env = { NODE_NAME: NODE, VOLUME_DEVICE: device, VOLUME_LABEL: "hk-test" };

    const first = h.run("prepare-node.sh", env);
    expect(first.status).toBe(0);
    expect(callsTo(first.calls, "mkfs.ext4")).toEqual([`-q -L hk-test ${device}`]);
    expect(sh("blkid", ["-p", "-s", "LABEL", "-o", "value", device])).toBe("hk-test");
    const uuid = sh("blkid", ["-p", "-s", "UUID", "-o", "value", device]);
    fs.writeFileSync(path.join(h.rootPath(MOUNT), "written-after-format.txt"), "kept\n");

    // Unmount, as after a reboot without fstab: the second run must mount again, never format again.
    sh("umount", [h.rootPath(MOUNT)]);
    const second = h.run("prepare-node.sh", env);
    expect(second.status).toBe(0);
    expect(callsTo(second.calls, "mkfs.ext4")).toEqual([]);
    expect(callsTo(second.calls, "mount")).toHaveLength(1);
    expect(fs.readFileSync(path.join(h.rootPath(MOUNT), "written-after-format.txt"), "utf8")).toBe("kept\n");
    expect(sh("blkid", ["-p", "-s", "UUID", "-o", "value", device])).toBe(uuid);
    expect(h.readRootFile("/etc/fstab").match(/UUID=/g)).toHaveLength(1);
  });

  itWithResize(
    `grows a mounted ext4 filesystem online when its device grew, and only once${resizeSuffix}`,
    () => {
      const device = attachLoop("grown");
      const h = harness();
      const env = { NODE_NAME: NODE, VOLUME_DEVICE: device };
      expect(h.run("prepare-node.sh", env).status).toBe(0);
      fs.writeFileSync(path.join(h.rootPath(MOUNT), "marker.txt"), "precious data\n");
      const fsBytes = () => {
        const superblock = sh("dumpe2fs", ["-h", device]);
        const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)$`, "m").exec(superblock)?.[1]);
        return field("Block count") * field("Block size");
      };
      expect(fsBytes()).toBe(20 * MB);

      // As Hetzner grows a volume: the disk grows under the mounted filesystem, then the kernel sees it.
      fs.truncateSync(path.join(work, "grown.img"), 48 * MB);
      sh("losetup", ["-c", device]);
      const grow = h.run("prepare-node.sh", { ...env, VOLUME_ONLY: "1" });
      expect(grow.stderr).toBe("");
      expect(grow.status).toBe(0);
      expect(callsTo(grow.calls, "resize2fs")).toEqual([device]);
      expect(callsTo(grow.calls, "mkfs.ext4")).toEqual([]);
      expect(fsBytes()).toBe(48 * MB);
      expect(fs.readFileSync(path.join(h.rootPath(MOUNT), "marker.txt"), "utf8")).toBe("precious data\n");

      const again = h.run("prepare-node.sh", { ...env, VOLUME_ONLY: "1" });
      expect(again.status).toBe(0);
      expect(callsTo(again.calls, "resize2fs")).toEqual([]);
      expect(again.stdout).toContain("volume already prepared; nothing changed");
    },
  );
});
