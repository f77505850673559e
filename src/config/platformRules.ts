import type { ConfigProblem } from "./errors";
import { checkImageScanningConfig } from "./imageScanningRules";
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
  problems.push(...checkRebootWindow(config.rebootWindow));
  problems.push(...checkImageScanningConfig(config));
  return problems;
}

/** kured's day names (kured 1.23.0: pkg/timewindow/days.go EveryDay); it takes longer spellings too. */
export const REBOOT_DAYS = ["su", "mo", "tu", "we", "th", "fr", "sa"] as const;
const HH_MM = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * The reboot window as kured reads it. kured exits at start on a window it cannot parse (kured 1.23.0:
 * cmd/kured/main.go, timewindow.New), so every node would stop rebooting: refused here instead.
 */
function checkRebootWindow(window: StackConfig["rebootWindow"]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const at = (path: (string | number)[], message: string) =>
    problems.push({ path: ["rebootWindow", ...path], message });
  const known: readonly string[] = REBOOT_DAYS;
  if (window.days.length === 0)
    at(["days"], `lists no day: no node would ever reboot (of ${REBOOT_DAYS.join(", ")})`);
  window.days.forEach((day, index) => {
    if (!known.includes(day))
      at(["days", index], `"${day}" is not a day: use one of ${REBOOT_DAYS.join(", ")}`);
    else if (window.days.indexOf(day) !== index) at(["days", index], `"${day}" is listed twice`);
  });
  for (const field of ["start", "end"] as const) {
    if (!HH_MM.test(window[field])) at([field], `"${window[field]}" is not a time of day HH:MM (e.g. 02:00)`);
  }
  if (HH_MM.test(window.start) && window.start === window.end)
    at(["end"], `is the same as start (${window.start}): the window would be empty`);
  const zone = timeZoneProblem(window.timeZone);
  if (zone) at(["timeZone"], zone);
  return problems;
}

/**
 * kured loads the zone with Go's time.LoadLocation from the tzdata in its image (kured 1.23.0: Dockerfile,
 * pkg/timewindow/timewindow.go), which matches names exactly. Node's Intl knows the same IANA database
 * but ignores case, so a name that differs from a known one only in case is refused with the right one.
 */
function timeZoneProblem(zone: string): string | undefined {
  try {
    new Intl.DateTimeFormat(undefined, { timeZone: zone });
  } catch {
    return `"${zone}" is not an IANA time zone (e.g. UTC, Europe/Berlin)`;
  }
  const known = ["UTC", ...Intl.supportedValuesOf("timeZone")];
  if (known.includes(zone)) return undefined;
  const cased = known.find((name) => name.toLowerCase() === zone.toLowerCase());
  return cased ? `"${zone}" must be written "${cased}" (time zone names are case-sensitive)` : undefined;
}
