import * as command from "@pulumi/command";
import type * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import { stringify } from "yaml";
import { caHashFromOutput, hostKeyFromOutput } from "../model/nodeIdentity";
import { volumeCommandName, type K3sNodeModel } from "../model/k3s";
import { exportLines, readNodeScript, remoteScript } from "../remote/remoteScript";
import { sshConnection, through, type Bastion, type SshTarget } from "../remote/ssh";

export interface NodeBootstrapArgs {
  node: K3sNodeModel;
  version: string;
  server: hcloud.Server;
  volume?: hcloud.Volume;
  /** Detached only after the drain, so no pod still writes to the volume; the volume command waits for it. */
  volumeAttachment?: hcloud.VolumeAttachment;
  sshPrivateKey: pulumi.Input<string>;
  /** With private nodes: the gateway every session goes through. */
  bastion?: Bastion;
  /**
   * `export` lines with the join tokens and snapshot credentials, already secret, for a cluster whose CA
   * has this hash (undefined: not reported); `initializing` for the bootstrap of the initial server.
   */
  secretExports: SecretExports;
  /** The initial server's bootstrap, which reports the cluster CA's hash; absent on the initial server. */
  caHashFrom?: command.remote.Command;
  /** Extra names for the API certificate that only exist once the cloud assigned them. */
  extraTlsSans: pulumi.Input<string[]>;
  auditPolicy: string;
  /** The API server's authentication config (servers), when the cluster uses one. */
  authenticationConfig?: string;
  /** The API server's admission configuration (servers): Pod Security for unlabelled namespaces. */
  podSecurity: string;
  /** Bootstrap commands of the nodes this one joins through; resources that must exist first. */
  after: pulumi.Resource[];
  /** The previous node's reconfiguration: changes roll one node at a time. */
  rollsAfter?: command.remote.Command;
}

export type SecretExports = (
  caHash: pulumi.Output<string | undefined>,
  initializing: boolean,
) => pulumi.Output<string>;

export interface DrainArgs {
  /** The control-plane node that drains this one when it is removed. */
  from: SshTarget;
  /**
   * What lives exactly as long as the cluster (its network): when it is deleted too (`pulumi destroy`),
   * the drain is skipped, since draining nodes that all go away only waits on servers being destroyed.
   */
  clusterLifetime: pulumi.Resource;
  drainTimeoutSeconds: number;
  drainOnRemoval: boolean;
}

/**
 * Three commands per node, four with a volume. `bootstrap` prepares the node and installs k3s.
 * `reconfigure` runs nothing on create; when the k3s version or settings change it re-runs the installer
 * on this node after the previous node finished, so changes roll one node at a time. `drain` runs
 * nothing until the node is removed; then, before the server is destroyed, it cordons, drains and
 * deletes the node from another control-plane node. `prepare-volume` (nodes with a volume) runs the
 * volume part of prepare-node.sh after the bootstrap, and again whenever the volume is replaced or grows:
 * the bootstrap never re-runs, so without it a volume added later would never be mounted, nor a grown
 * one's filesystem grown.
 */
export class NodeBootstrap extends pulumi.ComponentResource implements SshTarget {
  readonly bootstrap: command.remote.Command;
  readonly reconfigure: command.remote.Command;
  readonly prepareVolume?: command.remote.Command;
  readonly server: hcloud.Server;
  readonly privateIp: string;
  /** The host key the node reported at its bootstrap; undefined for nodes bootstrapped before keys were kept. */
  readonly hostKey: pulumi.Output<string | undefined>;

  constructor(
    private readonly nodeName: string,
    private readonly args: NodeBootstrapArgs,
    opts?: pulumi.ComponentResourceOptions,
  ) {
    super("hetzner-k8s:k3s:NodeBootstrap", nodeName, {}, opts);
    this.server = args.server;
    this.privateIp = args.node.privateIp;
    ({
      bootstrap: this.bootstrap,
      reconfigure: this.reconfigure,
      prepareVolume: this.prepareVolume,
      hostKey: this.hostKey,
    } = createNodeCommands(nodeName, args, this));
    this.registerOutputs({ hostKey: this.hostKey });
  }

  /**
   * The command that drains this node when it is removed. Added once every node exists, since it runs
   * on another node and needs that node's host key.
   */
  addDrain(drain: DrainArgs): command.remote.Command {
    return createDrainCommand(this.nodeName, this.args, drain, this.bootstrap, this);
  }
}

/**
 * Parameters known before anything exists, so the plan shows exactly what each node will run. Only the
 * bootstrap carries the registration taints (see K3sNodeModel.registration).
 */
function installEnvironment(args: NodeBootstrapArgs, withRegistration: boolean): Record<string, string> {
  const { node } = args;
  return {
    NODE_NAME: node.serverName,
    PRIVATE_IP: node.privateIp,
    K3S_ROLE: node.role,
    K3S_VERSION: args.version,
    K3S_CONFIG_YAML: stringify(withRegistration ? node.bootstrapConfig : node.config),
    ...(node.role === "server" && { K3S_AUDIT_POLICY_YAML: args.auditPolicy }),
    ...(node.role === "server" &&
      args.authenticationConfig !== undefined && {
        K3S_AUTHENTICATION_CONFIG_YAML: args.authenticationConfig,
      }),
    ...(node.role === "server" && { K3S_POD_SECURITY_YAML: args.podSecurity }),
  };
}

/**
 * Standard input of a node's commands: the secrets, plus what only exists once the cloud assigned it
 * (public addresses for the API certificate, the volume's device).
 */
function runtimeExports(
  args: NodeBootstrapArgs,
  secretExports: pulumi.Output<string>,
): pulumi.Output<string> {
  const volumeDevice = args.volume ? args.volume.linuxDevice : pulumi.output("");
  return pulumi.secret(
    pulumi
      .all([secretExports, args.extraTlsSans, args.server.ipv4Address, volumeDevice])
      .apply(([secrets, extraSans, ownAddress, device]) => {
        // A server's own public address is in its certificate too, for kubectl without the load balancer
        // (a private node has none).
        const sans = [...extraSans, ...(args.node.role === "server" && ownAddress ? [ownAddress] : [])];
        const runtime = exportLines({
          K3S_EXTRA_TLS_SANS: sans.join(","),
          ...(device && { VOLUME_DEVICE: device }),
        });
        return `${secrets}\n${runtime}\n`;
      }),
  );
}

function createNodeCommands(name: string, args: NodeBootstrapArgs, parent: pulumi.Resource) {
  const install = { name: "install-k3s", text: readNodeScript("install-k3s") };
  const prepare = { name: "prepare-node", text: readNodeScript("prepare-node") };
  const reportIdentity = { name: "report-node-identity", text: readNodeScript("report-node-identity") };
  const caHashOf = (bootstrap: command.remote.Command) => bootstrap.stdout.apply(caHashFromOutput);
  const via = through(args.bastion, args.node.privateIp);
  // The initial server's first start has no CA to pin yet; every other join checks the one it reported.
  const bootstrapStdin = runtimeExports(
    args,
    args.caHashFrom
      ? args.secretExports(caHashOf(args.caHashFrom), false)
      : args.secretExports(pulumi.output(undefined), true),
  );

  // The first session cannot know the server's key; it reports it, and every later one requires it.
  const bootstrap = new command.remote.Command(
    `${name}-bootstrap`,
    {
      connection: sshConnection(args.server, args.sshPrivateKey, undefined, via),
      create: remoteScript({
        environment: installEnvironment(args, true),
        scripts: [prepare, install, reportIdentity],
        secretsOnStdin: true,
      }),
      stdin: bootstrapStdin,
      logging: "stdoutAndStderr",
    },
    // Later changes go through `reconfigure`, which rolls; re-running this would restart every node at once
    // with the settings it was created with (a new SSH key changes the connection, not what the node runs).
    { parent, dependsOn: [args.server, ...args.after], ignoreChanges: ["create", "stdin", "connection"] },
  );
  const hostKey = bootstrap.stdout.apply(hostKeyFromOutput);
  const connection = sshConnection(args.server, args.sshPrivateKey, hostKey, via);
  const stdin = runtimeExports(args, args.secretExports(caHashOf(args.caHashFrom ?? bootstrap), false));

  const reconfigure = new command.remote.Command(
    `${name}-reconfigure`,
    {
      connection,
      update: remoteScript({
        environment: installEnvironment(args, false),
        scripts: [install],
        secretsOnStdin: true,
      }),
      stdin,
      logging: "stdoutAndStderr",
    },
    { parent, dependsOn: [bootstrap, ...(args.rollsAfter ? [args.rollsAfter] : [])] },
  );

  const prepareVolume =
    args.volume && args.volumeAttachment
      ? createVolumeCommand(name, args, args.volume, args.volumeAttachment, bootstrap, connection, parent)
      : undefined;
  return { bootstrap, reconfigure, prepareVolume, hostKey };
}

function createDrainCommand(
  name: string,
  args: NodeBootstrapArgs,
  drainArgs: DrainArgs,
  bootstrap: command.remote.Command,
  parent: pulumi.Resource,
): command.remote.Command {
  const drain = drainArgs.drainOnRemoval
    ? remoteScript({
        environment: {
          NODE_NAME: args.node.serverName,
          DRAIN_TIMEOUT: String(drainArgs.drainTimeoutSeconds),
        },
        scripts: [{ name: "drain-node", text: readNodeScript("drain-node") }],
        secretsOnStdin: false,
      })
    : `echo "drainOnRemoval is off: not draining ${args.node.serverName}"`;
  return new command.remote.Command(
    `${name}-drain`,
    {
      connection: sshConnection(
        drainArgs.from.server,
        args.sshPrivateKey,
        drainArgs.from.hostKey,
        through(args.bastion, drainArgs.from.privateIp),
      ),
      delete: drain,
      logging: "stdoutAndStderr",
    },
    // Depending on the server (and the volume attachment) makes Pulumi run this delete before it detaches
    // the volume and destroys the server.
    {
      parent,
      dependsOn: [args.server, bootstrap, ...(args.volumeAttachment ? [args.volumeAttachment] : [])],
      deletedWith: drainArgs.clusterLifetime,
    },
  );
}

function createVolumeCommand(
  name: string,
  args: NodeBootstrapArgs,
  volume: hcloud.Volume,
  attachment: hcloud.VolumeAttachment,
  bootstrap: command.remote.Command,
  connection: ReturnType<typeof sshConnection>,
  parent: pulumi.Resource,
): command.remote.Command {
  // Built from the volume's own outputs, so the command's inputs change, and it runs, when the volume
  // appears (create), is replaced (another device) or grows (another size). An edited prepare-node.sh or a
  // new SSH connection re-runs it too, harmlessly: the script is idempotent.
  const script = pulumi.all([volume.linuxDevice, volume.size]).apply(([device, size]) =>
    remoteScript({
      environment: {
        NODE_NAME: args.node.serverName,
        VOLUME_ONLY: "1",
        VOLUME_DEVICE: device,
        VOLUME_SIZE_GB: String(size),
      },
      scripts: [{ name: "prepare-node", text: readNodeScript("prepare-node") }],
      secretsOnStdin: false,
    }),
  );
  return new command.remote.Command(
    volumeCommandName(name),
    {
      connection,
      create: script,
      update: script,
      logging: "stdoutAndStderr",
    },
    // After the bootstrap, which prepares a new node's volume itself, so the script never runs twice at
    // once on a node; after the attachment, without which the device never appears.
    { parent, dependsOn: [bootstrap, volume, attachment] },
  );
}
