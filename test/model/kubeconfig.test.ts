import { parse } from "yaml";
import { kubeconfigRenewal, withServer } from "../../src/model/kubeconfig";

const ADMIN = `apiVersion: v1
kind: Config
clusters:
  - name: default
    cluster:
      certificate-authority-data: Q0E=
      server: https://api.prod.example.com:6443
users:
  - name: default
    user:
      client-certificate-data: Q0VSVA==
      client-key-data: S0VZ
contexts:
  - name: default
    context: { cluster: default, user: default }
current-context: default
`;

describe("the program's own view of the admin kubeconfig", () => {
  it("points every cluster at the given address and keeps the CA and the credentials", () => {
    const moved = parse(withServer(ADMIN, "https://95.216.10.1:6443")) as Record<string, unknown>;
    const original = parse(ADMIN) as Record<string, unknown>;
    expect(moved).toEqual({
      ...original,
      clusters: [
        {
          name: "default",
          cluster: { "certificate-authority-data": "Q0E=", server: "https://95.216.10.1:6443" },
        },
      ],
    });
  });

  it("hands back text that is not a kubeconfig with clusters, for the provider to report", () => {
    expect(withServer("", "https://95.216.10.1:6443")).toBe("");
    expect(withServer("clusters: [", "https://95.216.10.1:6443")).toBe("clusters: [");
    expect(withServer("kind: Config\n", "https://95.216.10.1:6443")).toBe("kind: Config\n");
  });
});

describe("when the admin kubeconfig is read again", () => {
  it.each([
    ["2026-01-01T00:00:00Z", "2026-Q1"],
    ["2026-03-31T23:59:59Z", "2026-Q1"],
    ["2026-04-01T00:00:00Z", "2026-Q2"],
    ["2026-12-02T10:00:00Z", "2026-Q4"],
  ])("on %s the period is %s, so the first pulumi up of each quarter reads it", (when, period) => {
    expect(kubeconfigRenewal(new Date(when))).toBe(period);
  });
});
