import { execFileSync } from "node:child_process";
import type { StackConfig } from "../../src/config/schema";
import { VOLUME_MOUNT } from "../../src/model/platform/storage";
import {
  makeTierKeys,
  renderTierStack,
  runProgramCommand,
  vmFor,
  type TierKeys,
  type TierStack,
} from "./harness/cluster";
import { recordFigure } from "./harness/figures";
import type { RenderedNode } from "./harness/program";
import { ssh } from "./harness/ssh";
import { waitFor, type Vm } from "./harness/vm";

/**
 * The program's node scripts over real SSH on real Debian servers, exactly as `pulumi up` composes them
 * (the command text of the plan, secrets on standard input): the dev stack's first server (cp-1) and its
 * worker with a volume (worker-1). k3s itself is a stand-in (test/node/k3s-stand-in) that records how it
 * was called; everything the scripts do up to starting it is real: files, units, kernel modules,
 * sysctls, the volume, the host key.
 */

let tierKeys: TierKeys;
let stack: TierStack;
const vms: Record<string, Vm> = {};
const bootstrapOutput: Record<string, string> = {};
let workerVolume: string;
let workerVolumeUuid: string;

const node = (name: string): RenderedNode => {
  const found = stack.nodes.find((n) => n.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
};
/** The value of an `export NAME='value'` line of a command's text or standard input. */
const exported = (text: string, name: string): string => {
  const value = new RegExp(`^export ${name}='([^']*)'$`, "m").exec(text)?.[1];
  if (value === undefined) throw new Error(`no export of ${name}`);
  return value;
};
const prepareVolumeOf = (name: string) => {
  const command = node(name).prepareVolume;
  if (!command) throw new Error(`${name} has no prepare-volume command`);
  return command;
};
/** Edits the volume size of a node in the stack, as a user edits the stack file. */
const withVolume = (name: string, sizeGb: number) => (config: StackConfig) => {
  const entry = config.nodes.find((n) => n.name === name);
  if (!entry) throw new Error(`no node ${name} in the stack`);
  entry.volumeSizeGb = sizeGb;
};
const blkid = (file: string, tag: string) =>
  execFileSync("blkid", ["-p", "-o", "value", "-s", tag, file], { encoding: "utf8" }).trim();

/** Renders the stack again, as the next `pulumi up` would see it: bootstraps done, their output known. */
async function rerender(edit?: (config: StackConfig) => void): Promise<void> {
  stack = await renderTierStack("dev", tierKeys, {
    edit,
    bootstrapStdoutOf: (name) => bootstrapOutput[name],
  });
}

beforeAll(async () => {
  tierKeys = makeTierKeys("bootstrap");
  stack = await renderTierStack("dev", tierKeys);
  for (const name of ["cp-1", "worker-1"]) vms[name] = vmFor(stack, node(name));
  await Promise.all(Object.values(vms).map((vm) => vm.start()));
  // Hetzner creates the volume formatted (the program asks for ext4) and attaches it after the server.
  workerVolume = vms["worker-1"].createVolumeFile(stack.volumeIdOf("worker-1"), 20, "ext4");
  workerVolumeUuid = blkid(workerVolume, "UUID");
  await vms["worker-1"].attachVolume(stack.volumeIdOf("worker-1"), workerVolume);
  await Promise.all(Object.values(vms).map((vm) => vm.waitForSsh()));
});

afterAll(async () => {
  await Promise.all(Object.values(vms).map((vm) => vm.stop()));
});

describe("the first server's bootstrap", () => {
  test("runs to the end: cloud-init waited for, node prepared, k3s installed and ready, identity reported", async () => {
    const started = Date.now() / 1000;
    const result = await runProgramCommand(vms["cp-1"], node("cp-1").bootstrap);
    recordFigure("bootstrap of the first server (k3s a stand-in)", Date.now() / 1000 - started, "s");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/step cloud-init: cloud-init has finished/);
    expect(result.stdout).toMatch(/step wait-ready: k3s is ready/);
    bootstrapOutput["cp-1"] = result.stdout;
  });

  test("the host key it reports is the key the server presents, and later sessions require it", async () => {
    const reported = /^hetzner-k8s-host-key: (.+)$/m.exec(bootstrapOutput["cp-1"])?.[1];
    const presented = execFileSync("ssh-keyscan", ["-t", "ed25519", vms["cp-1"].host], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    });
    expect(reported).toBeDefined();
    expect(presented.trim().split(" ").slice(1).join(" ")).toBe(reported);
    await rerender();
    // The program hands this key to every later session to the node (the reconfigure, the drains, ...).
    expect(node("cp-1").hostKey).toBe(reported);
    const pinned = `${vms["cp-1"].host} ${node("cp-1").hostKey}\n`;
    expect(await ssh(vms["cp-1"].host, vms["cp-1"].key, "true", { knownHosts: pinned })).toMatchObject({
      code: 0,
    });
  });

  test("writes k3s's files with their permissions, loads the modules and applies the sysctls", async () => {
    const vm = vms["cp-1"];
    const modes = await vm.must(
      "stat -c '%a %U %n' /etc/rancher/k3s/config.yaml /etc/rancher/k3s/token /etc/rancher/k3s/agent-token " +
        "/etc/rancher/k3s/pod-security.yaml /etc/rancher/k3s/audit-policy.yaml " +
        "/etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml",
    );
    for (const line of modes.trim().split("\n")) expect(line).toMatch(/^600 root /);
    const config = exported(node("cp-1").bootstrap.text, "K3S_CONFIG_YAML");
    expect(await vm.must("cat /etc/rancher/k3s/config.yaml")).toBe(config.replace(/\n?$/, "\n"));
    const token = exported(node("cp-1").bootstrap.stdin, "K3S_TOKEN");
    expect((await vm.must("cat /etc/rancher/k3s/token")).trim()).toBe(token);
    // The private NIC is the one that holds PRIVATE_IP; the certificate names the node's public address.
    const dropIn = await vm.must("cat /etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml");
    expect(dropIn).toMatch(/^flannel-iface: eth1$/m);
    expect(dropIn).toContain(vm.host);
    expect(await vm.must("cat /sys/module/overlay/initstate /sys/module/br_netfilter/initstate")).toBe(
      "live\nlive\n",
    );
    expect(await vm.must("sysctl -n net.ipv4.ip_forward net.bridge.bridge-nf-call-iptables")).toBe("1\n1\n");
    // The stand-in installer got the version and role, and none of the secrets.
    const calls = await vm.must("cat /var/lib/node-tier-stand-in/installer-calls");
    expect(calls).toMatch(/^INSTALL_K3S_EXEC=server$/m);
    expect(calls).toMatch(/^INSTALL_K3S_VERSION=v1\.\d+\.\d+\+k3s\d+$/m);
    expect(calls).not.toMatch(/TOKEN/);
    expect(calls).not.toContain(token);
  });

  test("no secret reaches a log, the journal or a process list", async () => {
    const vm = vms["cp-1"];
    const token = exported(node("cp-1").bootstrap.stdin, "K3S_TOKEN");
    const found = await vm.run(
      `grep -rlF -- '${token}' /var/log /run/log 2>/dev/null; journalctl -o cat | grep -cF -- '${token}'`,
    );
    expect(found.stdout.trim()).toBe("0");
  });

  test("a second run of the bootstrap changes nothing and restarts nothing", async () => {
    const vm = vms["cp-1"];
    const starts = await vm.must("cat /var/lib/node-tier-stand-in/starts");
    const result = await runProgramCommand(vm, node("cp-1").bootstrap);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/node already prepared; nothing changed/);
    expect(result.stdout).toMatch(/config is unchanged; nothing to do/);
    expect(await vm.must("cat /var/lib/node-tier-stand-in/starts")).toBe(starts);
  });

  test("the reconfigure, when a later change runs it, restarts k3s once, and then changes nothing", async () => {
    // Its first run drops the registration taints and pins the CA in the token: one restart.
    const vm = vms["cp-1"];
    const starts = (await vm.must("cat /var/lib/node-tier-stand-in/starts")).trim().split("\n").length;
    const first = await runProgramCommand(vm, node("cp-1").reconfigure);
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/config changed; restarting k3s/);
    expect((await vm.must("cat /etc/rancher/k3s/token")).trim()).toBe(
      exported(node("cp-1").reconfigure.stdin, "K3S_TOKEN"),
    );
    const second = await runProgramCommand(vm, node("cp-1").reconfigure);
    expect(second.stdout).toMatch(/config is unchanged; nothing to do/);
    await waitFor(
      async () =>
        (await vm.must("cat /var/lib/node-tier-stand-in/starts")).trim().split("\n").length === starts + 1,
      30,
      "k3s was not restarted exactly once",
    );
    expect((await vm.must("cat /var/lib/node-tier-stand-in/starts")).trim().split("\n")).toHaveLength(
      starts + 1,
    );
  });
});

describe("a worker's bootstrap and its volume", () => {
  test("joins with the token that pins the CA the first server reported, and prepares the volume", async () => {
    await rerender();
    const stdin = node("worker-1").bootstrap.stdin;
    const caHash = /^hetzner-k8s-ca-hash: ([0-9a-f]{64})$/m.exec(bootstrapOutput["cp-1"])?.[1];
    expect(stdin).toMatch(new RegExp(`^export K3S_TOKEN='K10${caHash}::node:`, "m"));
    const result = await runProgramCommand(vms["worker-1"], node("worker-1").bootstrap);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    bootstrapOutput["worker-1"] = result.stdout;
    expect(result.stdout).toMatch(/already holds ext4 .*; not formatting/);
    expect(result.stdout).toMatch(/step wait-ready: k3s-agent is ready/);
  });

  test("mounts Hetzner's filesystem by its UUID, without formatting it", async () => {
    const vm = vms["worker-1"];
    const device = `/dev/disk/by-id/scsi-0HC_Volume_${stack.volumeIdOf("worker-1")}`;
    expect(await vm.must(`findmnt -n -o SOURCE,FSTYPE ${VOLUME_MOUNT}`)).toMatch(/^\/dev\/sd[a-z]+ ext4$/m);
    expect((await vm.must(`blkid -s UUID -o value ${device}`)).trim()).toBe(workerVolumeUuid);
    expect(await vm.must("cat /etc/fstab")).toContain(
      `UUID=${workerVolumeUuid} ${VOLUME_MOUNT} ext4 defaults,nofail 0 2`,
    );
    await vm.must(`echo kept > ${VOLUME_MOUNT}/marker`);
  });

  test("a reboot brings the volume, the agent and the host key back, and a re-run formats nothing", async () => {
    const vm = vms["worker-1"];
    const hostKey = await vm.must("cat /etc/ssh/ssh_host_ed25519_key.pub");
    recordFigure("reboot of a worker to SSH", await vm.reboot(), "s");
    expect(await vm.must(`cat ${VOLUME_MOUNT}/marker`)).toBe("kept\n");
    expect(await vm.must("cat /etc/ssh/ssh_host_ed25519_key.pub")).toBe(hostKey);
    expect((await vm.run("systemctl is-active k3s-agent")).stdout.trim()).toBe("active");
    await rerender();
    const again = await runProgramCommand(vm, prepareVolumeOf("worker-1"));
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/volume already prepared; nothing changed/);
    expect(blkid(workerVolume, "UUID")).toBe(workerVolumeUuid);
  });

  test("a volume grown in Hetzner grows its filesystem online, and only once", async () => {
    const vm = vms["worker-1"];
    await vm.resizeVolume(stack.volumeIdOf("worker-1"), 22);
    await rerender(withVolume("worker-1", 22));
    const grown = await runProgramCommand(vm, prepareVolumeOf("worker-1"));
    expect(grown.stderr).toBe("");
    expect(grown.code).toBe(0);
    expect(grown.stdout).toMatch(/growing the ext4 filesystem/);
    const size = Number((await vm.must(`df -B1 --output=size ${VOLUME_MOUNT} | tail -n1`)).trim());
    expect(size).toBeGreaterThan(21 * 1024 ** 3);
    expect(await vm.must(`cat ${VOLUME_MOUNT}/marker`)).toBe("kept\n");
    const again = await runProgramCommand(vm, prepareVolumeOf("worker-1"));
    expect(again.stdout).toMatch(/volume already prepared; nothing changed/);
  });
});

describe("a volume added to a running node", () => {
  const addVolume = async (id: number) => {
    await rerender(withVolume("cp-1", 10));
    expect(stack.volumeIdOf("cp-1")).toBe(id);
    return prepareVolumeOf("cp-1");
  };

  // Disks that hold someone's data in a form the node does not mount, made as their owner would.
  const foreignDisks: [string, (file: string) => void, RegExp][] = [
    [
      "a partition table",
      (file) => execFileSync("sfdisk", ["-q", file], { input: "label: gpt\n,,L\n" }),
      /holds a gpt partition table, not a filesystem; refusing to format or mount it/,
    ],
    [
      "swap",
      (file) => execFileSync("mkswap", ["-q", file]),
      /holds swap, not ext4 or xfs; refusing to format or mount it/,
    ],
  ];
  test.each(foreignDisks)("a disk holding %s is refused and left as it was", async (_what, make, refusal) => {
    const vm = vms["cp-1"];
    const id = stack.volumeIdOf("cp-1");
    const file = vm.createVolumeFile(id, 10);
    make(file);
    const before = execFileSync("sha256sum", [file], { encoding: "utf8" });
    await vm.attachVolume(id, file);
    const result = await runProgramCommand(vm, await addVolume(id));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(refusal);
    expect(execFileSync("sha256sum", [file], { encoding: "utf8" })).toBe(before);
    expect(await vm.must("cat /etc/fstab")).not.toContain(VOLUME_MOUNT);
    await vm.detachVolume(id);
  });

  test("a blank disk is formatted once, mounted by its UUID, and survives a reboot", async () => {
    const vm = vms["cp-1"];
    const id = stack.volumeIdOf("cp-1");
    const file = vm.createVolumeFile(id, 10);
    await vm.attachVolume(id, file);
    const prepare = await addVolume(id);
    const started = Date.now() / 1000;
    const first = await runProgramCommand(vm, prepare);
    recordFigure("a blank 10 GB volume formatted and mounted", Date.now() / 1000 - started, "s");
    expect(first.stderr).toBe("");
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/is blank; formatting it as ext4/);
    const uuid = blkid(file, "UUID");
    expect(await vm.must("cat /etc/fstab")).toContain(`UUID=${uuid} ${VOLUME_MOUNT} ext4`);
    await vm.must(`echo kept > ${VOLUME_MOUNT}/marker`);
    const second = await runProgramCommand(vm, prepare);
    expect(second.stdout).toMatch(/volume already prepared; nothing changed/);
    await vm.reboot();
    expect(await vm.must(`cat ${VOLUME_MOUNT}/marker`)).toBe("kept\n");
    expect(blkid(file, "UUID")).toBe(uuid);
    const afterReboot = await runProgramCommand(vm, prepare);
    expect(afterReboot.stdout).toMatch(/volume already prepared; nothing changed/);
  });
});

describe("a server that presents another host key", () => {
  test("is refused by a session that requires the recorded key, before any command runs", async () => {
    const vm = vms["cp-1"];
    // What a server rebuilt or replaced behind the same address looks like: new host keys.
    await vm.must("rm -f /etc/ssh/ssh_host_* && ssh-keygen -A >/dev/null && systemctl restart ssh");
    const pinned = `${vm.host} ${node("cp-1").hostKey}\n`;
    const refused = await ssh(vm.host, vm.key, "touch /root/should-not-exist", { knownHosts: pinned });
    expect(refused.code).toBe(255);
    expect(refused.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/);
    expect((await vm.run("test -e /root/should-not-exist")).code).toBe(1);
  });
});
