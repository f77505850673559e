import * as fs from "node:fs";
import * as path from "node:path";
import { callsTo, failureLine, RunResult, ScriptHarness } from "./harness";

const NODE = "cp-1";
const VERSION = "v1.33.5+k3s1";
const TOKEN = "K10-very-secret-token::server:abcdef0123456789";
const CONFIG = "token-file: /etc/rancher/k3s/token\nnode-name: cp-1\ncluster-init: true\n";

type Env = Record<string, string>;

function serverEnv(overrides: Env = {}): Env {
  return {
    NODE_NAME: NODE,
    K3S_ROLE: "server",
    K3S_VERSION: VERSION,
    K3S_TOKEN: TOKEN,
    K3S_CONFIG_YAML: CONFIG,
    READY_TIMEOUT: "5",
    ...overrides,
  };
}

function installerCalls(result: RunResult): string[] {
  return callsTo(result.calls, "installer");
}

function restarts(result: RunResult): string[] {
  return callsTo(result.calls, "systemctl").filter((call) => /^(restart|start) /.test(call));
}

describe("install-k3s.sh", () => {
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
  });
  afterEach(() => h.cleanup());

  it("fresh install: downloads and runs the installer with version and role, and waits until ready", () => {
    const result = h.run("install-k3s.sh", serverEnv());

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "curl")[0]).toMatch(/-o \S+ https:\/\/get\.k3s\.io$/);
    expect(installerCalls(result)).toEqual([
      `INSTALL_K3S_VERSION=${VERSION} INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_ENABLE=<unset> INSTALL_K3S_FORCE_RESTART=false`,
    ]);
    expect(callsTo(result.calls, "curl")).toContain(
      "-sf --max-time 5 -o /dev/null http://127.0.0.1:10248/healthz",
    );
    expect(callsTo(result.calls, "k3s")).toContain("kubectl get --raw=/readyz");
    expect(result.stdout).toContain("step wait-ready: k3s is ready");
  });

  it("writes token and config with mode 0600 and never prints or passes on the token", () => {
    h.stub("journalctl", `printf 'journal line\\n'`);
    const ok = h.run("install-k3s.sh", serverEnv());
    const failing = h.run(
      "install-k3s.sh",
      serverEnv({ K3S_VERSION: "v1.33.6+k3s1", STUB_HEALTHZ_AFTER: "never", READY_TIMEOUT: "1" }),
    );

    for (const file of ["/etc/rancher/k3s/token", "/etc/rancher/k3s/config.yaml"]) {
      expect(fs.statSync(h.rootPath(file)).mode & 0o777).toBe(0o600);
    }
    expect(h.readRootFile("/etc/rancher/k3s/token")).toBe(`${TOKEN}\n`);
    expect(h.readRootFile("/etc/rancher/k3s/config.yaml")).toBe(CONFIG);
    for (const result of [ok, failing]) {
      expect(result.stdout).not.toContain(TOKEN);
      expect(result.stderr).not.toContain(TOKEN);
      expect(result.calls.join("\n")).not.toContain(TOKEN);
    }
    // The real installer would copy K3S_* variables into the service env file: none may reach it.
    expect(fs.readFileSync(path.join(h.stateDir, "installer-env"), "utf8")).toBe("");
  });

  it("second run with the same version, config and token is a no-op", () => {
    expect(h.run("install-k3s.sh", serverEnv()).status).toBe(0);
    const configBefore = fs.statSync(h.rootPath("/etc/rancher/k3s/config.yaml")).mtimeMs;

    const second = h.run("install-k3s.sh", serverEnv());

    expect(second.status).toBe(0);
    expect(installerCalls(second)).toEqual([]);
    expect(callsTo(second.calls, "curl").filter((c) => c.includes("get.k3s.io"))).toEqual([]);
    expect(restarts(second)).toEqual([]);
    expect(fs.statSync(h.rootPath("/etc/rancher/k3s/config.yaml")).mtimeMs).toBe(configBefore);
    expect(second.stdout).toContain("nothing to do");
  });

  it("config change on the same version restarts the service instead of reinstalling", () => {
    h.run("install-k3s.sh", serverEnv());
    const changed = h.run(
      "install-k3s.sh",
      serverEnv({ K3S_CONFIG_YAML: `${CONFIG}node-label:\n  - tier=gold\n` }),
    );

    expect(changed.status).toBe(0);
    expect(installerCalls(changed)).toEqual([]);
    expect(restarts(changed)).toEqual(["restart --no-block k3s"]);
    expect(h.readRootFile("/etc/rancher/k3s/config.yaml")).toContain("tier=gold");
  });

  it("token change on the same version restarts the service", () => {
    h.run("install-k3s.sh", serverEnv());
    const changed = h.run("install-k3s.sh", serverEnv({ K3S_TOKEN: "another-token" }));

    expect(installerCalls(changed)).toEqual([]);
    expect(restarts(changed)).toEqual(["restart --no-block k3s"]);
    expect(changed.stdout).not.toContain("another-token");
  });

  it("version change runs the installer with the new version", () => {
    h.run("install-k3s.sh", serverEnv());
    const upgraded = h.run("install-k3s.sh", serverEnv({ K3S_VERSION: "v1.34.1+k3s1" }));

    expect(upgraded.status).toBe(0);
    expect(installerCalls(upgraded)).toEqual([
      "INSTALL_K3S_VERSION=v1.34.1+k3s1 INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_ENABLE=<unset> INSTALL_K3S_FORCE_RESTART=false",
    ]);
  });

  it("re-runs the installer, forcing a start, when the version matches but the service is not active", () => {
    h.run("install-k3s.sh", serverEnv());
    fs.rmSync(path.join(h.stateDir, "active-k3s"));

    const result = h.run("install-k3s.sh", serverEnv());

    expect(result.status).toBe(0);
    expect(installerCalls(result)).toEqual([
      `INSTALL_K3S_VERSION=${VERSION} INSTALL_K3S_EXEC=server INSTALL_K3S_SKIP_ENABLE=<unset> INSTALL_K3S_FORCE_RESTART=true`,
    ]);
  });

  it("ignores INSTALL_K3S_SKIP_ENABLE from the environment", () => {
    const result = h.run("install-k3s.sh", serverEnv({ INSTALL_K3S_SKIP_ENABLE: "true" }));
    expect(installerCalls(result)[0]).toContain("INSTALL_K3S_SKIP_ENABLE=<unset>");
  });

  it("installs an agent as the k3s-agent service, checking only the kubelet", () => {
    const result = h.run(
      "install-k3s.sh",
      serverEnv({ K3S_ROLE: "agent", K3S_AUDIT_POLICY_YAML: "apiVersion: audit.k8s.io/v1\nkind: Policy\n" }),
    );

    expect(result.status).toBe(0);
    expect(installerCalls(result)[0]).toContain("INSTALL_K3S_EXEC=agent");
    expect(restarts(result)).toEqual(["restart k3s-agent"]);
    expect(callsTo(result.calls, "k3s")).not.toContain("kubectl get --raw=/readyz");
    expect(fs.existsSync(h.rootPath("/etc/rancher/k3s/audit-policy.yaml"))).toBe(false);
  });

  it("writes the audit policy on servers and creates the audit log directory", () => {
    const policy = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: Metadata\n";
    const result = h.run("install-k3s.sh", serverEnv({ K3S_AUDIT_POLICY_YAML: policy }));

    expect(result.status).toBe(0);
    expect(h.readRootFile("/etc/rancher/k3s/audit-policy.yaml")).toBe(policy);
    expect(fs.statSync(h.rootPath("/etc/rancher/k3s/audit-policy.yaml")).mode & 0o777).toBe(0o600);
    expect(fs.statSync(h.rootPath("/var/log/kubernetes/audit")).isDirectory()).toBe(true);

    const policyChanged = h.run(
      "install-k3s.sh",
      serverEnv({ K3S_AUDIT_POLICY_YAML: `${policy}  - level: None\n` }),
    );
    expect(restarts(policyChanged)).toEqual(["restart --no-block k3s"]);
  });

  it("fails naming node and step install when the installer fails or hangs", () => {
    const failed = h.run("install-k3s.sh", serverEnv({ STUB_INSTALLER_EXIT: "1" }));
    expect(failed.status).not.toBe(0);
    expect(failed.stderr).toMatch(failureLine(NODE, "install"));
    expect(failed.stderr).toContain("installer failed (exit 1)");

    const started = Date.now();
    const hung = h.run("install-k3s.sh", serverEnv({ STUB_INSTALLER_SLEEP: "60", INSTALL_TIMEOUT: "1" }));
    expect(hung.status).not.toBe(0);
    expect(hung.stderr).toMatch(failureLine(NODE, "install"));
    expect(hung.stderr).toContain("did not finish within 1s");
    expect(hung.stderr).toContain("fake journal line 1");
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("waits until the kubelet answers", () => {
    const result = h.run("install-k3s.sh", serverEnv({ STUB_HEALTHZ_AFTER: "3" }));

    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "curl").filter((c) => c.endsWith("/healthz"))).toHaveLength(3);
  });

  it("fails after READY_TIMEOUT naming node and step wait-ready, with the journal tail", () => {
    const started = Date.now();
    const result = h.run("install-k3s.sh", serverEnv({ STUB_HEALTHZ_AFTER: "never", READY_TIMEOUT: "2" }));

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "wait-ready"));
    expect(result.stderr).toContain("did not become ready within 2s");
    expect(result.stderr).toContain("fake journal line 3");
    expect(callsTo(result.calls, "journalctl")).toEqual(["-u k3s -n 50 --no-pager"]);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it("fails wait-ready on a server whose API server never becomes ready", () => {
    const result = h.run("install-k3s.sh", serverEnv({ STUB_READYZ: "fail", READY_TIMEOUT: "1" }));

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "wait-ready"));
  });

  it("restarts again on the next run when the node did not become ready after a config change", () => {
    h.run("install-k3s.sh", serverEnv());
    const newConfig = { K3S_CONFIG_YAML: `${CONFIG}debug: true\n` };
    const failed = h.run(
      "install-k3s.sh",
      serverEnv({ ...newConfig, STUB_HEALTHZ_AFTER: "never", READY_TIMEOUT: "1" }),
    );
    expect(failed.status).not.toBe(0);

    const retried = h.run("install-k3s.sh", serverEnv(newConfig));
    expect(retried.status).toBe(0);
    expect(restarts(retried)).toEqual(["restart --no-block k3s"]);
    expect(restarts(h.run("install-k3s.sh", serverEnv(newConfig)))).toEqual([]);
  });

  it("retries the installer download a bounded number of times", () => {
    const flaky = h.run("install-k3s.sh", serverEnv({ STUB_DOWNLOAD_FAILURES: "2" }));
    expect(flaky.status).toBe(0);
    expect(installerCalls(flaky)).toHaveLength(1);

    const h2 = new ScriptHarness();
    try {
      const down = h2.run(
        "install-k3s.sh",
        serverEnv({ STUB_DOWNLOAD_FAILURES: "99", DOWNLOAD_ATTEMPTS: "3" }),
      );
      expect(down.status).not.toBe(0);
      expect(down.stderr).toMatch(failureLine(NODE, "install"));
      expect(callsTo(down.calls, "curl").filter((c) => c.includes("get.k3s.io"))).toHaveLength(3);
    } finally {
      h2.cleanup();
    }
  });

  it("uses K3S_INSTALL_URL when given", () => {
    const result = h.run(
      "install-k3s.sh",
      serverEnv({ K3S_INSTALL_URL: "https://mirror.example/k3s-install.sh" }),
    );
    expect(callsTo(result.calls, "curl")[0]).toMatch(/https:\/\/mirror\.example\/k3s-install\.sh$/);
  });

  it.each([
    ["K3S_ROLE", { K3S_ROLE: "master" }],
    ["K3S_VERSION", { K3S_VERSION: "latest" }],
    ["K3S_TOKEN", { K3S_TOKEN: "" }],
    ["K3S_CONFIG_YAML", { K3S_CONFIG_YAML: "" }],
  ])("rejects a bad %s before touching the node", (_name, overrides) => {
    const result = h.run("install-k3s.sh", serverEnv(overrides));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "check-env"));
    expect(result.calls).toEqual([]);
  });
});
