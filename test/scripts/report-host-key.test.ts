import * as fs from "node:fs";
import * as path from "node:path";
import { hostKeyFromOutput } from "../../src/model/hostKey";
import { ScriptHarness } from "./harness";

const KEY = "AAAAC3NzaC1lZDI1NTE5AAAAIHhvc3Qta2V5LWZvci10ZXN0aW5nLW9ubHk=";

describe("report-host-key.sh", () => {
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
    const result = h.run("report-host-key.sh", { NODE_NAME: "dev-cp-1" });
    expect(result.status).toBe(0);
    expect(result.stdout).toBe(`hetzner-k8s-host-key: ssh-ed25519 ${KEY}\n`);
    expect(hostKeyFromOutput(`some log\n${result.stdout}`)).toBe(`ssh-ed25519 ${KEY}`);
  });

  it.each([
    ["is missing", undefined],
    ["is empty", ""],
    ["holds another key type", `ssh-rsa ${KEY} root@cp-1\n`],
    ["holds no key", "ssh-ed25519 not+a*key\n"],
  ])("fails naming the node and the file when the key file %s", (_, content) => {
    if (content !== undefined) hostKeyFile(content);
    const result = h.run("report-host-key.sh", { NODE_NAME: "dev-cp-1" });
    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/^hetzner-k8s: node dev-cp-1: step host-key: .*ssh_host_ed25519_key\.pub/);
  });
});
