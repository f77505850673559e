import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { Qmp } from "./qmp";
import { ssh, type KeyPair } from "./ssh";

/**
 * A Hetzner server as the node tier has it: a Debian VM under QEMU (software emulation), its first boot
 * configured by a NoCloud seed holding the user data and meta-data Hetzner would hand it, a public and a
 * private NIC on the tier's bridges, and volumes attached, grown and detached the way Hetzner's API does
 * it, as SCSI disks whose serial is the volume ID.
 */

export interface NodeTierEnvironment {
  /** The image directories of test/node/image/build.sh, by Hetzner image name (`debian-12`). */
  imageDirs: Record<string, string>;
  workDir: string;
}

export function nodeTierEnvironment(): NodeTierEnvironment {
  const { NODE_TIER_IMAGES, NODE_TIER_WORK } = process.env;
  if (!NODE_TIER_IMAGES || !NODE_TIER_WORK) {
    throw new Error(
      'the node tier runs through "npm run test:node" (test/node/run.sh), which builds the images and the ' +
        "network first; NODE_TIER_IMAGES or NODE_TIER_WORK is not set",
    );
  }
  const imageDirs = Object.fromEntries(NODE_TIER_IMAGES.split(" ").map((entry) => entry.split("=", 2)));
  return { imageDirs, workDir: NODE_TIER_WORK };
}

/** The tier's bridges (test/node/run.sh): a TEST-NET "public" network and Hetzner's private network. */
export const PUBLIC_GATEWAY = "203.0.113.1";
export const PRIVATE_GATEWAY = "10.0.0.1";

export interface VmSpec {
  /** A small number unique in the run: it names the taps and the MAC addresses. */
  index: number;
  /** The Hetzner image the program asked for (`debian-12`); the tier boots its build of it. */
  image: string;
  hostname: string;
  /** Absent for a private node: the VM then has its private NIC only, as Hetzner's has. */
  publicIp?: string;
  privateIp: string;
  userData: string;
  /** The keys Hetzner puts into the meta-data (the program's provisioning key). */
  publicKeys: string[];
  cpus?: number;
  memoryMb?: number;
}

const GIB = 1024 ** 3;

export class Vm {
  private qmp?: Qmp;
  private process?: ChildProcess;
  private readonly dir: string;
  /** Each NIC's tap, bridge and MAC number (0 public, 1 private, so a NIC keeps its MAC either way). */
  private readonly nics: { tap: string; bridge: string; mac: number }[];
  /** When QEMU started (seconds since the epoch), for the boot figures. */
  private startedAt = 0;

  constructor(
    readonly spec: VmSpec,
    private readonly env: NodeTierEnvironment,
    readonly key: KeyPair,
  ) {
    // A directory of its own even when another test file of the run booted a VM of the same name.
    fs.mkdirSync(env.workDir, { recursive: true });
    this.dir = fs.mkdtempSync(path.join(env.workDir, `vm-${spec.index}-${spec.hostname}-`));
    this.nics = [
      ...(spec.publicIp !== undefined ? [{ tap: `tp${spec.index}`, bridge: "br-public", mac: 0 }] : []),
      { tap: `tv${spec.index}`, bridge: "br-private", mac: 1 },
    ];
  }

  /** QEMU's machine protocol, once the VM has started. */
  private get machine(): Qmp {
    if (!this.qmp) throw new Error(`${this.spec.hostname} has not been started`);
    return this.qmp;
  }

  /** Where the tier reaches the VM: its public address, or a private node's private one. */
  get host(): string {
    return this.spec.publicIp ?? this.spec.privateIp;
  }

  private mac(nic: number): string {
    return `52:54:00:4b:${nic.toString(16).padStart(2, "0")}:${this.spec.index.toString(16).padStart(2, "0")}`;
  }

  private get imageDir(): string {
    const dir = this.env.imageDirs[this.spec.image];
    if (!dir) {
      throw new Error(
        `the program asks for image ${this.spec.image}; the node tier verifies ${Object.keys(this.env.imageDirs).join(", ")}`,
      );
    }
    return dir;
  }

  /** Writes the seed, the overlay and the taps, and starts QEMU; `waitForSsh` waits for the boot. */
  async start(): Promise<void> {
    const seed = this.writeSeed();
    const disk = path.join(this.dir, "disk.qcow2");
    // Copy-on-write over the image: each server's disk starts as the image and keeps its own writes.
    execFileSync("qemu-img", [
      "create",
      "-q",
      "-f",
      "qcow2",
      "-F",
      "qcow2",
      "-b",
      path.join(this.imageDir, "disk.qcow2"),
      disk,
    ]);
    for (const { tap, bridge } of this.nics) {
      execFileSync("ip", ["tuntap", "add", "dev", tap, "mode", "tap"]);
      execFileSync("ip", ["link", "set", tap, "master", bridge, "up"]);
    }
    const qmpSocket = path.join(this.dir, "qmp.sock");
    const args = [
      "-accel",
      "tcg",
      "-m",
      String(this.spec.memoryMb ?? 1024),
      "-smp",
      String(this.spec.cpus ?? 1),
      "-display",
      "none",
      "-serial",
      `file:${path.join(this.dir, "console.log")}`,
      "-monitor",
      "none",
      "-qmp",
      `unix:${qmpSocket},server=on,wait=off`,
      "-kernel",
      path.join(this.imageDir, "vmlinuz"),
      "-initrd",
      path.join(this.imageDir, "initrd.img"),
      // Hetzner's images name the NICs eth0 (public) and eth1 (private) the same way.
      "-append",
      "root=/dev/vda rw console=ttyS0 net.ifnames=0",
      "-drive",
      `file=${disk},if=virtio,format=qcow2`,
      "-drive",
      `file=${seed},if=virtio,format=raw,readonly=on`,
      "-device",
      "virtio-scsi-pci,id=scsi0",
      ...this.nics.flatMap(({ tap, mac }, i) => [
        "-netdev",
        `tap,id=n${i},ifname=${tap},script=no,downscript=no`,
        "-device",
        `virtio-net-pci,netdev=n${i},mac=${this.mac(mac)}`,
      ]),
    ];
    this.process = spawn("qemu-system-x86_64", args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    this.process.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    this.process.on("exit", (code) => {
      if (code) fs.appendFileSync(path.join(this.dir, "qemu.log"), `qemu exited ${code}: ${stderr}\n`);
    });
    this.startedAt = Date.now() / 1000;
    await waitFor(() => fs.existsSync(qmpSocket), 30, `QEMU of ${this.spec.hostname} opened no QMP socket`);
    this.qmp = await Qmp.connect(qmpSocket);
  }

  /** The NoCloud seed: Hetzner's user data and meta-data, and its network (static here, no DHCP server). */
  private writeSeed(): string {
    const files = {
      "user-data": this.spec.userData,
      "meta-data": stringify({
        "instance-id": `node-tier-${this.spec.index}-${this.spec.hostname}`,
        "local-hostname": this.spec.hostname,
        "public-keys": this.spec.publicKeys,
      }),
      "network-config": stringify({
        version: 2,
        ethernets: {
          ...(this.spec.publicIp !== undefined && {
            eth0: {
              match: { macaddress: this.mac(0) },
              addresses: [`${this.spec.publicIp}/24`],
              // cloud-init 22.4 takes no "default" as a route destination.
              routes: [{ to: "0.0.0.0/0", via: PUBLIC_GATEWAY }],
            },
          }),
          // A private node's default route is the program's (its user data), as on Hetzner.
          [this.spec.publicIp !== undefined ? "eth1" : "eth0"]: {
            match: { macaddress: this.mac(1) },
            addresses: [`${this.spec.privateIp}/16`],
          },
        },
      }),
    };
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(this.dir, name), text);
    const seed = path.join(this.dir, "seed.img");
    execFileSync("cloud-localds", [
      `--network-config=${path.join(this.dir, "network-config")}`,
      seed,
      path.join(this.dir, "user-data"),
      path.join(this.dir, "meta-data"),
    ]);
    return seed;
  }

  /** Waits until sshd accepts the program's key; returns the seconds since QEMU started. */
  async waitForSsh(timeoutSeconds = 420): Promise<number> {
    await waitFor(
      async () => (await ssh(this.host, this.key, "true", { timeoutSeconds: 20, redial: false })).code === 0,
      timeoutSeconds,
      `${this.spec.hostname} did not answer SSH within ${timeoutSeconds} s (console: ${this.consolePath})`,
    );
    return this.secondsSinceStart();
  }

  /**
   * Waits until cloud-init has finished this boot. Its first boot restarts sshd after the hardening, so a
   * session opened as SSH first answers can be cut or refused; exit 255 is ssh's own failure, and is retried.
   */
  async waitForCloudInit(timeoutSeconds = 600): Promise<number> {
    await waitFor(
      async () => (await this.run("cloud-init status --wait")).code !== 255,
      timeoutSeconds,
      `${this.spec.hostname}: cloud-init did not finish within ${timeoutSeconds} s (console: ${this.consolePath})`,
    );
    return this.secondsSinceStart();
  }

  secondsSinceStart(): number {
    return Date.now() / 1000 - this.startedAt;
  }

  get consolePath(): string {
    return path.join(this.dir, "console.log");
  }

  async run(command: string, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return ssh(this.host, this.key, command, { stdin });
  }

  async bootId(): Promise<string> {
    return (await this.must("cat /proc/sys/kernel/random/boot_id")).trim();
  }

  async must(command: string, stdin?: string): Promise<string> {
    const result = await this.run(command, stdin);
    if (result.code !== 0) {
      throw new Error(
        `${this.spec.hostname}: '${command.slice(0, 120)}' exited ${result.code}\n${result.stdout}${result.stderr}`,
      );
    }
    return result.stdout;
  }

  /** A clean reboot, as Hetzner's "reboot" (ACPI) asks for one; resolves once SSH answers again. */
  async reboot(): Promise<number> {
    const before = await this.bootId();
    const started = Date.now() / 1000;
    await this.run("systemctl reboot");
    await waitFor(
      async () => {
        const result = await ssh(this.host, this.key, "cat /proc/sys/kernel/random/boot_id", {
          timeoutSeconds: 20,
          redial: false,
        });
        return result.code === 0 && result.stdout.trim() !== before;
      },
      420,
      `${this.spec.hostname} did not come back from a reboot (console: ${this.consolePath})`,
    );
    return Date.now() / 1000 - started;
  }

  /** A volume file of its own: blank, or formatted ext4 the way Hetzner formats a volume created with a format. */
  createVolumeFile(id: number, sizeGb: number, content: "blank" | "ext4" = "blank"): string {
    const file = path.join(this.dir, `volume-${id}.raw`);
    fs.rmSync(file, { force: true });
    execFileSync("truncate", ["-s", String(sizeGb * GIB), file]);
    if (content === "ext4") execFileSync("mkfs.ext4", ["-q", "-F", file]);
    return file;
  }

  /** Attaches a volume to the running server: a SCSI disk, vendor HC, product Volume, serial = the ID. */
  async attachVolume(id: number, file: string): Promise<void> {
    await this.machine.execute("blockdev-add", {
      driver: "raw",
      "node-name": `vol${id}`,
      file: { driver: "file", filename: file },
    });
    await this.machine.execute("device_add", {
      driver: "scsi-hd",
      bus: "scsi0.0",
      drive: `vol${id}`,
      id: `disk${id}`,
      serial: String(id),
      vendor: "HC",
      product: "Volume",
    });
  }

  /** Grows an attached volume, as a Hetzner resize does: the disk grows, the guest is not told. */
  async resizeVolume(id: number, sizeGb: number): Promise<void> {
    await this.machine.execute("block_resize", { "node-name": `vol${id}`, size: sizeGb * GIB });
  }

  /** Detaches a volume as Hetzner does: the guest is asked to let the disk go, then it is gone. */
  async detachVolume(id: number): Promise<void> {
    await this.machine.execute("device_del", { id: `disk${id}` });
    // The guest acknowledges the unplug on its own time; the block node is in use until it has.
    await waitFor(
      async () => {
        try {
          await this.machine.execute("blockdev-del", { "node-name": `vol${id}` });
          return true;
        } catch {
          return false;
        }
      },
      60,
      `${this.spec.hostname} did not release volume ${id}`,
    );
    await waitFor(
      async () => (await this.run(`test ! -e /dev/disk/by-id/scsi-0HC_Volume_${id}`)).code === 0,
      60,
      `${this.spec.hostname} still shows volume ${id} after it was detached`,
    );
  }

  async stop(): Promise<void> {
    this.qmp?.close();
    const qemu = this.process;
    if (qemu && qemu.exitCode === null) {
      const exited = new Promise((resolve) => qemu.once("exit", resolve));
      qemu.kill("SIGKILL");
      await exited;
    }
    for (const { tap } of this.nics) {
      try {
        execFileSync("ip", ["link", "del", tap], { stdio: "ignore" });
      } catch {
        // Already gone with QEMU.
      }
    }
  }
}

export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutSeconds: number,
  message: string,
): Promise<void> {
  const deadline = Date.now() + timeoutSeconds * 1000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 2000));
  }
}
