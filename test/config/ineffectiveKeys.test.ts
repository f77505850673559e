import { ineffectiveKeys } from "../../src/config/ineffectiveKeys";
import { formatProblem } from "../../src/config/errors";
import { editedConfig } from "../helpers/plan";
import type { StackConfig } from "../../src/config/schema";

/** Keys that do nothing as the rest of the stack file stands are named, with why. */

const notesOf = (edit: (config: StackConfig) => void) =>
  ineffectiveKeys(editedConfig("dev", edit)).map(formatProblem);

describe("keys without effect", () => {
  const firewalled = (config: StackConfig) => {
    config.apiExposure = "firewalled";
    config.apiHostname = "api.example.com";
  };

  it("names apiAllowedSources only while the API is on a public load balancer", () => {
    expect(notesOf(() => undefined)).toEqual([
      expect.stringMatching(/^hetzner-k8s:apiAllowedSources: has no effect with apiExposure "load-balancer"/),
    ]);
    expect(notesOf(firewalled)).toEqual([]);
  });

  it("names settings of switched-off features only when the stack file changed them from the default", () => {
    expect(notesOf((config) => ((config.monitoringEnabled = false), firewalled(config)))).toEqual([]);
    expect(
      notesOf((config) => {
        firewalled(config);
        config.monitoringEnabled = false;
        config.prometheusStorageGb = 80;
        config.drainOnRemoval = false;
        config.drainTimeoutSeconds = 900;
        config.sshAllowAnywhere = true;
      }),
    ).toEqual([
      "hetzner-k8s:sshAllowAnywhere: has no effect: sshAllowedSources holds no 0.0.0.0/0 or ::/0",
      "hetzner-k8s:drainTimeoutSeconds: has no effect with drainOnRemoval false: removed nodes are not drained",
      "hetzner-k8s:prometheusStorageGb: has no effect with monitoringEnabled false",
    ]);
  });

  it("names overcommit without tenants, and the hosts' domain with neither Rancher nor Grafana", () => {
    expect(
      notesOf((config) => {
        firewalled(config);
        config.tenants = [];
        config.overcommit = { ...config.overcommit, cpu: 2 };
        config.rancherEnabled = false;
        config.monitoringEnabled = false;
        config.ingressDomain = "example.com";
      }),
    ).toEqual([
      "hetzner-k8s:ingressDomain: has no effect: it names Rancher's and Grafana's hosts, and both are disabled",
      "hetzner-k8s:overcommit: has no effect: no tenant is promised any share of the pool",
    ]);
  });

  it("names the window of switched-off reboots, the databases of switched-off scanning, the bucket of switched-off backups", () => {
    const base = (config: StackConfig) => {
      firewalled(config);
      config.rebootsEnabled = false;
      config.imageScanningEnabled = false;
      config.backupsEnabled = false;
    };
    // Off, but with their defaults: nothing to say.
    expect(notesOf(base)).toEqual([]);
    expect(
      notesOf((config) => {
        base(config);
        config.rebootWindow = { ...config.rebootWindow, start: "01:00" };
        config.imageScanningDbRepository = "mirror.example.com/trivy-db";
        config.backupSchedule = "0 1 * * *";
        config.backupRetentionDays = 7;
      }),
    ).toEqual([
      "hetzner-k8s:rebootWindow: has no effect with rebootsEnabled false: no node reboots",
      "hetzner-k8s:imageScanningDbRepository: has no effect with imageScanningEnabled false",
      "hetzner-k8s:backupSchedule: has no effect with backupsEnabled false",
      "hetzner-k8s:backupRetentionDays: has no effect with backupsEnabled false",
    ]);
  });
});
