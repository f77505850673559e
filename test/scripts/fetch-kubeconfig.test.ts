import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { failureLine, ScriptHarness } from "./harness";

/** A self-signed certificate valid for `days`, base64 as in a kubeconfig's client-certificate-data. */
function certificateData(days: number): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hk-cert-"));
  try {
    const cert = path.join(dir, "cert.pem");
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ed25519",
        "-nodes",
        "-subj",
        "/CN=system:admin",
        "-days",
        String(days),
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    return fs.readFileSync(cert).toString("base64");
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const NODE = "cp-1";
const URL = "https://203.0.113.10:6443";
const K3S_YAML = `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: LS0tLS1CRUdJTi==
    server: https://127.0.0.1:6443
  name: default
contexts:
- context:
    cluster: default
    user: default
  name: default
current-context: default
kind: Config
preferences: {}
users:
- name: default
  user:
    client-certificate-data: Y2VydA==
    client-key-data: a2V5
`;

describe("fetch-kubeconfig.sh", () => {
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
  });
  afterEach(() => h.cleanup());

  it.each([
    [30, true],
    [119, true],
    [365, false],
  ])(
    "warns when the admin client certificate expires within 120 days (valid for %i days: %s)",
    (days, warns) => {
      h.writeRootFile("/etc/rancher/k3s/k3s.yaml", K3S_YAML.replace("Y2VydA==", certificateData(days)));
      const result = h.run("fetch-kubeconfig.sh", { NODE_NAME: NODE, API_SERVER_URL: URL });
      expect(result.status).toBe(0);
      expect(result.stdout).toContain(`server: ${URL}`);
      const warning = "step certificate: warning: the admin client certificate expires within 120 days";
      if (warns) expect(result.stderr).toContain(warning);
      else expect(result.stderr).not.toContain(warning);
    },
  );

  it("prints k3s.yaml with only the server line rewritten, and nothing else on stdout", () => {
    h.writeRootFile("/etc/rancher/k3s/k3s.yaml", K3S_YAML);
    const result = h.run("fetch-kubeconfig.sh", { NODE_NAME: NODE, API_SERVER_URL: URL });

    expect(result.status).toBe(0);
    expect(result.stdout).toBe(K3S_YAML.replace("server: https://127.0.0.1:6443", `server: ${URL}`));
    expect(result.stderr).not.toContain("client-key-data");
  });

  it("handles an IPv6 address and a file without a final newline", () => {
    h.writeRootFile("/etc/rancher/k3s/k3s.yaml", K3S_YAML.trimEnd());
    const result = h.run("fetch-kubeconfig.sh", {
      NODE_NAME: NODE,
      API_SERVER_URL: "https://[2001:db8::10]:6443",
    });

    expect(result.status).toBe(0);
    expect(result.stdout).toContain("    server: https://[2001:db8::10]:6443\n");
    expect(result.stdout.endsWith("client-key-data: a2V5\n")).toBe(true);
  });

  it.each(["http://203.0.113.10:6443", "https://203.0.113.10:6443/api", "203.0.113.10:6443", ""])(
    "rejects API_SERVER_URL %j",
    (url) => {
      h.writeRootFile("/etc/rancher/k3s/k3s.yaml", K3S_YAML);
      const result = h.run("fetch-kubeconfig.sh", { NODE_NAME: NODE, API_SERVER_URL: url });
      expect(result.status).not.toBe(0);
      expect(result.stdout).toBe("");
      expect(result.stderr).toMatch(failureLine(NODE, "check-env"));
    },
  );

  it("waits for k3s to write the file", () => {
    const writer = h.background(
      `sleep 0.5; mkdir -p "$(dirname "$1")"; printf '%s' "$2" > "$1.tmp"; mv "$1.tmp" "$1"`,
      [h.rootPath("/etc/rancher/k3s/k3s.yaml"), K3S_YAML],
    );
    const result = h.run("fetch-kubeconfig.sh", {
      NODE_NAME: NODE,
      API_SERVER_URL: URL,
      KUBECONFIG_TIMEOUT: "10",
    });
    writer.kill();

    expect(result.status).toBe(0);
    expect(result.stdout).toContain(`server: ${URL}`);
  });

  it("fails naming node and step when the file never appears", () => {
    const started = Date.now();
    const result = h.run("fetch-kubeconfig.sh", {
      NODE_NAME: NODE,
      API_SERVER_URL: URL,
      KUBECONFIG_TIMEOUT: "1",
    });

    expect(result.status).not.toBe(0);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(failureLine(NODE, "wait-kubeconfig"));
    expect(result.stderr).toContain("did not appear within 1s");
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
