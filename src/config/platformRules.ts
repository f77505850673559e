import type { ConfigProblem } from "./errors";
import type { StackConfig } from "./schema";

/** Rules for the platform add-ons: hostnames, certificates, storage choices, monitoring settings. */

const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PROMETHEUS_DURATION = /^[1-9]\d*(ms|s|m|h|d|w|y)$/;

export function checkPlatformConfig(config: StackConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const add = (key: string, message: string) => problems.push({ path: [key], message });

  if (config.ingressDomain !== "" && !DNS_NAME.test(config.ingressDomain)) {
    add("ingressDomain", `"${config.ingressDomain}" is not a DNS name`);
  }
  if (config.letsEncryptEmail !== "") {
    if (!EMAIL.test(config.letsEncryptEmail))
      add("letsEncryptEmail", `"${config.letsEncryptEmail}" is not an e-mail address`);
    if (config.ingressDomain === "") {
      add(
        "letsEncryptEmail",
        "needs ingressDomain: Let's Encrypt certificates are issued for your own domain",
      );
    }
  }
  if (config.rancherEnabled && !config.ingressEnabled) {
    add("rancherEnabled", "needs ingressEnabled: Rancher is reached through the ingress");
  }
  const hasVolumes = config.nodes.some((node) => node.volumeSizeGb !== undefined);
  if (config.defaultStorageClass === "hcloud-volumes" && !config.hcloudCsiEnabled) {
    add("defaultStorageClass", 'is "hcloud-volumes" but hcloudCsiEnabled is false');
  }
  if (config.defaultStorageClass !== "hcloud-volumes" && !config.localPathEnabled) {
    add("defaultStorageClass", `is "${config.defaultStorageClass}" but localPathEnabled is false`);
  }
  if (config.defaultStorageClass === "local-volume" && !hasVolumes) {
    add("defaultStorageClass", 'is "local-volume" but no node has a volume (set volumeSizeGb on some nodes)');
  }
  if (!PROMETHEUS_DURATION.test(config.prometheusRetention)) {
    add(
      "prometheusRetention",
      `"${config.prometheusRetention}" is not a Prometheus duration (e.g. 15d, 12h)`,
    );
  }
  if (config.alertmanagerWebhookUrl !== "" && !/^https?:\/\/\S+$/.test(config.alertmanagerWebhookUrl)) {
    add("alertmanagerWebhookUrl", "is not an http(s) URL");
  }
  return problems;
}
