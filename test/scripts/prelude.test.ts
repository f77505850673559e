import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  PRELUDE_FILE,
  readNodeScript,
  readScriptWithPrelude,
  remoteScript,
  type NodeScript,
} from "../../src/remote/remoteScript";
import { findOnPath, realPath, SCRIPTS_DIR } from "./harness";

/**
 * scripts/prelude.sh defines what the node scripts share (fail, log, require_number, wait_until,
 * write_if_changed) once,
 * and the program puts it in front of each script's text as it reads it. These tests keep it that way: no
 * script defines those names again, every text the program runs starts with the prelude, and the
 * combined texts pass shellcheck as what they are, one script.
 */

const SHARED = ["fail", "log", "require_number", "wait_until", "write_if_changed"];
const PRELUDE = fs.readFileSync(path.join(SCRIPTS_DIR, PRELUDE_FILE), "utf8");
const SCRIPTS = fs
  .readdirSync(SCRIPTS_DIR)
  .filter((file) => file.endsWith(".sh") && file !== PRELUDE_FILE)
  .sort();
/** Run by hand from the runbook, not by the program. */
const BY_HAND = ["restore-etcd.sh"];
const NODE_SCRIPTS = SCRIPTS.filter((file) => !BY_HAND.includes(file)).map(
  (file) => file.slice(0, -".sh".length) as NodeScript,
);

/** The names a shell text defines as functions, in either syntax. */
function definedFunctions(text: string): string[] {
  const pattern = /^[ \t]*(?:function[ \t]+([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(\))/gm;
  return [...text.matchAll(pattern)].map((match) => match[1] ?? match[2]);
}

/** Runs `body` after the prelude, as a script would, with the given environment. */
function runAfterPrelude(body: string, env: Record<string, string> = {}) {
  return spawnSync("bash", ["-s"], {
    input: `${PRELUDE}${body}\n`,
    encoding: "utf8",
    env: { PATH: realPath(), LANG: "C.UTF-8", POLL_INTERVAL: "0.05", ...env },
  });
}

describe("scripts/prelude.sh", () => {
  it("defines each shared function once, and starts with the shebang and set -euo pipefail", () => {
    expect(definedFunctions(PRELUDE).sort()).toEqual([...SHARED].sort());
    expect(PRELUDE.split("\n").slice(0, 2)).toEqual(["#!/usr/bin/env bash", "set -euo pipefail"]);
    expect(PRELUDE.endsWith("\n")).toBe(true);
  });

  it.each(SCRIPTS)("%s does not define a function of the prelude again", (file) => {
    const own = definedFunctions(fs.readFileSync(path.join(SCRIPTS_DIR, file), "utf8"));
    expect(own.filter((name) => SHARED.includes(name))).toEqual([]);
  });

  it.each(NODE_SCRIPTS)("the program's text of %s is the prelude, then the script", (name) => {
    const file = fs.readFileSync(path.join(SCRIPTS_DIR, `${name}.sh`), "utf8");
    expect(readNodeScript(name)).toBe(PRELUDE + file);
    // And so is what travels to the node, inside the command's here-document.
    const command = remoteScript({
      environment: {},
      scripts: [{ name, text: readNodeScript(name) }],
      secretsOnStdin: false,
    });
    expect(command).toContain(
      `<<'__HETZNER_K8S_${name.toUpperCase().replace(/-/g, "_")}__'\n${PRELUDE}${file}`,
    );
  });

  it("gives the harness and the runbook the same text for restore-etcd.sh: cat prelude.sh restore-etcd.sh", () => {
    expect(readScriptWithPrelude("restore-etcd.sh")).toBe(
      PRELUDE + fs.readFileSync(path.join(SCRIPTS_DIR, "restore-etcd.sh"), "utf8"),
    );
    const runbook = fs.readFileSync(
      path.resolve(SCRIPTS_DIR, "../docs/runbooks/backup-restore-etcd.md"),
      "utf8",
    );
    expect(runbook).toContain("cat scripts/prelude.sh scripts/restore-etcd.sh |\n  ssh ");
  });

  it("stops restore-etcd.sh before it touches anything when it is piped without the prelude", () => {
    const result = spawnSync("bash", ["-s"], {
      input: fs.readFileSync(path.join(SCRIPTS_DIR, "restore-etcd.sh"), "utf8"),
      encoding: "utf8",
      // No k3s or systemctl on this PATH: reaching them would fail differently.
      env: { PATH: "/usr/bin:/bin", NODE_NAME: "cp-1", SNAPSHOT: "snap", CONFIRM: "yes" },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /^hetzner-k8s: restore-etcd\.sh runs after scripts\/prelude\.sh: cat scripts\/prelude\.sh/,
    );
  });

  it.each([...NODE_SCRIPTS.map((name) => `${name}.sh`), ...BY_HAND])(
    "passes shellcheck as the prelude and %s together",
    (file) => {
      const shellcheck = findOnPath("shellcheck");
      if (!shellcheck)
        throw new Error("shellcheck is missing: bash test/install-prerequisites.sh installs it");
      const result = spawnSync(shellcheck, ["--shell=bash", "--external-sources", "-"], {
        input: readScriptWithPrelude(file),
        encoding: "utf8",
      });
      expect(result.stdout).toBe("");
      expect(result.status).toBe(0);
    },
  );

  describe("log and fail", () => {
    it("print the step line on stdout and stderr; fail ends the script with 1", () => {
      const result = runAfterPrelude(
        'NODE_NAME=cp-1\nlog install "k3s is ready"\nfail check-env "bad" "input"\necho after',
      );
      expect(result.stdout).toBe("hetzner-k8s: node cp-1: step install: k3s is ready\n");
      expect(result.stderr).toBe("hetzner-k8s: node cp-1: step check-env: bad input\n");
      expect(result.status).toBe(1);
    });

    it("name the machine with LOG_SUBJECT and log to LOG_FD, both set after the prelude, never inherited", () => {
      const result = runAfterPrelude(
        'NODE_NAME=gw\nlog one "on stdout"\nLOG_SUBJECT=gateway\nLOG_FD=2\nlog two "on stderr"',
        {
          LOG_SUBJECT: "inherited",
          LOG_FD: "2",
        },
      );
      expect(result.stdout).toBe("hetzner-k8s: node gw: step one: on stdout\n");
      expect(result.stderr).toBe("hetzner-k8s: gateway gw: step two: on stderr\n");
      expect(result.status).toBe(0);
    });

    it("say <unset> when NODE_NAME is not set", () => {
      const result = runAfterPrelude('fail check-env "NODE_NAME is required"');
      expect(result.stderr).toBe("hetzner-k8s: node <unset>: step check-env: NODE_NAME is required\n");
      expect(result.status).toBe(1);
    });
  });

  describe("wait_until", () => {
    it("returns once the command succeeds, and 1 once the timeout has passed", () => {
      const result = runAfterPrelude(
        [
          "n=0",
          "third() { n=$((n + 1)); ((n >= 3)); }",
          'wait_until 5 third && echo "ok after $n"',
          'wait_until 1 false || echo "timed out with $?"',
        ].join("\n"),
      );
      expect(result.stdout).toBe("ok after 3\ntimed out with 1\n");
      expect(result.status).toBe(0);
    });
  });

  describe("write_if_changed", () => {
    let dir: string;
    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "hk-prelude-"));
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("writes only what changed (WROTE says which), with a final newline and the mode; repairs a loosened mode", () => {
      const file = path.join(dir, "etc", "conf");
      const result = runAfterPrelude(
        [
          `write_if_changed ${file} 0600 'a=1'; echo "first $WROTE"`,
          `write_if_changed ${file} 0600 $'a=1\\n'; echo "same $WROTE"`,
          `chmod 0644 ${file}; write_if_changed ${file} 0600 'a=1'; echo "loosened $WROTE $(stat -c %a ${file})"`,
          `write_if_changed ${file} 0600 'a=2'; echo "changed $WROTE"`,
        ].join("\n"),
        { TMPDIR: dir },
      );
      expect(result.stderr).toBe("");
      expect(result.stdout).toBe("first 1\nsame 0\nloosened 0 600\nchanged 1\n");
      expect(fs.readFileSync(file, "utf8")).toBe("a=2\n");
      expect(fs.statSync(file).mode & 0o777).toBe(0o600);
      expect(fs.readdirSync(path.dirname(file))).toEqual(["conf"]);
    });
  });
});
