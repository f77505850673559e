import * as fs from "node:fs";
import * as path from "node:path";
import { caHashFromOutput, hostKeyFromOutput } from "../../src/model/nodeIdentity";
import { ScriptHarness } from "./harness";

const KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIHhvc3Qta2V5LWZvci10ZXN0aW5nLW9ubHk=";
const HASH = "0123456789abcdef".repeat(4);

describe("report-node-identity.sh", () => {
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
  });
  afterEach(() => h.cleanup());

  function hostKeyFile(content: string): void {
    const file = h.rootPath("/etc/ssh/ssh_host_ed25519_key.pub");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  it("prints the ED25519 host key, without its comment, in the line the program reads", () => {
    hostKeyFile(`ssh-ed25519 ${KEY} root@cp-1\n`);
    const result = h.run("report-node-identity.sh", { NODE_NAME: "dev-worker-1", K3S_ROLE: "agent" });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`hetzner-k8s-host-key: ssh-ed25519 ${KEY}\n`);
    expect(hostKeyFromOutput(`some log\n${result.stdout}`)).toBe(`ssh-ed25519 ${KEY}`);
  });

  function serverToken(content: string): void {
    const file = h.rootPath("/var/lib/rancher/k3s/server/token");
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }

  it("on a server also prints the CA hash from k3s's secure token, and nothing of the password", () => {
    hostKeyFile(`ssh-ed25519 ${KEY} root@cp-1\n`);
    serverToken(`K10${HASH}::server:the-secret-password\n`);
    const result = h.run("report-node-identity.sh", { NODE_NAME: "dev-cp-1", K3S_ROLE: "server" });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`hetzner-k8s-host-key: ssh-ed25519 ${KEY}\nhetzner-k8s-ca-hash: ${HASH}\n`);
    expect(caHashFromOutput(result.stdout)).toBe(HASH);
    expect(result.stdout + result.stderr).not.toContain("the-secret-password");
  });

  it.each([
    ["missing", undefined],
    ["in the short form", "the-secret-password\n"],
  ])("fails on a server whose k3s token is %s, never printing it", (_, content) => {
    hostKeyFile(`ssh-ed25519 ${KEY} root@cp-1\n`);
    if (content !== undefined) serverToken(content);
    const result = h.run("report-node-identity.sh", { NODE_NAME: "dev-cp-1", K3S_ROLE: "server" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/^hetzner-k8s: node dev-cp-1: step ca-hash: /);
    expect(result.stdout + result.stderr).not.toContain("the-secret-password");
  });

  it.each([
    ["is missing", undefined],
    ["is empty", ""],
    ["holds another key type", `ssh-rsa ${KEY} root@cp-1\n`],
    ["holds no key", "ssh-ed25519 not+a*key\n"],
  ])("fails naming the node and the file when the key file %s", (_, content) => {
    if (content !== undefined) hostKeyFile(content);
    const result = h.run("report-node-identity.sh", { NODE_NAME: "dev-cp-1", K3S_ROLE: "agent" });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^hetzner-k8s: node dev-cp-1: step host-key: .*ssh_host_ed25519_key\.pub/);
  });
});
