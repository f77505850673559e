import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { StackConfig } from "../../src/config/schema";
import {
  gatewayVmFor,
  makeTierKeys,
  renderTierStack,
  STAND_IN_INSTALL_URL,
  vmFor,
  type TierKeys,
  type TierStack,
} from "./harness/cluster";
import { recordFigure } from "./harness/figures";
import type { RenderedCommand } from "./harness/program";
import { ssh, type SshResult } from "./harness/ssh";
import type { Vm } from "./harness/vm";

/**
 * Private nodes on real servers: the dev stack with privateNodes and a firewalled API. The gateway VM boots
 * with the program's user data and runs the program's identity and setup commands; the first server (cp-1)
 * boots with no public NIC and its bootstrap runs through the gateway, as the command provider's proxy
 * connection runs it (a session to the bastion, then a direct-tcpip channel to the node).
 *
 * The tier's namespace plays Hetzner's network router (10.0.0.1): what arrives from the private network for
 * an outside address goes where the network's route says (0.0.0.0/0 to the gateway) and nowhere without it.
 * An "internet" namespace on the public bridge (203.0.113.254) serves files and records who asked; a listener
 * on 10.0.1.2:6443 stands in for the API load balancer.
 */

const INTERNET = "internet";
const INTERNET_IP = "203.0.113.254";
const API_LB = "10.0.1.2";
const ROUTER_TABLE = "100";

let tierKeys: TierKeys;
let stack: TierStack;
let gateway: Vm;
let node: Vm;
let gatewayIdentity = "";
const servers: ChildProcess[] = [];
let work: string;

const PRIVATE_FIREWALLED = (config: StackConfig) => {
  config.privateNodes = true;
  config.apiExposure = "firewalled";
  config.apiHostname = "api.example.com";
};

const sh = (...args: string[]) => execFileSync(args[0], args.slice(1), { encoding: "utf8" });
const inInternet = (...args: string[]) => sh("ip", "netns", "exec", INTERNET, ...args);

/** Hetzner's router: from the private network to outside only along the network's routes. */
function routeTheNetwork(viaGateway: boolean): void {
  sh("ip", "route", "replace", "unreachable", "default", "metric", "100", "table", ROUTER_TABLE);
  if (viaGateway) {
    const gatewayIp = stack.gateway?.privateIp ?? "";
    sh(
      "ip",
      "route",
      "replace",
      "default",
      "via",
      gatewayIp,
      "dev",
      "br-private",
      "metric",
      "1",
      "table",
      ROUTER_TABLE,
    );
  }
}

function startInternet(): void {
  sh("ip", "netns", "add", INTERNET);
  sh("ip", "link", "add", "vi0", "type", "veth", "peer", "name", "vi1", "netns", INTERNET);
  sh("ip", "link", "set", "vi0", "master", "br-public", "up");
  inInternet("ip", "link", "set", "lo", "up");
  inInternet("ip", "addr", "add", `${INTERNET_IP}/24`, "dev", "vi1");
  inInternet("ip", "link", "set", "vi1", "up");
  // The whole private network lies behind the gateway, as an attacker on the internet would route it.
  inInternet("ip", "route", "add", "10.0.0.0/16", "via", stack.publicIpOf("gateway"));
  fs.writeFileSync(path.join(work, "www", "hello.txt"), "from the internet\n");
  servers.push(
    serve(
      ["ip", "netns", "exec", INTERNET, "python3", "-m", "http.server", "8081", "--bind", INTERNET_IP],
      "internet.log",
    ),
  );
  sh("ip", "addr", "add", `${API_LB}/32`, "dev", "br-private");
  servers.push(serve(["python3", "-m", "http.server", "6443", "--bind", API_LB], "api.log"));
  // The tier's namespace forwards like a router; its own addresses stay its own (the local rule comes first).
  sh("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
  sh("sysctl", "-q", "-w", "net.ipv4.conf.br-private.send_redirects=0");
  sh("sysctl", "-q", "-w", "net.ipv4.conf.all.send_redirects=0");
  sh("ip", "rule", "add", "iif", "br-private", "lookup", ROUTER_TABLE, "pref", "100");
  routeTheNetwork(false);
}

function serve(command: string[], log: string): ChildProcess {
  const out = fs.openSync(path.join(work, log), "a");
  return spawn(command[0], command.slice(1), { cwd: path.join(work, "www"), stdio: ["ignore", out, out] });
}

const logOf = (log: string) => fs.readFileSync(path.join(work, log), "utf8");

/** A program command on the gateway itself, as the provider runs it (its public address). */
function onGateway(command: RenderedCommand, knownHosts?: string): Promise<SshResult> {
  return ssh(gateway.host, gateway.key, command.text, { stdin: command.stdin, knownHosts });
}

/** A program command on the private node, through the gateway with its pinned key. */
function throughGateway(command: string, stdin = ""): Promise<SshResult> {
  return ssh(node.spec.privateIp, node.key, command, {
    stdin,
    jump: { host: gateway.host, knownHosts: `${gateway.host} ${gatewayIdentity}\n` },
  });
}

beforeAll(async () => {
  work = process.env.NODE_TIER_WORK ?? "";
  tierKeys = makeTierKeys("private");
  stack = await renderTierStack("dev", tierKeys, { edit: PRIVATE_FIREWALLED, addressBlock: 1 });
  startInternet();
  gateway = gatewayVmFor(stack);
  await gateway.start();
  recordFigure("gateway: SSH after boot", await gateway.waitForSsh(), "s");
});

afterAll(async () => {
  for (const server of servers) server.kill("SIGKILL");
  await Promise.all([gateway?.stop(), node?.stop()]);
  try {
    sh("ip", "netns", "del", INTERNET);
  } catch {
    // Gone with the tier's namespace anyway.
  }
});

describe("the gateway", () => {
  test("reports its host key at the first session, and its setup runs with that key pinned", async () => {
    const gw = stack.gateway;
    if (!gw) throw new Error("no gateway rendered");
    const identity = await onGateway(gw.identity);
    expect(identity.code).toBe(0);
    gatewayIdentity = /^hetzner-k8s-host-key: (.+)$/m.exec(identity.stdout)?.[1] ?? "";
    expect(gatewayIdentity).toMatch(/^ssh-ed25519 /);
    stack = await renderTierStack("dev", tierKeys, {
      edit: PRIVATE_FIREWALLED,
      addressBlock: 1,
      bootstrapStdoutOf: (name) => (name === "gateway" ? identity.stdout : undefined),
    });
    expect(stack.gateway?.hostKey).toBe(gatewayIdentity);
    expect(stack.nodes.find((n) => n.name === "cp-1")?.proxy).toEqual({
      host: stack.publicIpOf("gateway"),
      hostKey: gatewayIdentity,
    });
    const started = Date.now() / 1000;
    const setup = await onGateway(gw.setup, `${gateway.host} ${gatewayIdentity}\n`);
    recordFigure("gateway setup (nftables installed, ruleset loaded)", Date.now() / 1000 - started, "s");
    expect(setup.stderr).toBe("");
    expect(setup.code).toBe(0);
    expect(setup.stdout).toMatch(/step ready: gateway ready \(NAT=1, API forwarded to 10\.0\.1\.2:6443\)/);
    expect(await gateway.must("nft list table ip hetzner_k8s_gateway")).toMatch(/masquerade/);
    expect((await gateway.must("sysctl -n net.ipv4.ip_forward")).trim()).toBe("1");
  });

  test("keeps its rules across a reboot", async () => {
    recordFigure("gateway reboot to SSH", await gateway.reboot(), "s");
    expect(await gateway.must("nft list table ip hetzner_k8s_gateway")).toMatch(/dnat to 10\.0\.1\.2:6443/);
  });

  test("forwards the API from its public address to the API load balancer", () => {
    const api = inInternet("curl", "-fsS", "--max-time", "10", `http://${stack.publicIpOf("gateway")}:6443/`);
    expect(api).toContain("Directory listing");
    // The load balancer sees the gateway's private address, so its answer comes back through the gateway.
    expect(logOf("api.log")).toMatch(new RegExp(`^${stack.gateway?.privateIp.replace(/\./g, "\\.")} `, "m"));
  });

  test("forwards SSH sessions only: a remote forward through it is refused", async () => {
    const refused = await ssh(gateway.host, gateway.key, "true", {
      knownHosts: `${gateway.host} ${gatewayIdentity}\n`,
      extraOptions: ["-o", "ExitOnForwardFailure=yes", "-R", "0:127.0.0.1:22"],
    });
    expect(refused.code).not.toBe(0);
  });
});

describe("a private node", () => {
  beforeAll(async () => {
    routeTheNetwork(true);
    const cp1 = stack.nodes.find((n) => n.name === "cp-1");
    if (!cp1) throw new Error("no cp-1");
    node = vmFor(stack, cp1);
    await node.start();
    recordFigure("private node: SSH after boot", await node.waitForSsh(), "s");
    await node.waitForCloudInit();
  });

  test("has no public interface and a default route through the network's gateway", async () => {
    const addresses = await node.must("ip -o -4 addr show scope global");
    expect(addresses.trim().split("\n")).toEqual([expect.stringContaining(`inet ${node.spec.privateIp}/`)]);
    expect(await node.must("ip route show default")).toMatch(/^default via 10\.0\.0\.1 dev eth0 onlink/m);
    // Hetzner's resolvers are written only when the node was given none; the tier's image comes with one.
    expect(await node.must("cat /etc/resolv.conf")).toMatch(/^nameserver /m);
  });

  test("reaches the internet through the gateway's NAT, and not at all without the network's route", async () => {
    const fetch = () => throughGateway(`curl -fsS --max-time 10 http://${INTERNET_IP}:8081/hello.txt`);
    const through = await fetch();
    expect(through).toMatchObject({ code: 0, stdout: "from the internet\n" });
    expect(logOf("internet.log")).toMatch(
      new RegExp(`^${stack.publicIpOf("gateway").replace(/\./g, "\\.")} .*hello\\.txt`, "m"),
    );
    sh("ip", "route", "del", "default", "table", ROUTER_TABLE, "metric", "1");
    try {
      expect((await fetch()).code).not.toBe(0);
    } finally {
      routeTheNetwork(true);
    }
  });

  test("cannot be reached from the internet through the gateway", () => {
    const attempt = (ip: string) =>
      inInternet(
        "bash",
        "-c",
        `timeout 5 bash -c 'echo > /dev/tcp/${ip}/22' && echo open || echo closed`,
      ).trim();
    expect(attempt(node.spec.privateIp)).toBe("closed");
    // The same probe reaches the node from inside the network: the gateway, not the node, refused it.
    expect(
      sh("bash", "-c", `timeout 5 bash -c 'echo > /dev/tcp/${node.spec.privateIp}/22' && echo open`).trim(),
    ).toBe("open");
  });

  test("is bootstrapped through the gateway: the program's bootstrap runs to the end", async () => {
    const cp1 = stack.nodes.find((n) => n.name === "cp-1");
    if (!cp1) throw new Error("no cp-1");
    expect(cp1.connectionHost).toBe(node.spec.privateIp);
    const started = Date.now() / 1000;
    const result = await throughGateway(
      cp1.bootstrap.text,
      cp1.bootstrap.stdin + `export K3S_INSTALL_URL='${STAND_IN_INSTALL_URL}'\n`,
    );
    recordFigure("bootstrap of a private server through the gateway", Date.now() / 1000 - started, "s");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/step wait-ready: k3s is ready/);
    expect(result.stdout).toMatch(/^hetzner-k8s-host-key: ssh-ed25519 /m);
  });
});
