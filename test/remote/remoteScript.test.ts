import { spawnSync } from "node:child_process";
import { exportLines, remoteScript, shellQuote } from "../../src/remote/remoteScript";

/** Runs a composed command the way the SSH session does: `bash -c <command>` with the secrets on stdin. */
function run(command: string, stdin = "") {
  return spawnSync("bash", ["-c", command], { input: stdin, encoding: "utf8" });
}

describe("remote script composition", () => {
  it("runs each script in turn with the plain parameters and the secrets from standard input", () => {
    const command = remoteScript({
      environment: { NODE_NAME: "dev-cp-1", K3S_CONFIG_YAML: "node-ip: 10.0.1.10\ntls-san:\n  - 'x'\n" },
      scripts: [
        { name: "first", text: '#!/usr/bin/env bash\necho "first $NODE_NAME $K3S_TOKEN"\n' },
        { name: "second", text: '#!/usr/bin/env bash\nprintf "%s" "$K3S_CONFIG_YAML"\n' },
      ],
      secretsOnStdin: true,
    });
    expect(command).not.toContain("s3cr3t");
    const result = run(command, exportLines({ K3S_TOKEN: "s3cr3t" }) + "\n");
    expect(result.status).toBe(0);
    expect(result.stdout).toBe("first dev-cp-1 s3cr3t\nnode-ip: 10.0.1.10\ntls-san:\n  - 'x'\n");
  });

  it("stops at the first failing script", () => {
    const command = remoteScript({
      environment: {},
      scripts: [
        { name: "fails", text: "exit 3\n" },
        { name: "never", text: "echo never\n" },
      ],
      secretsOnStdin: false,
    });
    const result = run(command);
    expect(result.status).toBe(3);
    expect(result.stdout).toBe("");
  });

  it("quotes any value safely and refuses names that are not shell variables", () => {
    expect(run(`echo ${shellQuote("it's $HOME `id`")}`).stdout).toBe("it's $HOME `id`\n");
    expect(() => exportLines({ "BAD-NAME": "x" })).toThrow(/invalid environment variable name/);
  });

  it("refuses a script that contains its own here-document marker", () => {
    expect(() =>
      remoteScript({
        environment: {},
        scripts: [{ name: "x", text: "__HETZNER_K8S_X__\n" }],
        secretsOnStdin: false,
      }),
    ).toThrow(/marker/);
  });
});
