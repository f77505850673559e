import { makeTierKeys, renderTierStack, vmFor, type TierStack } from "./harness/cluster";
import { recordFigure } from "./harness/figures";
import { ssh } from "./harness/ssh";
import { nodeTierEnvironment, type Vm } from "./harness/vm";

/**
 * The first boot of every node of the shipped stacks, on a real Debian server: cloud-init takes the user
 * data the program renders for the node, SSH ends up hardened as the README says, unattended-upgrades is
 * set up, and a reboot keeps all of it. The program renders the same user data for every node of a stack
 * (it depends only on the stack's sshPublicKeys), so each distinct rendering boots once; the test fails
 * if a node's differs without being booted.
 */

const images = Object.keys(nodeTierEnvironment().imageDirs);
/** Per image: the shipped stacks rendered for it, and one VM per distinct user data with the nodes it covers. */
const stacks: Record<string, Record<string, TierStack>> = {};
const booted: Record<string, { vm: Vm; stack: TierStack; nodes: string[] }[]> = {};

beforeAll(async () => {
  const keys = makeTierKeys("first-boot");
  for (const image of images) {
    stacks[image] = {};
    const byUserData = new Map<string, { stack: TierStack; nodes: string[] }>();
    for (const [stackIndex, name] of (["dev", "prod"] as const).entries()) {
      // Each stack and image in an address block of its own: their VMs share the tier's bridge.
      const stack = await renderTierStack(name, keys, {
        edit: (config) => (config.serverImage = image),
        addressBlock: 2 * images.indexOf(image) + stackIndex,
      });
      stacks[image][name] = stack;
      for (const node of stack.nodes) {
        expect(node.image).toBe(image);
        const entry = byUserData.get(node.userData) ?? { stack, nodes: [] };
        entry.nodes.push(`${name}/${node.name}`);
        byUserData.set(node.userData, entry);
      }
    }
    booted[image] = [...byUserData.values()].map(({ stack, nodes }) => {
      const first = nodes[0].split("/")[1];
      const node = stack.nodes.find((n) => n.name === first);
      if (!node) throw new Error(`no node ${first}`);
      return { vm: vmFor(stack, node), stack, nodes };
    });
  }
  const all = Object.values(booted).flat();
  await Promise.all(all.map(({ vm }) => vm.start()));
  for (const { vm } of all) {
    recordFigure(`first boot (${vm.spec.image}): QEMU start to SSH`, await vm.waitForSsh(), "s");
    recordFigure(
      `first boot (${vm.spec.image}): QEMU start to cloud-init done`,
      await vm.waitForCloudInit(),
      "s",
    );
  }
});

afterAll(async () => {
  await Promise.all(
    Object.values(booted)
      .flat()
      .map(({ vm }) => vm.stop()),
  );
});

test.each(images)("every node of the shipped stacks is covered by a boot of its user data on %s", (image) => {
  const covered = booted[image].flatMap(({ nodes }) => nodes).sort();
  const all = Object.entries(stacks[image]).flatMap(([name, stack]) =>
    stack.nodes.map((n) => `${name}/${n.name}`),
  );
  expect(covered).toEqual(all.sort());
  expect(all.length).toBeGreaterThanOrEqual(8);
});

/** What must hold after the first boot and again after every reboot. */
async function expectHardenedNode(vm: Vm, stack: TierStack): Promise<void> {
  // The program's key (meta-data) and the human key (user data) both log in as root.
  expect((await vm.must("id -un")).trim()).toBe("root");
  const human = await ssh(vm.host, stack.humanKey, "id -un");
  expect(human).toMatchObject({ code: 0, stdout: "root\n" });

  // sshd offers public keys only: a client without a key is told so, and the effective settings agree.
  const noKey = await ssh(vm.host, stack.programKey, "true", {
    extraOptions: [
      "-o",
      "PubkeyAuthentication=no",
      "-o",
      "PreferredAuthentications=password,keyboard-interactive",
    ],
  });
  expect(noKey.code).toBe(255);
  expect(noKey.stderr).toMatch(/Permission denied \(publickey\)/);
  const effective = await vm.must("sshd -T");
  expect(effective).toMatch(/^passwordauthentication no$/m);
  expect(effective).toMatch(/^kbdinteractiveauthentication no$/m);
  // OpenSSH prints prohibit-password under its older name in some versions.
  expect(effective).toMatch(/^permitrootlogin (without|prohibit)-password$/m);
  expect(effective).toMatch(/^permitemptypasswords no$/m);
  expect(effective).toMatch(/^maxauthtries 3$/m);
  expect(effective).toMatch(/^x11forwarding no$/m);

  // unattended-upgrades installed from the user data, enabled, and its own dry run passes.
  expect(await vm.must("dpkg-query -W -f '${Status}' unattended-upgrades")).toBe("install ok installed");
  const periodic = await vm.must("apt-config dump APT::Periodic");
  expect(periodic).toMatch(/APT::Periodic::Update-Package-Lists "1";/);
  expect(periodic).toMatch(/APT::Periodic::Unattended-Upgrade "1";/);
  expect((await vm.run("systemctl is-enabled unattended-upgrades")).stdout.trim()).toBe("enabled");
  expect((await vm.run("systemctl is-active unattended-upgrades")).stdout.trim()).toBe("active");
  const dryRun = await vm.run("unattended-upgrade --dry-run");
  expect(dryRun).toMatchObject({ code: 0 });

  // kured's reboot sentinel (src/model/platform/reboots.ts): the kernel hook of unattended-upgrades, which
  // a kernel package's postinst runs through run-parts, leaves /var/run/reboot-required behind.
  expect((await vm.must("run-parts --test /etc/kernel/postinst.d")).split("\n")).toContain(
    "/etc/kernel/postinst.d/unattended-upgrades",
  );
  await vm.must(
    "rm -f /var/run/reboot-required /var/run/reboot-required.pkgs && " +
      'DPKG_MAINTSCRIPT_PACKAGE=linux-image-test DPKG_MAINTSCRIPT_NAME=postinst /etc/kernel/postinst.d/unattended-upgrades "$(uname -r)" "/boot/vmlinuz-$(uname -r)"',
  );
  const sentinel = await vm.must("test -f /var/run/reboot-required && cat /var/run/reboot-required.pkgs");
  expect(sentinel.trim()).toBe("linux-image-test");
  await vm.must("rm -f /var/run/reboot-required /var/run/reboot-required.pkgs");
}

describe.each(images)("%s", (image) => {
  const each = async (check: (vm: Vm, stack: TierStack) => Promise<void>) => {
    for (const { vm, stack } of booted[image]) await check(vm, stack);
  };

  test("cloud-init finished its first boot with no error or warning", () =>
    each(async (vm) => {
      const status = await vm.run("cloud-init status --long");
      expect(status.stdout).toMatch(/^status: done$/m);
      expect(status.code).toBe(0);
      const result = JSON.parse(await vm.must("cat /run/cloud-init/result.json")) as {
        v1: { errors: string[]; datasource: string };
      };
      expect(result.v1.errors).toEqual([]);
      expect(result.v1.datasource).toMatch(/NoCloud/);
      expect(
        await vm.must("grep -E '[[](WARNING|ERROR|CRITICAL|DEPRECATED)[]]' /var/log/cloud-init.log || true"),
      ).toBe("");
      expect(await vm.must("grep -Ei 'warn|error|traceback' /var/log/cloud-init-output.log || true")).toBe(
        "",
      );
    }));

  test("cloud-init's schema accepts the user data the program rendered", () =>
    each(async (vm) => {
      const schema = await vm.run("cloud-init schema --system");
      // cloud-init 22.4 (Debian 12) says "Valid cloud-config", 25.x (Debian 13) "Valid schema user-data".
      expect(schema.stdout + schema.stderr).toMatch(/Valid cloud-config|Valid schema user-data/);
      expect(schema.stdout + schema.stderr).not.toMatch(/Invalid|Error|deprecat/i);
      expect(schema.code).toBe(0);
    }));

  test("only keys log in, as documented, and unattended-upgrades is set up", () => each(expectHardenedNode));

  test("a reboot keeps the hardening, the keys and the upgrades, and runs no first boot again", () =>
    each(async (vm, stack) => {
      const hostKey = await vm.must("cat /etc/ssh/ssh_host_ed25519_key.pub");
      recordFigure(`reboot (${image}) to SSH`, await vm.reboot(), "s");
      await vm.run("cloud-init status --wait");
      await expectHardenedNode(vm, stack);
      expect(await vm.must("cat /etc/ssh/ssh_host_ed25519_key.pub")).toBe(hostKey);
      // The authorized key the user data appended is there once, not once per boot.
      const authorized = await vm.must("cat /root/.ssh/authorized_keys");
      expect(authorized.split("\n").filter((line) => line === stack.humanKey.publicKey)).toHaveLength(1);
    }));
});
