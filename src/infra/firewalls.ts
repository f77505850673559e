import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { firewallName, type FirewallModel } from "../model/network";

export interface ClusterFirewallsArgs {
  clusterName: string;
  firewalls: FirewallModel[];
  labels: Record<string, string>;
}

/**
 * Inbound rules for the nodes' public interfaces, applied by label selector so that every server
 * carrying the cluster's labels is covered, including ones added later.
 */
export class ClusterFirewalls extends pulumi.ComponentResource {
  readonly firewalls: hcloud.Firewall[];

  constructor(name: string, args: ClusterFirewallsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:infra:ClusterFirewalls", name, {}, opts);
    this.firewalls = args.firewalls.map((firewall) => createFirewall(args, firewall, this));
    this.registerOutputs({ firewallIds: this.firewalls.map((firewall) => firewall.id) });
  }
}

function createFirewall(args: ClusterFirewallsArgs, firewall: FirewallModel, parent: pulumi.Resource) {
  return new hcloud.Firewall(
    `firewall-${firewall.name}`,
    {
      name: firewallName(args.clusterName, firewall.name),
      labels: args.labels,
      rules: firewall.inbound.map((rule) => ({
        direction: "in",
        description: rule.description,
        protocol: rule.protocol,
        port: rule.port,
        sourceIps: rule.sourceIps,
      })),
      applyTos: [{ labelSelector: firewall.selector }],
    },
    { parent },
  );
}
