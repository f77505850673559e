import * as fs from "node:fs";
import * as path from "node:path";
import { callsTo, DEFAULT_ADDRESSES, failureLine, RunResult, ScriptHarness } from "./harness";

const NODE = "cp-1";
const VERSION = "v1.33.5+k3s1";
const TOKEN = "K10-very-secret-token::server:abcdef0123456789";
const CONFIG = "token-file: /etc/rancher/k3s/token\nnode-name: cp-1\ncluster-init: true\n";
/** enp7s0 holds it in the harness's DEFAULT_ADDRESSES. */
const PRIVATE_IP = "10.0.1.13";
const NODE_DROPIN = "/etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml";
const DROPIN_HEADER = "# Written by hetzner-k8s (install-k3s.sh). k3s merges this file after config.yaml.\n";
const S3_ENV_FILE = "/etc/rancher/k3s/etcd-s3.env";
const S3_UNIT_DROPIN = "/etc/systemd/system/k3s.service.d/50-etcd-s3.conf";
const S3_KEY_ID = "AKIAEXAMPLEKEYID0001";
const S3_SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYzz9Secret==";
const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: S3_KEY_ID, AWS_SECRET_ACCESS_KEY: S3_SECRET };
const PSA_FILE = "/etc/rancher/k3s/pod-security.yaml";
const PSA = "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\n";

type Env = Record<string, string>;

function serverEnv(overrides: Env = {}): Env {
  return {
    NODE_NAME: NODE,
    PRIVATE_IP,
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

function daemonReloads(result: RunResult): string[] {
  return callsTo(result.calls, "systemctl").filter((call) => call === "daemon-reload");
}

function ipCalls(result: RunResult): string[] {
  return callsTo(result.calls, "ip");
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
    expect(callsTo(result.calls, "curl")[0]).toMatch(
      /-o \S+ https:\/\/raw\.githubusercontent\.com\/\S+\/install\.sh$/,
    );
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
    expect(callsTo(second.calls, "curl").filter((c) => c.includes("install.sh"))).toEqual([]);
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

  it("keeps the agent token in a file of its own on a server, secret, and restarts when it changes", () => {
    const AGENT_TOKEN = "agent-secret-0123456789";
    const first = h.run("install-k3s.sh", serverEnv({ K3S_AGENT_TOKEN: AGENT_TOKEN }));
    expect(first.status).toBe(0);
    expect(h.readRootFile("/etc/rancher/k3s/agent-token")).toBe(`${AGENT_TOKEN}\n`);
    expect(h.readRootFile("/etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml")).toContain(
      "agent-token-file: /etc/rancher/k3s/agent-token\n",
    );
    expect(fs.statSync(h.rootPath("/etc/rancher/k3s/agent-token")).mode & 0o777).toBe(0o600);
    for (const output of [first.stdout, first.stderr, first.calls.join("\n")]) {
      expect(output).not.toContain(AGENT_TOKEN);
    }
    const same = h.run("install-k3s.sh", serverEnv({ K3S_AGENT_TOKEN: AGENT_TOKEN }));
    expect(restarts(same)).toEqual([]);
    const changed = h.run("install-k3s.sh", serverEnv({ K3S_AGENT_TOKEN: "rotated-agent-token" }));
    expect(restarts(changed)).toEqual(["restart --no-block k3s"]);
  });

  it("writes the API server's authentication config on a server only", () => {
    const AUTH = "apiVersion: apiserver.config.k8s.io/v1\nkind: AuthenticationConfiguration\n";
    const server = h.run("install-k3s.sh", serverEnv({ K3S_AUTHENTICATION_CONFIG_YAML: AUTH }));
    expect(server.status).toBe(0);
    expect(h.readRootFile("/etc/rancher/k3s/authentication-config.yaml")).toBe(AUTH);
    expect(fs.statSync(h.rootPath("/etc/rancher/k3s/authentication-config.yaml")).mode & 0o777).toBe(0o600);
    const changed = h.run(
      "install-k3s.sh",
      serverEnv({ K3S_AUTHENTICATION_CONFIG_YAML: `${AUTH}# edited\n` }),
    );
    expect(restarts(changed)).toEqual(["restart --no-block k3s"]);
  });

  it("writes the API server's Pod Security admission configuration on a server, restarting k3s when it changes", () => {
    const server = h.run("install-k3s.sh", serverEnv({ K3S_POD_SECURITY_YAML: PSA }));
    expect(server.status).toBe(0);
    expect(h.readRootFile(PSA_FILE)).toBe(PSA);
    expect(fs.statSync(h.rootPath(PSA_FILE)).mode & 0o777).toBe(0o600);
    expect(server.stdout).toContain(`wrote ${PSA_FILE}`);
    const same = h.run("install-k3s.sh", serverEnv({ K3S_POD_SECURITY_YAML: PSA }));
    expect(restarts(same)).toEqual([]);
    const changed = h.run("install-k3s.sh", serverEnv({ K3S_POD_SECURITY_YAML: `${PSA}# edited\n` }));
    expect(restarts(changed)).toEqual(["restart --no-block k3s"]);
    expect(h.readRootFile(PSA_FILE)).toBe(`${PSA}# edited\n`);
  });

  it("writes no Pod Security admission configuration on an agent, which runs no API server", () => {
    const agent = h.run("install-k3s.sh", serverEnv({ K3S_ROLE: "agent", K3S_POD_SECURITY_YAML: PSA }));
    expect(agent.status).toBe(0);
    expect(fs.existsSync(h.rootPath(PSA_FILE))).toBe(false);
    expect(agent.stdout).toContain("K3S_POD_SECURITY_YAML ignored: only servers run an API server");
  });

  it("writes no agent token on an agent, which joins with its own K3S_TOKEN", () => {
    const result = h.run(
      "install-k3s.sh",
      serverEnv({ K3S_ROLE: "agent", K3S_AGENT_TOKEN: "agent-secret-0123456789", K3S_AUDIT_POLICY_YAML: "" }),
    );
    expect(result.status).toBe(0);
    expect(fs.existsSync(h.rootPath("/etc/rancher/k3s/agent-token"))).toBe(false);
    expect(h.readRootFile("/etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml")).not.toContain(
      "agent-token",
    );
    expect(result.stdout).toContain("K3S_AGENT_TOKEN ignored");
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
      expect(callsTo(down.calls, "curl").filter((c) => c.includes("install.sh"))).toHaveLength(3);
    } finally {
      h2.cleanup();
    }
  });

  it("downloads the installer released with the wanted version, not whatever get.k3s.io serves today", () => {
    const result = h.run("install-k3s.sh", serverEnv());
    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "curl")[0]).toMatch(
      new RegExp(
        `https://raw\\.githubusercontent\\.com/k3s-io/k3s/${VERSION.replace("+", "\\+")}/install\\.sh$`,
      ),
    );
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
    ["missing PRIVATE_IP", { PRIVATE_IP: "" }],
    ["PRIVATE_IP with three octets", { PRIVATE_IP: "10.0.1" }],
    ["PRIVATE_IP with an octet over 255", { PRIVATE_IP: "10.0.1.256" }],
    ["PRIVATE_IP with a leading zero", { PRIVATE_IP: "10.0.1.013" }],
    ["IFACE_TIMEOUT", { IFACE_TIMEOUT: "2m" }],
    ["K3S_EXTRA_TLS_SANS with a space inside an entry", { K3S_EXTRA_TLS_SANS: "k8s.example.com,a b" }],
    ["K3S_EXTRA_TLS_SANS with a quote", { K3S_EXTRA_TLS_SANS: 'x"y' }],
    ["K3S_EXTRA_TLS_SANS with a newline inside", { K3S_EXTRA_TLS_SANS: "a.example\nb.example" }],
  ])("rejects a bad %s before touching the node", (_name, overrides) => {
    const result = h.run("install-k3s.sh", serverEnv(overrides));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "check-env"));
    expect(result.calls).toEqual([]);
  });

  it.each([
    ["only the key id", { AWS_ACCESS_KEY_ID: S3_KEY_ID }, "AWS_SECRET_ACCESS_KEY"],
    ["only the secret", { AWS_SECRET_ACCESS_KEY: S3_SECRET }, "AWS_ACCESS_KEY_ID"],
    [
      "a secret with a space",
      { ...S3_CREDENTIALS, AWS_SECRET_ACCESS_KEY: `${S3_SECRET} x` },
      "AWS_SECRET_ACCESS_KEY",
    ],
    [
      "a secret with a quote",
      { ...S3_CREDENTIALS, AWS_SECRET_ACCESS_KEY: `'${S3_SECRET}` },
      "AWS_SECRET_ACCESS_KEY",
    ],
  ])("rejects S3 credentials with %s without showing them", (_name, overrides, named) => {
    const result = h.run("install-k3s.sh", serverEnv(overrides));
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "check-env"));
    expect(result.stderr).toContain(named);
    expect(result.stderr).not.toContain(S3_SECRET);
    expect(result.stderr).not.toContain(S3_KEY_ID);
    expect(result.calls).toEqual([]);
  });

  describe("private network interface", () => {
    it("writes flannel-iface for the interface holding exactly PRIVATE_IP, not a prefix of it", () => {
      // Near misses on both sides: 10.0.1.1 is a prefix of 10.0.1.13, 10.0.1.130 extends it.
      const addresses: Array<[string, string]> = [
        ["lo", "127.0.0.1/8"],
        ["eth0", "203.0.113.10/32"],
        ["ens10", "10.0.1.1/32"],
        ["ens11", "10.0.1.130/24"],
        ["enp7s0", "10.0.1.13/32"],
      ];
      h.setAddresses(addresses);

      const result = h.run("install-k3s.sh", serverEnv());

      expect(result.status).toBe(0);
      expect(ipCalls(result)).toEqual(["-o -4 addr show"]);
      expect(h.readRootFile(NODE_DROPIN)).toBe(`${DROPIN_HEADER}flannel-iface: enp7s0\n`);
      expect(fs.statSync(h.rootPath(NODE_DROPIN)).mode & 0o777).toBe(0o600);
      expect(result.stdout).toContain("step detect-private-interface: 10.0.1.13 is on enp7s0");

      const h2 = new ScriptHarness();
      try {
        h2.setAddresses(addresses);
        expect(h2.run("install-k3s.sh", serverEnv({ PRIVATE_IP: "10.0.1.1" })).status).toBe(0);
        expect(h2.readRootFile(NODE_DROPIN)).toBe(`${DROPIN_HEADER}flannel-iface: ens10\n`);
      } finally {
        h2.cleanup();
      }
    });

    it("waits for the private interface when Hetzner attaches it late", () => {
      const result = h.run("install-k3s.sh", serverEnv({ STUB_IP_ADDR_AFTER: "4" }));

      expect(result.status).toBe(0);
      expect(ipCalls(result)).toHaveLength(4);
      expect(result.stdout).toContain(
        "step detect-private-interface: waiting for an interface with 10.0.1.13",
      );
      expect(h.readRootFile(NODE_DROPIN)).toContain("flannel-iface: enp7s0\n");
      expect(installerCalls(result)).toHaveLength(1);
    });

    it("fails after IFACE_TIMEOUT naming the step and the IP, before writing or installing anything", () => {
      h.setAddresses([
        ["lo", "127.0.0.1/8"],
        ["eth0", "203.0.113.10/32"],
        ["ens10", "10.0.1.1/32"],
      ]);
      const started = Date.now();
      // 2s: bash's SECONDS ticks in whole seconds, so the wait lasts between 1 and 2 seconds.
      const result = h.run("install-k3s.sh", serverEnv({ IFACE_TIMEOUT: "2" }));

      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(failureLine(NODE, "detect-private-interface"));
      expect(result.stderr).toContain("no network interface holds 10.0.1.13 after 2s (IFACE_TIMEOUT)");
      expect(ipCalls(result).length).toBeGreaterThan(1);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(installerCalls(result)).toEqual([]);
      expect(fs.existsSync(h.rootPath("/etc/rancher/k3s/config.yaml"))).toBe(false);
      expect(fs.existsSync(h.rootPath(NODE_DROPIN))).toBe(false);
    });

    it("restarts k3s when the private interface changes", () => {
      h.run("install-k3s.sh", serverEnv());
      h.setAddresses([...DEFAULT_ADDRESSES.slice(0, 2), ["ens10", "10.0.1.13/32"]]);

      const moved = h.run("install-k3s.sh", serverEnv());

      expect(installerCalls(moved)).toEqual([]);
      expect(restarts(moved)).toEqual(["restart --no-block k3s"]);
      expect(h.readRootFile(NODE_DROPIN)).toContain("flannel-iface: ens10\n");
    });
  });

  describe("extra TLS SANs", () => {
    const SANS = "k8s.example.com, 203.0.113.10 ,2001:db8::1,";

    it("appends them to tls-san with tls-san+ on servers", () => {
      const result = h.run("install-k3s.sh", serverEnv({ K3S_EXTRA_TLS_SANS: SANS }));

      expect(result.status).toBe(0);
      expect(h.readRootFile(NODE_DROPIN)).toBe(
        `${DROPIN_HEADER}flannel-iface: enp7s0\n` +
          'tls-san+:\n  - "k8s.example.com"\n  - "203.0.113.10"\n  - "2001:db8::1"\n',
      );
      // config.yaml stays exactly as given: the drop-in appends, it does not rewrite the main file.
      expect(h.readRootFile("/etc/rancher/k3s/config.yaml")).toBe(CONFIG);
    });

    it("ignores them on agents, with a log line", () => {
      const result = h.run("install-k3s.sh", serverEnv({ K3S_ROLE: "agent", K3S_EXTRA_TLS_SANS: SANS }));

      expect(result.status).toBe(0);
      expect(h.readRootFile(NODE_DROPIN)).toBe(`${DROPIN_HEADER}flannel-iface: enp7s0\n`);
      expect(result.stdout).toContain("step config: K3S_EXTRA_TLS_SANS ignored");
    });

    it("a second run with identical inputs is a no-op", () => {
      const env = serverEnv({ K3S_EXTRA_TLS_SANS: SANS, ...S3_CREDENTIALS });
      expect(h.run("install-k3s.sh", env).status).toBe(0);
      const files = [NODE_DROPIN, S3_ENV_FILE, S3_UNIT_DROPIN];
      const before = files.map((file) => fs.statSync(h.rootPath(file)).mtimeMs);

      const second = h.run("install-k3s.sh", env);

      expect(second.status).toBe(0);
      expect(installerCalls(second)).toEqual([]);
      expect(restarts(second)).toEqual([]);
      expect(daemonReloads(second)).toEqual([]);
      expect(files.map((file) => fs.statSync(h.rootPath(file)).mtimeMs)).toEqual(before);
      expect(second.stdout).toContain("config files and token unchanged");
      expect(second.stdout).toContain("nothing to do");
    });

    it("changing them restarts k3s on the same version instead of reinstalling", () => {
      h.run("install-k3s.sh", serverEnv({ K3S_EXTRA_TLS_SANS: SANS }));

      const changed = h.run("install-k3s.sh", serverEnv({ K3S_EXTRA_TLS_SANS: `${SANS}api.example.com` }));

      expect(changed.status).toBe(0);
      expect(installerCalls(changed)).toEqual([]);
      expect(restarts(changed)).toEqual(["restart --no-block k3s"]);
      expect(h.readRootFile(NODE_DROPIN)).toContain('  - "api.example.com"\n');
    });

    it("restarts again on the next run when the node did not become ready after a drop-in change", () => {
      h.run("install-k3s.sh", serverEnv());
      const sans = { K3S_EXTRA_TLS_SANS: SANS };
      const failed = h.run(
        "install-k3s.sh",
        serverEnv({ ...sans, STUB_HEALTHZ_AFTER: "never", READY_TIMEOUT: "1" }),
      );
      expect(failed.status).not.toBe(0);
      expect(restarts(failed)).toEqual(["restart --no-block k3s"]);

      const retried = h.run("install-k3s.sh", serverEnv(sans));
      expect(retried.status).toBe(0);
      expect(restarts(retried)).toEqual(["restart --no-block k3s"]);
      expect(restarts(h.run("install-k3s.sh", serverEnv(sans)))).toEqual([]);
    });
  });

  describe("etcd S3 credentials", () => {
    function expectNoSecrets(result: RunResult): void {
      for (const secret of [S3_KEY_ID, S3_SECRET]) {
        expect(result.stdout).not.toContain(secret);
        expect(result.stderr).not.toContain(secret);
        expect(result.calls.join("\n")).not.toContain(secret);
      }
    }

    it("writes etcd-s3.env (0600) and a k3s.service drop-in, reloads systemd, and never shows the values", () => {
      // A child process that runs before any file is written: it must not inherit the credentials either.
      h.stub(
        "ip",
        `env >"$STUB_STATE/ip-env"\nprintf '3: enp7s0    inet 10.0.1.13/32 scope global enp7s0\\n'`,
      );
      const result = h.run("install-k3s.sh", serverEnv(S3_CREDENTIALS));

      expect(result.status).toBe(0);
      expect(h.readRootFile(S3_ENV_FILE)).toBe(
        `AWS_ACCESS_KEY_ID=${S3_KEY_ID}\nAWS_SECRET_ACCESS_KEY=${S3_SECRET}\n`,
      );
      expect(fs.statSync(h.rootPath(S3_ENV_FILE)).mode & 0o777).toBe(0o600);
      expect(h.readRootFile(S3_UNIT_DROPIN)).toBe(
        "[Service]\nEnvironmentFile=/etc/rancher/k3s/etcd-s3.env\n",
      );
      expect(daemonReloads(result)).toEqual(["daemon-reload"]);
      // The reload comes before the installer starts the service.
      expect(result.calls.indexOf("systemctl daemon-reload")).toBeLessThan(
        result.calls.findIndex((call) => call.startsWith("installer ")),
      );
      expectNoSecrets(result);
      for (const envFile of ["installer-env-all", "ip-env"]) {
        const env = fs.readFileSync(path.join(h.stateDir, envFile), "utf8");
        expect(env).not.toContain(S3_KEY_ID);
        expect(env).not.toContain(S3_SECRET);
        expect(env).not.toMatch(/^AWS_/m);
      }
    });

    it("does not show the values when the node then fails to become ready", () => {
      h.stub("journalctl", `printf 'journal line\\n'`);
      const result = h.run(
        "install-k3s.sh",
        serverEnv({ ...S3_CREDENTIALS, STUB_HEALTHZ_AFTER: "never", READY_TIMEOUT: "1" }),
      );

      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(failureLine(NODE, "wait-ready"));
      expectNoSecrets(result);
    });

    it("a rotated secret restarts k3s without reinstalling or reloading systemd", () => {
      h.run("install-k3s.sh", serverEnv(S3_CREDENTIALS));

      const rotated = h.run(
        "install-k3s.sh",
        serverEnv({ ...S3_CREDENTIALS, AWS_SECRET_ACCESS_KEY: "another/Secret+Value" }),
      );

      expect(rotated.status).toBe(0);
      expect(installerCalls(rotated)).toEqual([]);
      expect(restarts(rotated)).toEqual(["restart --no-block k3s"]);
      expect(daemonReloads(rotated)).toEqual([]);
      expect(h.readRootFile(S3_ENV_FILE)).toContain("AWS_SECRET_ACCESS_KEY=another/Secret+Value\n");
      expect(rotated.stdout).not.toContain("another/Secret+Value");
    });

    it("removes both files when the credentials are gone, reloads systemd and restarts k3s", () => {
      h.run("install-k3s.sh", serverEnv(S3_CREDENTIALS));

      const revoked = h.run("install-k3s.sh", serverEnv());

      expect(revoked.status).toBe(0);
      expect(fs.existsSync(h.rootPath(S3_ENV_FILE))).toBe(false);
      expect(fs.existsSync(h.rootPath(S3_UNIT_DROPIN))).toBe(false);
      expect(daemonReloads(revoked)).toEqual(["daemon-reload"]);
      expect(installerCalls(revoked)).toEqual([]);
      expect(restarts(revoked)).toEqual(["restart --no-block k3s"]);

      const again = h.run("install-k3s.sh", serverEnv());
      expect(restarts(again)).toEqual([]);
      expect(daemonReloads(again)).toEqual([]);
    });

    it("ignores them on agents, with a log line", () => {
      const result = h.run("install-k3s.sh", serverEnv({ K3S_ROLE: "agent", ...S3_CREDENTIALS }));

      expect(result.status).toBe(0);
      expect(fs.existsSync(h.rootPath(S3_ENV_FILE))).toBe(false);
      expect(fs.existsSync(h.rootPath(S3_UNIT_DROPIN))).toBe(false);
      expect(daemonReloads(result)).toEqual([]);
      expect(result.stdout).toContain("AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ignored");
      expectNoSecrets(result);
    });

    it("fails step config when systemctl daemon-reload fails", () => {
      const result = h.run(
        "install-k3s.sh",
        serverEnv({ ...S3_CREDENTIALS, STUB_SYSTEMCTL_FAIL: "daemon-reload" }),
      );

      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(failureLine(NODE, "config"));
      expect(installerCalls(result)).toEqual([]);
      expectNoSecrets(result);
    });
  });
});
