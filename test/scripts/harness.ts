import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { readScriptWithPrelude } from "../../src/remote/remoteScript";

/**
 * Runs the node scripts the way the Pulumi program does (`VAR=... bash -s` with scripts/prelude.sh and
 * the script on stdin) against a temporary HK_ROOT, with stub commands on PATH in front of the real PATH
 * (so bash and coreutils stay real). Every stub appends `<name> <args...>` to a calls log; its behaviour is steered
 * by STUB_* environment variables and by state files in `stateDir`, so stubs stay consistent with each
 * other (mkfs.ext4 writes a "filesystem" that blkid then reports, mount makes mountpoint succeed, ...).
 */

export const SCRIPTS_DIR = path.resolve(__dirname, "../../scripts");

export type ScriptName =
  | "prepare-node.sh"
  | "install-k3s.sh"
  | "fetch-kubeconfig.sh"
  | "drain-node.sh"
  | "restore-etcd.sh"
  | "report-node-identity.sh"
  | "prepare-gateway.sh";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
  /** Calls made during this run only, one `<command> <args...>` line each. */
  calls: string[];
}

export interface HarnessOptions {
  /** Commands to log but then run for real (e.g. blkid and mount against a loop device). */
  passthrough?: string[];
}

/** Default size of a fake device (20 GiB), for blockdev and the filesystems made on it. */
export const DEFAULT_DEVICE_BYTES = 20 * 2 ** 30;

/**
 * Shared by the stubs that know a device's size: state files are keyed by the device's real path, so a
 * /dev/disk/by-id style symlink and its target are one device.
 */
const DEVICE_STATE = `real=$(readlink -f "\${!#}")
key=$(printf '%s' "$real" | tr / _)
device_bytes() { cat "$STUB_STATE/bytes$key" 2>/dev/null || echo ${DEFAULT_DEVICE_BYTES}; }`;

/** Default stub bodies. They run after the common prelude, which logs the call. */
const DEFAULT_STUBS: Record<string, string> = {
  "cloud-init": `
if [[ -n \${STUB_CLOUD_INIT_SLEEP:-} ]]; then exec sleep "$STUB_CLOUD_INIT_SLEEP"; fi
exit "\${STUB_CLOUD_INIT_EXIT:-0}"`,

  // Loading a module makes it appear in /sys/module, as on a real kernel.
  modprobe: `
mkdir -p "$HK_ROOT/sys/module/\${!#}"
exit "\${STUB_MODPROBE_EXIT:-0}"`,

  sysctl: `exit "\${STUB_SYSCTL_EXIT:-0}"`,

  // A fake device is a regular file: empty means blank, otherwise it holds blkid's export output.
  blkid: `
dev="\${!#}"
if [[ -n \${STUB_BLKID_EXIT:-} ]]; then exit "$STUB_BLKID_EXIT"; fi
if [[ -s $dev ]]; then cat "$dev"; exit 0; fi
exit 2`,

  // The new filesystem fills the device, as the real mkfs.ext4 makes it.
  "mkfs.ext4": `
label=""
while getopts "qL:" opt; do case $opt in q) ;; L) label=$OPTARG ;; *) exit 64 ;; esac; done
shift $((OPTIND - 1))
printf 'UUID=%s\\nTYPE=ext4\\nLABEL=%s\\n' "\${STUB_MKFS_UUID:-0b5e7c3a-1111-4222-8333-444455556666}" "$label" >"$1"
${DEVICE_STATE}
echo $(( $(device_bytes) / 4096 )) >"$STUB_STATE/fs-blocks$key"`,

  // Only \`blockdev --getsize64\`. A size set with ScriptHarness.growAfterRescan is what the "kernel"
  // reports only once the script has written to the disk's rescan file under HK_ROOT/sys/block.
  blockdev: `
[[ $# == 2 && $1 == --getsize64 ]] || { echo "blockdev stub: unsupported arguments: $*" >&2; exit 64; }
if [[ -n \${STUB_BLOCKDEV_EXIT:-} ]]; then exit "$STUB_BLOCKDEV_EXIT"; fi
${DEVICE_STATE}
rescan="$HK_ROOT/sys/block/$(basename "$real")/device/rescan"
if [[ -e "$STUB_STATE/pending-bytes$key" && -s $rescan ]]; then
  mv "$STUB_STATE/pending-bytes$key" "$STUB_STATE/bytes$key"
fi
device_bytes`,

  // Only \`dumpe2fs -h\`: a 4 KiB-block ext4 superblock whose block count is the fs-blocks state file. A
  // filesystem made before the test (no state yet) fills its device as it is when first read, and keeps
  // that size when the device grows later.
  dumpe2fs: `
[[ $# == 2 && $1 == -h ]] || { echo "dumpe2fs stub: unsupported arguments: $*" >&2; exit 64; }
echo "dumpe2fs 1.47.0 (5-Feb-2023)" >&2
if [[ -n \${STUB_DUMPE2FS_EXIT:-} ]]; then exit "$STUB_DUMPE2FS_EXIT"; fi
${DEVICE_STATE}
[[ -e "$STUB_STATE/fs-blocks$key" ]] || echo $(( $(device_bytes) / 4096 )) >"$STUB_STATE/fs-blocks$key"
blocks=$(cat "$STUB_STATE/fs-blocks$key")
printf '%s\\n' "Filesystem volume name:   hk-volume" "Block count:              $blocks" \\
  "Reserved block count:     0" "Block size:               4096" "Blocks per group:         32768"`,

  // Grows the filesystem to the device's size; STUB_RESIZE2FS_NOOP=1 succeeds without growing anything.
  resize2fs: `
if [[ -n \${STUB_RESIZE2FS_EXIT:-} ]]; then echo "resize2fs stub: failing" >&2; exit "$STUB_RESIZE2FS_EXIT"; fi
[[ -n \${STUB_RESIZE2FS_NOOP:-} ]] && exit 0
${DEVICE_STATE}
echo $(( $(device_bytes) / 4096 )) >"$STUB_STATE/fs-blocks$key"
echo "The filesystem on \${!#} is now $(( $(device_bytes) / 4096 )) (4k) blocks long."`,

  mount: `
[[ \${STUB_MOUNT_EXIT:-0} == 0 ]] || exit "$STUB_MOUNT_EXIT"
mkdir -p "$STUB_STATE/mounts"
: >"$STUB_STATE/mounts/$(printf '%s' "\${!#}" | tr / _)"`,

  mountpoint: `[[ -e "$STUB_STATE/mounts/$(printf '%s' "\${!#}" | tr / _)" ]]`,

  // Tracks service state in files: active-<unit> exists while the unit is "running".
  systemctl: `
verb=$1
unit=\${!#}
if [[ \${STUB_SYSTEMCTL_FAIL:-} == "$verb" ]]; then exit 1; fi
case $verb in
is-active) [[ -e "$STUB_STATE/active-$unit" ]] ;;
start | restart) : >"$STUB_STATE/active-$unit" ;;
stop) rm -f "$STUB_STATE/active-$unit" ;;
esac`,

  k3s: `
case "$*" in
--version)
  [[ -s "$STUB_STATE/k3s-version" ]] || exit 127
  printf 'k3s version %s (1234abcd)\\ngo version go1.24.6\\n' "$(cat "$STUB_STATE/k3s-version")" ;;
*"get --raw=/readyz"*) [[ \${STUB_READYZ:-ok} == ok ]] ;;
*) exit "\${STUB_K3S_EXIT:-0}" ;;
esac`,

  // healthz succeeds from the STUB_HEALTHZ_AFTER-th call on ("never" = never); any other URL is the
  // installer download, which fails STUB_DOWNLOAD_FAILURES times and then serves the fake installer.
  curl: `
out=""
prev=""
for arg in "$@"; do
  if [[ $prev == -o ]]; then out=$arg; fi
  prev=$arg
done
url="\${!#}"
count() { local n; n=$(( $(cat "$STUB_STATE/$1" 2>/dev/null || echo 0) + 1 )); echo "$n" >"$STUB_STATE/$1"; echo "$n"; }
if [[ $url == */healthz ]]; then
  n=$(count healthz-calls)
  after=\${STUB_HEALTHZ_AFTER:-1}
  [[ $after != never ]] && (( n >= after ))
  exit
fi
n=$(count download-calls)
(( n > \${STUB_DOWNLOAD_FAILURES:-0} )) || exit 7
cp "$STUB_STATE/installer.sh" "$out"`,

  journalctl: `printf 'fake journal line %s\\n' 1 2 3`,

  // Only \`ip -o -4 addr show\`: prints the state file ip-addr (see ScriptHarness.setAddresses). Until the
  // STUB_IP_ADDR_AFTER-th call it lists only the loopback address, as before Hetzner attaches the network.
  ip: `
[[ "$*" == "-o -4 addr show" ]] || { echo "ip stub: unsupported arguments: $*" >&2; exit 64; }
n=$(( $(cat "$STUB_STATE/ip-calls" 2>/dev/null || echo 0) + 1 ))
echo "$n" >"$STUB_STATE/ip-calls"
if (( n < \${STUB_IP_ADDR_AFTER:-1} )); then grep -E '^[0-9]+: lo ' "$STUB_STATE/ip-addr"; exit 0; fi
cat "$STUB_STATE/ip-addr"`,
};

/** The addresses \`ip -o -4 addr show\` lists by default: loopback, public eth0 and the private network. */
export const DEFAULT_ADDRESSES: ReadonlyArray<readonly [iface: string, cidr: string]> = [
  ["lo", "127.0.0.1/8"],
  ["eth0", "203.0.113.10/32"],
  ["enp7s0", "10.0.1.13/32"],
];

/** What get.k3s.io does, as far as the script can observe it. */
const FAKE_INSTALLER = `#!/bin/sh
set -e
printf 'installer INSTALL_K3S_VERSION=%s INSTALL_K3S_EXEC=%s INSTALL_K3S_SKIP_ENABLE=%s INSTALL_K3S_FORCE_RESTART=%s\\n' \\
  "\${INSTALL_K3S_VERSION:-}" "\${INSTALL_K3S_EXEC:-}" "\${INSTALL_K3S_SKIP_ENABLE-<unset>}" "\${INSTALL_K3S_FORCE_RESTART:-}" >>"$STUB_LOG"
# The real installer copies every K3S_* variable into the service's env file: record what it would see.
env | grep '^K3S_' >"$STUB_STATE/installer-env" || true
env >"$STUB_STATE/installer-env-all"
[ "\${STUB_INSTALLER_EXIT:-0}" = 0 ] || exit "$STUB_INSTALLER_EXIT"
[ -z "\${STUB_INSTALLER_SLEEP:-}" ] || exec sleep "$STUB_INSTALLER_SLEEP"
printf '%s' "$INSTALL_K3S_VERSION" >"$STUB_STATE/k3s-version"
case "$INSTALL_K3S_EXEC" in server) unit=k3s ;; *) unit=k3s-agent ;; esac
systemctl restart "$unit"
`;

export class ScriptHarness {
  /** Temporary directory that every script file path is prefixed with (HK_ROOT). */
  readonly root: string;
  readonly binDir: string;
  readonly stateDir: string;
  readonly logFile: string;
  private readonly base: string;

  constructor(options: HarnessOptions = {}) {
    this.base = fs.mkdtempSync(path.join(os.tmpdir(), "hk-scripts-"));
    this.root = path.join(this.base, "root");
    this.binDir = path.join(this.base, "bin");
    this.stateDir = path.join(this.base, "state");
    this.logFile = path.join(this.base, "calls.log");
    for (const dir of [this.root, this.binDir, this.stateDir]) fs.mkdirSync(dir);
    fs.writeFileSync(this.logFile, "");
    fs.writeFileSync(path.join(this.stateDir, "installer.sh"), FAKE_INSTALLER, { mode: 0o755 });
    this.setAddresses(DEFAULT_ADDRESSES);
    const passthrough = new Set(options.passthrough ?? []);
    for (const [name, body] of Object.entries(DEFAULT_STUBS)) {
      if (passthrough.has(name)) this.passthrough(name);
      else this.stub(name, body);
    }
  }

  /** Replaces a command with a bash stub; the call is logged before `body` runs. */
  stub(name: string, body: string): void {
    const script = `#!/usr/bin/env bash\nset -euo pipefail\nprintf '%s\\n' "${name} $*" >>"$STUB_LOG"\n${body}\n`;
    fs.writeFileSync(path.join(this.binDir, name), script, { mode: 0o755 });
  }

  /** Logs calls to `name`, then runs the real command found on the normal PATH. */
  passthrough(name: string): void {
    const real = findOnPath(name);
    if (!real) throw new Error(`cannot pass ${name} through: it is not on PATH`);
    this.stub(name, `exec ${real} "$@"`);
  }

  /** Marks k3s as installed at `version` (as `k3s --version` reports it). */
  setInstalledVersion(version: string): void {
    fs.writeFileSync(path.join(this.stateDir, "k3s-version"), version);
  }

  /** What \`ip -o -4 addr show\` lists from now on: one line per [interface, address/prefix], in this order. */
  setAddresses(addresses: ReadonlyArray<readonly [iface: string, cidr: string]>): void {
    const lines = addresses.map(([iface, cidr], index) => {
      const scope = iface === "lo" ? "host" : "global dynamic";
      return `${index + 1}: ${iface}    inet ${cidr} scope ${scope} ${iface}\\       valid_lft forever preferred_lft forever\n`;
    });
    fs.writeFileSync(path.join(this.stateDir, "ip-addr"), lines.join(""));
  }

  /** Marks a systemd unit as active. */
  setActive(unit: string): void {
    fs.writeFileSync(path.join(this.stateDir, `active-${unit}`), "");
  }

  /** A path inside HK_ROOT, e.g. `rootPath("/etc/fstab")`. */
  rootPath(file: string): string {
    return path.join(this.root, file);
  }

  readRootFile(file: string): string {
    return fs.readFileSync(this.rootPath(file), "utf8");
  }

  writeRootFile(file: string, content: string): void {
    fs.mkdirSync(path.dirname(this.rootPath(file)), { recursive: true });
    fs.writeFileSync(this.rootPath(file), content);
  }

  /** A fresh file to act as a block device; `content` is what the blkid stub reports for it. */
  fakeDevice(name: string, content = ""): string {
    const device = path.join(this.base, name);
    fs.writeFileSync(device, content);
    return device;
  }

  /**
   * A Hetzner-style volume: a fake disk `sdX` (blkid reports `content`), the by-id symlink the program
   * passes as VOLUME_DEVICE, and the disk's SCSI rescan file under HK_ROOT.
   */
  fakeScsiVolume(id: number, disk: string, content = ""): { device: string; rescan: string } {
    const target = this.fakeDevice(disk, content);
    const device = path.join(this.base, "disk", "by-id", `scsi-0HC_Volume_${id}`);
    fs.mkdirSync(path.dirname(device), { recursive: true });
    fs.symlinkSync(target, device);
    const rescan = `/sys/block/${disk}/device/rescan`;
    this.writeRootFile(rescan, "");
    return { device, rescan };
  }

  /** The size blockdev reports for a device from now on. */
  setDeviceBytes(device: string, bytes: number): void {
    fs.writeFileSync(path.join(this.stateDir, `bytes${deviceKey(device)}`), `${bytes}\n`);
  }

  /**
   * Grows a SCSI device as Hetzner does: blockdev keeps reporting the old size until the disk's rescan
   * file is written (which this clears, as the kernel has not rescanned since).
   */
  growAfterRescan(device: string, bytes: number): void {
    const disk = path.basename(fs.realpathSync(device));
    this.writeRootFile(`/sys/block/${disk}/device/rescan`, "");
    fs.writeFileSync(path.join(this.stateDir, `pending-bytes${deviceKey(device)}`), `${bytes}\n`);
  }

  /** The size of the (ext4) filesystem on a device, as dumpe2fs reports it; 4 KiB blocks. */
  setFilesystemBytes(device: string, bytes: number): void {
    fs.writeFileSync(path.join(this.stateDir, `fs-blocks${deviceKey(device)}`), `${bytes / 4096}\n`);
  }

  filesystemBytes(device: string): number {
    const file = path.join(this.stateDir, `fs-blocks${deviceKey(device)}`);
    return Number(fs.readFileSync(file, "utf8").trim()) * 4096;
  }

  allCalls(): string[] {
    return fs.readFileSync(this.logFile, "utf8").split("\n").filter(Boolean);
  }

  run(script: ScriptName, env: Record<string, string> = {}, timeoutMs = 60_000): RunResult {
    const before = this.allCalls().length;
    const result = spawnSync("bash", ["-s"], {
      // The text the program runs (and an operator pipes for restore-etcd.sh): the prelude, then the script.
      input: readScriptWithPrelude(script),
      encoding: "utf8",
      timeout: timeoutMs,
      env: {
        PATH: `${this.binDir}:${realPath()}`,
        HOME: this.base,
        LANG: "C.UTF-8",
        TMPDIR: this.base,
        HK_ROOT: this.root,
        STUB_LOG: this.logFile,
        STUB_STATE: this.stateDir,
        POLL_INTERVAL: "0.1",
        ...env,
      },
    });
    if (result.error) throw result.error;
    return {
      status: result.status ?? -1,
      stdout: result.stdout,
      stderr: result.stderr,
      calls: this.allCalls().slice(before),
    };
  }

  /**
   * Starts `bash -c <command> _ <args...>` in the background and returns at once: the OS runs it while
   * a following (synchronous) `run` blocks, e.g. to make a device or file appear after a delay.
   */
  background(command: string, args: string[] = []): ChildProcess {
    return spawn("bash", ["-c", command, "_", ...args], {
      stdio: "ignore",
      env: { PATH: realPath(), HOME: this.base },
    });
  }

  cleanup(): void {
    fs.rmSync(this.base, { recursive: true, force: true });
  }
}

/** The state-file key of a device, as the stubs compute it from its real path. */
function deviceKey(device: string): string {
  return fs.realpathSync(device).replace(/\//g, "_");
}

/** The calls to one command, without the command name. */
export function callsTo(calls: string[], command: string): string[] {
  return calls
    .filter((line) => line === command || line.startsWith(`${command} `))
    .map((line) => line.slice(command.length + 1));
}

/** The real PATH, plus the sbin directories where blkid, mkfs and losetup live. */
export function realPath(): string {
  return `${process.env.PATH ?? ""}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`;
}

/** The absolute path of an executable on the real PATH, or undefined. */
export function findOnPath(name: string): string | undefined {
  for (const dir of realPath().split(":").filter(Boolean)) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/** The error line every script prints on failure. */
export function failureLine(node: string, step: string): RegExp {
  const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^hetzner-k8s: node ${escape(node)}: step ${escape(step)}: .+`, "m");
}
