import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { NodeModel } from "../model/nodes";

export interface NodeServerArgs {
  node: NodeModel;
  image: string;
  userData: string;
  sshKey: hcloud.SshKey;
  network: hcloud.Network;
  subnet: hcloud.NetworkSubnet;
  placementGroup: hcloud.PlacementGroup;
  /** Servers are created after the firewalls, so no server is ever reachable unfiltered. */
  firewalls: hcloud.Firewall[];
  /** Without: a private node, reached through the gateway, which must be ready before the node boots. */
  publicAddresses: boolean;
  /** What the first boot needs first (a private node's way out: the gateway set up, its route). */
  after: pulumi.Resource[];
}

/**
 * Inputs that Hetzner can only change by replacing the server. They apply to servers created later;
 * an existing server is never replaced because they changed.
 */
export const SERVER_IGNORED_CHANGES = ["userData", "image", "sshKeys"];

/** One cluster node: its server and, when it asks for one, its own retained volume. */
export class NodeServer extends pulumi.ComponentResource {
  readonly server: hcloud.Server;
  readonly volume?: hcloud.Volume;
  readonly volumeAttachment?: hcloud.VolumeAttachment;

  constructor(name: string, args: NodeServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:infra:NodeServer", name, {}, opts);
    this.server = createServer(name, args, this);
    const volume = args.node.volumeSizeGb ? createVolume(name, args, this.server, this) : undefined;
    this.volume = volume?.volume;
    this.volumeAttachment = volume?.attachment;
    this.registerOutputs({ serverId: this.server.id });
  }
}

function createServer(name: string, args: NodeServerArgs, parent: pulumi.Resource): hcloud.Server {
  const { node } = args;
  return new hcloud.Server(
    `${name}-server`,
    {
      name: node.serverName,
      serverType: node.serverType,
      image: args.image,
      location: node.location,
      labels: node.hetznerLabels,
      sshKeys: [args.sshKey.id],
      userData: args.userData,
      placementGroupId: args.placementGroup.id.apply(Number),
      networks: [{ networkId: args.network.id.apply(Number), ip: node.privateIp }],
      publicNets: [{ ipv4Enabled: args.publicAddresses, ipv6Enabled: args.publicAddresses }],
      // Hetzner requires both protections to be equal.
      deleteProtection: node.deleteProtection,
      rebuildProtection: node.deleteProtection,
      shutdownBeforeDeletion: true,
    },
    {
      parent,
      dependsOn: [args.subnet, ...args.firewalls, ...args.after],
      ignoreChanges: SERVER_IGNORED_CHANGES,
    },
  );
}

function createVolume(name: string, args: NodeServerArgs, server: hcloud.Server, parent: pulumi.Resource) {
  const { node } = args;
  const volume = new hcloud.Volume(
    `${name}-volume`,
    {
      name: `${node.serverName}-data`,
      size: node.volumeSizeGb ?? 0,
      location: node.location,
      // Hetzner formats a new volume once; the node's prepare script never formats a filesystem it finds.
      format: "ext4",
      labels: node.hetznerLabels,
      deleteProtection: true,
    },
    // Data outlives the node: removing a node from the stack leaves its volume in the project.
    { parent, retainOnDelete: true, ignoreChanges: ["format"] },
  );
  const attachment = new hcloud.VolumeAttachment(
    `${name}-volume-attachment`,
    { serverId: server.id.apply(Number), volumeId: volume.id.apply(Number), automount: false },
    { parent },
  );
  return { volume, attachment };
}
