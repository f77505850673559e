import * as command from "@pulumi/command";
import * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import type { GatewayModel } from "../model/gateway";
import { hostKeyFromOutput } from "../model/nodeIdentity";
import { readNodeScript, remoteScript } from "../remote/remoteScript";
import { sshConnection, type Bastion } from "../remote/ssh";
import { SERVER_IGNORED_CHANGES } from "./node";

export interface GatewayServerArgs {
  model: GatewayModel;
  image: string;
  sshKey: hcloud.SshKey;
  network: hcloud.Network;
  subnet: hcloud.NetworkSubnet;
  firewalls: hcloud.Firewall[];
  sshPrivateKey: pulumi.Input<string>;
}

/**
 * The gateway of a cluster with private nodes (model/gateway.ts): its server, its first SSH session (which
 * reports its host key, pinned by every later session through it), its setup (prepare-gateway.sh, again
 * whenever the script or its settings change), and the network's route to it. The route comes after the setup, so the network never sends traffic to a gateway that drops it.
 */
export class GatewayServer extends pulumi.ComponentResource implements Bastion {
  readonly server: hcloud.Server;
  readonly hostKey: pulumi.Output<string | undefined>;
  /** What the private nodes wait for: the gateway set up and the route to it. */
  readonly ready: pulumi.Resource[];

  constructor(name: string, args: GatewayServerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:infra:GatewayServer", name, {}, opts);
    const { model } = args;
    this.server = new hcloud.Server(
      `${name}-server`,
      {
        name: model.serverName,
        serverType: model.serverType,
        image: args.image,
        location: model.location,
        labels: model.hetznerLabels,
        sshKeys: [args.sshKey.id],
        userData: model.cloudInit,
        networks: [{ networkId: args.network.id.apply(Number), ip: model.privateIp }],
        publicNets: [{ ipv4Enabled: true, ipv6Enabled: true }],
        shutdownBeforeDeletion: true,
      },
      { parent: this, dependsOn: [args.subnet, ...args.firewalls], ignoreChanges: SERVER_IGNORED_CHANGES },
    );
    const identity = new command.remote.Command(
      `${name}-identity`,
      {
        connection: sshConnection(this.server, args.sshPrivateKey),
        create: remoteScript({
          environment: { NODE_NAME: model.serverName, K3S_ROLE: "gateway" },
          scripts: [{ name: "report-node-identity", text: readNodeScript("report-node-identity") }],
          secretsOnStdin: false,
        }),
        logging: "stdoutAndStderr",
        // A replaced gateway is a new server with a new key: its first session reports that one.
        triggers: [this.server.id],
      },
      { parent: this, dependsOn: [this.server], ignoreChanges: ["create", "connection"] },
    );
    this.hostKey = identity.stdout.apply(hostKeyFromOutput);
    const setupScript = remoteScript({
      environment: model.setupEnvironment,
      scripts: [{ name: "prepare-gateway", text: readNodeScript("prepare-gateway") }],
      secretsOnStdin: false,
    });
    const setup = new command.remote.Command(
      `${name}-setup`,
      {
        connection: sshConnection(this.server, args.sshPrivateKey, this.hostKey),
        create: setupScript,
        update: setupScript,
        logging: "stdoutAndStderr",
        triggers: [this.server.id],
      },
      { parent: this, dependsOn: [identity] },
    );
    const route = new hcloud.NetworkRoute(
      `${name}-route`,
      { networkId: args.network.id.apply(Number), ...model.route },
      { parent: this, dependsOn: [setup] },
    );
    this.ready = [setup, route];
    this.registerOutputs({ serverId: this.server.id, hostKey: this.hostKey });
  }
}
