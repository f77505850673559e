import { CHARTS, K3S_RELEASES, RANCHER_MAX_KUBERNETES_MINOR, VERSIONS } from "../../src/versions";
import { key, problemsAfter } from "./fixtures";

describe("k3s settings", () => {
  it("rejects text that is not a k3s release, a release it does not know, and one Rancher does not support", () => {
    expect(problemsAfter((raw) => (raw[key("k3sVersion")] = "1.35.6"))).toEqual([
      `hetzner-k8s:k3sVersion: "1.35.6" is not a k3s release (expected e.g. ${VERSIONS.k3s})`,
    ]);
    expect(problemsAfter((raw) => (raw[key("k3sVersion")] = "v1.29.9+k3s1"))).toEqual([
      "hetzner-k8s:k3sVersion: v1.29.9+k3s1 is not a k3s release this program knows (K3S_RELEASES in src/versions.ts, v1.33 to v1.37.1+k3s1)",
    ]);
    expect(problemsAfter((raw) => (raw[key("k3sVersion")] = "v1.35.99+k3s1"))).toEqual([
      expect.stringContaining("known v1.35 releases: v1.35.0+k3s1, v1.35.0+k3s3, v1.35.1+k3s1"),
    ]);
    expect(problemsAfter((raw) => (raw[key("k3sVersion")] = "v1.36.3+k3s1"))).toEqual([
      `hetzner-k8s:k3sVersion: v1.36.3+k3s1 is newer than Rancher ${CHARTS.rancher.version} supports (Kubernetes up to 1.35): stay on v1.35 until the Rancher pin moves`,
    ]);
  });

  it("pins a known release of a Kubernetes line that is still supported", () => {
    expect(K3S_RELEASES).toContain(VERSIONS.k3s);
    // Kubernetes supports its three newest minors; 1.37 was the newest on the date of K3S_RELEASES.
    const minor = Number(/^v1\.(\d+)\./.exec(VERSIONS.k3s)?.[1]);
    expect(minor).toBeGreaterThanOrEqual(35);
    expect(minor).toBeLessThanOrEqual(RANCHER_MAX_KUBERNETES_MINOR);
    expect(new Set(K3S_RELEASES).size).toBe(K3S_RELEASES.length);
  });

  it("rejects an API hostname that is not a DNS name, and needs one for a firewalled API", () => {
    expect(problemsAfter((raw) => (raw[key("apiHostname")] = "API_host"))).toEqual([
      'hetzner-k8s:apiHostname: "API_host" is not a DNS name',
    ]);
    expect(problemsAfter((raw) => (raw[key("apiExposure")] = "firewalled"))).toEqual([
      'hetzner-k8s:apiHostname: required with apiExposure "firewalled": a DNS name with A records for the control-plane nodes\' public addresses',
    ]);
    expect(
      problemsAfter((raw) => {
        raw[key("apiExposure")] = "firewalled";
        raw[key("apiHostname")] = "api.dev.example.com";
      }),
    ).toEqual([]);
  });

  it("rejects a snapshot schedule that is not a 5-field cron expression", () => {
    expect(problemsAfter((raw) => (raw[key("etcdSnapshotSchedule")] = "every 6 hours"))).toEqual([
      'hetzner-k8s:etcdSnapshotSchedule: "every 6 hours" is not a 5-field cron schedule (e.g. "0 */6 * * *")',
    ]);
  });

  it("needs endpoint and credentials once a snapshot bucket is set, and no stray settings without one", () => {
    expect(problemsAfter((raw) => (raw[key("etcdS3Bucket")] = "snapshots"))).toEqual([
      "hetzner-k8s:etcdS3Endpoint: required when etcdS3Bucket is set",
      "hetzner-k8s:etcdS3AccessKey: required when etcdS3Bucket is set",
      "hetzner-k8s:etcdS3SecretKey: required when etcdS3Bucket is set",
    ]);
    expect(problemsAfter((raw) => (raw[key("etcdS3Folder")] = "dev"))).toEqual([
      "hetzner-k8s:etcdS3Folder: is set but etcdS3Bucket is empty, so snapshots stay on the nodes",
    ]);
  });

  it("refuses snapshot credentials stored in plain text", () => {
    const lines = problemsAfter((raw) => {
      raw[key("etcdS3Bucket")] = "snapshots";
      raw[key("etcdS3Endpoint")] = "fsn1.your-objectstorage.com";
      raw[key("etcdS3AccessKey")] = "AKIA";
      raw[key("etcdS3SecretKey")] = "s3cr3t";
    });
    expect(lines).toEqual([
      "hetzner-k8s:etcdS3AccessKey: is a credential stored in plain text; set it with: pulumi config set --secret hetzner-k8s:etcdS3AccessKey",
      "hetzner-k8s:etcdS3SecretKey: is a credential stored in plain text; set it with: pulumi config set --secret hetzner-k8s:etcdS3SecretKey",
    ]);
  });
});
