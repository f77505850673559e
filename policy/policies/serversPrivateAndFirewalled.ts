import type { PolicyResource } from "@pulumi/policy";
import {
  describe,
  field,
  isList,
  isRecord,
  listing,
  nonEmptyString,
  plainProps,
  resourcesOfType,
  stringMap,
  Unknown,
  type StackPolicy,
  type Verdict,
} from "./common";
import { selectorMatches } from "./labelSelector";
import { FIREWALL_TYPE } from "./noPublicClusterPorts";

export const SERVER_TYPE = "hcloud:index/server:Server";
export const FIREWALL_ATTACHMENT_TYPE = "hcloud:index/firewallAttachment:FirewallAttachment";

interface FirewallSelector {
  /** The firewall (or firewall attachment) the selector belongs to, for messages. */
  readonly owner: string;
  readonly selector: string;
}

/** Every label selector by which a firewall applies to servers. */
function firewallSelectors(resources: readonly PolicyResource[]): FirewallSelector[] {
  const selectors: FirewallSelector[] = [];
  for (const firewall of resourcesOfType(resources, FIREWALL_TYPE)) {
    const props = plainProps(firewall.props);
    const owner = describe("firewall", firewall.name, props.name);
    const applyTos = props.applyTos;
    if (!isList(applyTos)) continue;
    for (const applyTo of applyTos) {
      const selector = field(applyTo, "labelSelector");
      if (nonEmptyString(selector)) selectors.push({ owner, selector });
    }
  }
  for (const attachment of resourcesOfType(resources, FIREWALL_ATTACHMENT_TYPE)) {
    const labelSelectors = plainProps(attachment.props).labelSelectors;
    if (!isList(labelSelectors)) continue;
    for (const selector of labelSelectors) {
      if (nonEmptyString(selector)) {
        selectors.push({ owner: `firewall attachment "${attachment.name}"`, selector });
      }
    }
  }
  return selectors;
}

function dependsOn(
  resource: PolicyResource,
  property: string,
  isTarget: (other: PolicyResource) => boolean,
): boolean {
  return (resource.propertyDependencies[property] ?? []).some(isTarget);
}

/**
 * Whether a firewall names the server itself: `applyTos[].server` of a firewall, or `serverIds` of a
 * firewall attachment, built from the server's ID (seen through the property's dependencies, because the
 * ID is a number the policy cannot tie to the server otherwise).
 */
function attachedDirectly(server: PolicyResource, resources: readonly PolicyResource[]): boolean {
  const isServer = (other: PolicyResource) => other.urn === server.urn;
  return (
    resourcesOfType(resources, FIREWALL_TYPE).some((firewall) => dependsOn(firewall, "applyTos", isServer)) ||
    resourcesOfType(resources, FIREWALL_ATTACHMENT_TYPE).some((attachment) =>
      dependsOn(attachment, "serverIds", isServer),
    )
  );
}

/** Whether the server has a private network address: a `networks` entry with an `ip`. */
function hasPrivateAddress(server: PolicyResource): Verdict {
  const networks = plainProps(server.props).networks;
  if (networks instanceof Unknown) return "unknown";
  if (!isList(networks)) return "no";
  // An unknown ip is one Hetzner assigns when the server joins the network.
  const attached = networks.some((network) => {
    const ip = field(network, "ip");
    return ip instanceof Unknown || nonEmptyString(ip);
  });
  return attached ? "yes" : "no";
}

/** Whether a firewall applies to the server. */
function firewalled(
  server: PolicyResource,
  resources: readonly PolicyResource[],
  selectors: readonly FirewallSelector[],
): Verdict {
  const props = plainProps(server.props);
  const firewallIds = props.firewallIds;
  if (isList(firewallIds) && firewallIds.length > 0) return "yes";
  // During preview the provider computes firewallIds; the program set them if they come from a firewall.
  if (
    firewallIds instanceof Unknown &&
    dependsOn(server, "firewallIds", (other) => other.type === FIREWALL_TYPE)
  ) {
    return "yes";
  }
  if (attachedDirectly(server, resources)) return "yes";
  const labels = props.labels;
  if (labels instanceof Unknown) return "unknown";
  const knownLabels = stringMap(labels);
  if (selectors.some(({ selector }) => selectorMatches(selector, knownLabels))) return "yes";
  // A label whose value is not known yet might still make a selector match.
  if (isRecord(labels) && Object.values(labels).some((value) => value instanceof Unknown)) return "unknown";
  return "no";
}

function formatLabels(labels: ReadonlyMap<string, string>): string {
  if (labels.size === 0) return "no labels";
  return `labels ${[...labels].map(([key, value]) => `${key}=${value}`).join(",")}`;
}

export const serversPrivateAndFirewalled: StackPolicy = {
  name: "servers-private-and-firewalled",
  description:
    "Every Hetzner server has an address on a private network (a networks entry with an ip), and a " +
    "firewall applies to it: its labels match the label selector of a firewall in the stack, or it " +
    "lists firewallIds.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const selectors = firewallSelectors(args.resources);
    for (const server of resourcesOfType(args.resources, SERVER_TYPE)) {
      const props = plainProps(server.props);
      const name = describe("server", server.name, props.name);
      if (hasPrivateAddress(server) === "no") {
        reportViolation(
          `${name} has no private network address: give it a networks entry with an ip, so that ` +
            `cluster traffic (etcd, kubelet, flannel) stays on the private network.`,
          server.urn,
        );
      }
      if (firewalled(server, args.resources, selectors) === "no") {
        const candidates =
          selectors.length === 0
            ? "the stack has no firewall with a label selector"
            : `no firewall selects it (${listing(selectors.map(({ owner, selector }) => `${owner}: "${selector}"`))})`;
        reportViolation(
          `${name} is not behind any firewall: it has ${formatLabels(stringMap(props.labels))}, ` +
            `${candidates}, and it lists no firewallIds.`,
          server.urn,
        );
      }
    }
  },
};
