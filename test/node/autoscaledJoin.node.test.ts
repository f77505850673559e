import { parse, stringify } from "yaml";
import { JOIN_PATHS, JOIN_UNIT, USER_DATA_LIMIT_BYTES } from "../../src/model/autoscaling";
import { makeTierKeys, renderTierStack, STAND_IN_INSTALL_URL, type TierStack } from "./harness/cluster";
import { recordFigure } from "./harness/figures";
import { nodeTierEnvironment, Vm, waitFor } from "./harness/vm";

/**
 * A server of the prod stack's autoscaled pool (burst) as the cluster-autoscaler creates it: Hetzner boots
 * the user data the program put in the cluster-autoscaler's Secret, names the server `<group>-<hex>` and
 * gives it an address in the pool's own subnet. Nothing else reaches the server (no SSH session of the
 * program): the server joins by itself, through the same prepare-node.sh and install-k3s.sh as every node,
 * with the k3s stand-in in place of k3s (test/node/k3s-stand-in).
 */

const CA_HASH = "ab".repeat(32);
const SERVER_NAME = "prod-burst-5f3a9c0d1e2b4a67";
const PRIVATE_IP = "10.0.2.7";

let stack: TierStack;
let userData: string;
let token: string;
let vm: Vm;

interface CloudConfig {
  write_files: { path: string; content: string; permissions: string; encoding?: string }[];
  runcmd: string[][];
}

/** The cloud-config with one line added to join.env: the k3s stand-in's installer, as the tier serves it. */
function withStandIn(text: string): string {
  const document = parse(text) as CloudConfig;
  const env = document.write_files.find((file) => file.path === JOIN_PATHS.env);
  if (!env) throw new Error("the user data writes no join.env");
  env.content += `K3S_INSTALL_URL=${STAND_IN_INSTALL_URL}\n`;
  return "#cloud-config\n" + stringify(document);
}

beforeAll(async () => {
  const keys = makeTierKeys("autoscaled");
  // The initial server's bootstrap reported the cluster CA's hash, as on every real cluster.
  stack = await renderTierStack("prod", keys, {
    bootstrapStdoutOf: (node) => (node === "cp-1" ? `hetzner-k8s-ca-hash: ${CA_HASH}\n` : undefined),
  });
  if (!stack.autoscalerClusterConfig) throw new Error("prod rendered no cluster-autoscaler config");
  const config = JSON.parse(Buffer.from(stack.autoscalerClusterConfig, "base64").toString("utf8")) as {
    nodeConfigs: Record<string, { cloudInit: string; subnetIPRange: string }>;
  };
  const burst = config.nodeConfigs["prod-burst"];
  expect(burst.subnetIPRange).toBe("10.0.2.0/24");
  userData = burst.cloudInit;
  token = `K10${CA_HASH}::node:generated-k3s-agent-token`;
  const image = stack.nodes[0].image;
  vm = new Vm(
    {
      index: 90,
      image,
      hostname: SERVER_NAME,
      publicIp: "203.0.113.201",
      privateIp: PRIVATE_IP,
      userData: withStandIn(userData),
      // Hetzner puts the key the cluster-autoscaler names (HCLOUD_SSH_KEY: the program's) into the meta-data.
      publicKeys: [stack.nodes[0].sshPublicKey],
    },
    nodeTierEnvironment(),
    keys.programKey,
  );
  await vm.start();
  recordFigure(`autoscaled server (${image}): QEMU start to SSH`, await vm.waitForSsh(), "s");
  await waitFor(
    async () =>
      (await vm.run(`test ! -e ${JOIN_PATHS.env} && systemctl is-active --quiet k3s-agent`)).code === 0,
    600,
    `the autoscaled server did not join (console: ${vm.consolePath})`,
  );
  recordFigure(`autoscaled server (${image}): QEMU start to joined`, vm.secondsSinceStart(), "s");
});

afterAll(async () => {
  await vm?.stop();
});

test("the user data fits Hetzner's limit and holds the agent token in its secure form only", () => {
  expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
  const document = parse(userData) as CloudConfig;
  const env = document.write_files.find((file) => file.path === JOIN_PATHS.env);
  expect(env).toMatchObject({ permissions: "0600" });
  expect(env?.content).toContain(`K3S_TOKEN=${token}\n`);
  // The server token never: it could join servers.
  expect(userData).not.toContain("generated-k3s-token");
  expect(document.runcmd).toContainEqual(["systemctl", "start", "--no-block", JOIN_UNIT]);
});

test("the server joins by itself as an agent named after the server, at its address in the pool's subnet", async () => {
  const config = parse(await vm.must("cat /etc/rancher/k3s/config.yaml")) as Record<string, unknown>;
  expect(config).toMatchObject({
    "node-name": SERVER_NAME,
    "node-ip": PRIVATE_IP,
    server: "https://10.0.1.2:6443",
    "token-file": "/etc/rancher/k3s/token",
  });
  expect(config["node-label"]).toEqual(
    expect.arrayContaining([
      "node.kubernetes.io/pool=burst",
      "hetzner-k8s.io/pool=burst",
      "hetzner-k8s.io/role=worker",
      "hetzner-k8s.io/autoscaled=true",
    ]),
  );
  expect(config["kubelet-arg"]).toEqual(expect.arrayContaining(["cloud-provider=external"]));
  // Flannel runs over the interface holding the address Hetzner gave the server.
  const iface = (await vm.must(`ip -o -4 addr show | awk '$4 ~ /^${PRIVATE_IP}\\// { print $2 }'`)).trim();
  expect(await vm.must("cat /etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml")).toContain(
    `flannel-iface: ${iface}`,
  );
  expect(await vm.must("cat /var/lib/node-tier-stand-in/k3s-calls")).toMatch(/^agent$/m);
  expect((await vm.must("stat -c %a /etc/rancher/k3s/token")).trim()).toBe("600");
  expect((await vm.must("cat /etc/rancher/k3s/token")).trim()).toBe(token);
  // prepare-node.sh ran: the modules and sysctls Kubernetes networking needs.
  expect((await vm.must("sysctl -n net.ipv4.ip_forward")).trim()).toBe("1");
});

test("the token reaches no log, no installer environment and no file in /etc but the token file", async () => {
  const password = "generated-k3s-agent-token";
  const journal = await vm.must("journalctl -b --no-pager");
  expect(journal).toContain("joined the cluster");
  expect(journal).not.toContain(password);
  expect(await vm.must("cat /var/log/cloud-init-output.log")).not.toContain(password);
  expect(await vm.must("cat /var/lib/node-tier-stand-in/installer-calls")).not.toContain(password);
  const holders = await vm.must(`grep -rl -- '${password}' /etc /var/lib/node-tier-stand-in /root || true`);
  expect(holders.trim().split("\n")).toEqual(["/etc/rancher/k3s/token"]);
});

test("a reboot joins nothing again and keeps the agent running", async () => {
  recordFigure("autoscaled server: reboot to SSH", await vm.reboot(), "s");
  await waitFor(
    async () => (await vm.run("systemctl is-active --quiet k3s-agent")).code === 0,
    120,
    "k3s-agent did not come back after the reboot",
  );
  expect(await vm.must(`journalctl -b -u ${JOIN_UNIT} --no-pager -o cat`)).not.toContain("hetzner-k8s: node");
  expect((await vm.run(`systemctl show -p ConditionResult --value ${JOIN_UNIT}`)).stdout.trim()).not.toBe(
    "yes",
  );
});
