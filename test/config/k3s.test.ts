import { key, problemsAfter } from "./fixtures";

describe("k3s settings", () => {
  it("rejects text that is not a k3s release, and releases older than v1.30", () => {
    expect(problemsAfter((raw) => (raw[key("k3sVersion")] = "1.33.5"))).toEqual([
      'hetzner-k8s:k3sVersion: "1.33.5" is not a k3s release (expected e.g. v1.33.5+k3s1)',
    ]);
    expect(problemsAfter((raw) => (raw[key("k3sVersion")] = "v1.29.9+k3s1"))).toEqual([
      "hetzner-k8s:k3sVersion: v1.29.9+k3s1 is too old (v1.30 or later)",
    ]);
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
