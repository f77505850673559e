import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../../src/config/errors";
import type { StackConfig } from "../../../src/config/schema";
import { AUTOSCALER_CONFIG_KEY, AUTOSCALER_SECRET } from "../../../src/model/platform/autoscaler";
import { COMMAND_TYPE } from "../../../src/plan/bootstrapPath";
import { startRecording, type ResourceRecord } from "../../../src/plan/recorder";
import { resolveOutput } from "../../../src/plan/values";
import { defineCluster } from "../../../src/program";
import { stackFromConfig } from "../../../src/stack";

/**
 * What the program hands each server, rendered by the real program for a stack whose cloud resources are
 * the node tier's: the servers' public addresses are the VMs', volumes have the tier's IDs, the
 * provisioning key is the tier's own. Nothing here is rewritten: user data, command text and standard
 * input are exactly what `pulumi up` would pass to Hetzner and to the SSH sessions.
 */

/** The SDK's marker of a secret value in a registration. */
const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";

export interface RenderedCommand {
  /** The command text (the `create` or `update` input): the same text the plan shows. */
  text: string;
  /** Standard input: the secret and runtime `export` lines. */
  stdin: string;
}

export interface RenderedNode {
  name: string;
  serverName: string;
  role: "control-plane" | "worker";
  privateIp: string;
  userData: string;
  image: string;
  /** The public key Hetzner puts into the server's meta-data (the program's provisioning key). */
  sshPublicKey: string;
  bootstrap: RenderedCommand;
  reconfigure: RenderedCommand;
  /**
   * The host key every session after the bootstrap requires (the `hostKey` of their connection), once
   * the bootstrap's output is known; undefined before.
   */
  hostKey?: string;
  /** Present when the node has a volume: the command that prepares it on a running node. */
  prepareVolume?: RenderedCommand;
  /** With private nodes: the host the sessions go through (the connection's proxy), and the node's address. */
  proxy?: { host: string; hostKey?: string };
  connectionHost: string;
}

/** The gateway of private nodes, as the program hands it to Hetzner and to its SSH sessions. */
export interface RenderedGateway {
  serverName: string;
  privateIp: string;
  userData: string;
  image: string;
  identity: RenderedCommand;
  setup: RenderedCommand;
  /** The host key the setup requires, once the identity's output is known. */
  hostKey?: string;
}

export interface TierCloud {
  /** The node tier's provisioning key pair, OpenSSH format. */
  privateKey: string;
  publicKey: string;
  /** Public address of each node (by node name) as the tier's network gives it. */
  publicIpOf: (node: string) => string;
  /** Hetzner volume ID of each node's volume (by node name); the disk's serial in the VM. */
  volumeIdOf: (node: string) => number;
  /**
   * What each node's bootstrap printed, once it ran (host key, CA hash), and the gateway's first session
   * (as node "gateway"): the program reads it back.
   */
  bootstrapStdoutOf?: (node: string) => string | undefined;
  /** Private nodes get no public address from Hetzner; the gateway does. */
  privateNodes?: boolean;
}

function unwrapSecret(raw: unknown): unknown {
  const value = raw as Record<string, unknown> | undefined;
  return value?.[SECRET_SIGNATURE] ? value.value : raw;
}

/** `cp-1-bootstrap` → `cp-1` for the resources the program names after a node. */
function nodeOf(resourceName: string, suffix: string): string | undefined {
  return resourceName.endsWith(suffix) ? resourceName.slice(0, -suffix.length) : undefined;
}

export interface RenderedStack {
  /** One entry per node, in stack order. */
  nodes: RenderedNode[];
  /** With private nodes: the gateway. */
  gateway?: RenderedGateway;
  /**
   * With autoscaled pools: the cluster-autoscaler's HCLOUD_CLUSTER_CONFIG as its Secret holds it (base64 of
   * the JSON with every pool's user data).
   */
  autoscalerClusterConfig?: string;
}

/** Renders a validated stack config against the tier's cloud. */
export async function renderNodes(
  stack: string,
  config: StackConfig,
  cloud: TierCloud,
): Promise<RenderedStack> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const server = nodeOf(args.name, "-server");
        const volume = nodeOf(args.name, "-volume");
        const bootstrapOf =
          nodeOf(args.name, "-bootstrap") ?? (args.name === "gateway-identity" ? "gateway" : undefined);
        const stdout = (bootstrapOf && cloud.bootstrapStdoutOf?.(bootstrapOf)) ?? "";
        const assigned: Record<string, unknown> = { stdout, result: `generated-${args.name}` };
        if (args.type === "hcloud:index/server:Server" && server)
          assigned.ipv4Address = cloud.privateNodes && server !== "gateway" ? "" : cloud.publicIpOf(server);
        if (args.type === "hcloud:index/volume:Volume" && volume) {
          const id = cloud.volumeIdOf(volume);
          // Hetzner's API reports each volume's device by its ID (linux_device), as the VM's disk serial makes it.
          return {
            id: String(id),
            state: { ...args.inputs, linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${id}` },
          };
        }
        if (args.type === "tls:index/privateKey:PrivateKey") {
          assigned.privateKeyOpenssh = cloud.privateKey;
          assigned.publicKeyOpenssh = cloud.publicKey;
        }
        if (args.type === "hcloud:index/loadBalancer:LoadBalancer") assigned.ipv4 = "203.0.113.250";
        return { id: `${args.name}-id`, state: { ...assigned, ...args.inputs } };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    stack,
    false,
  );
  const records = startRecording();
  const outputs = defineCluster(
    stackFromConfig(config),
    { hcloudToken: pulumi.secret("node-tier-token") },
    {},
  );
  for (const value of Object.values(outputs)) if (value !== undefined) await resolveOutput(value);
  await pulumi.runtime.disconnect();
  const secret = records.find(
    (record) =>
      record.type === "kubernetes:core/v1:Secret" &&
      (record.rawInputs.metadata as { name?: string } | undefined)?.name === AUTOSCALER_SECRET,
  );
  const stringData = unwrapSecret(secret?.rawInputs.stringData) as Record<string, unknown> | undefined;
  const clusterConfig = unwrapSecret(stringData?.[AUTOSCALER_CONFIG_KEY]);
  const gateway = records.some((record) => record.name === "gateway-server")
    ? renderGateway(records)
    : undefined;
  return {
    nodes: config.nodes.map((node) => renderNode(records, node.name, node.role)),
    ...(typeof clusterConfig === "string" && { autoscalerClusterConfig: clusterConfig }),
    ...(gateway && { gateway }),
  };
}

function finder(records: ResourceRecord[]) {
  const need = (type: string, resourceName: string): ResourceRecord => {
    const found = records.find((record) => record.type === type && record.name === resourceName);
    if (!found) throw new Error(`the program declared no ${type} ${resourceName}`);
    return found;
  };
  const command = (resourceName: string, input: "create" | "update"): RenderedCommand => {
    const record = need(COMMAND_TYPE, resourceName);
    return {
      text: String(unwrapSecret(record.rawInputs[input])),
      stdin: String(unwrapSecret(record.rawInputs.stdin) ?? ""),
    };
  };
  const connection = (resourceName: string) =>
    unwrapSecret(need(COMMAND_TYPE, resourceName).rawInputs.connection) as
      Record<string, unknown> | undefined;
  return { need, command, connection };
}

function renderGateway(records: ResourceRecord[]): RenderedGateway {
  const { need, command, connection } = finder(records);
  const server = need("hcloud:index/server:Server", "gateway-server").rawInputs;
  const networks = server.networks as { ip: string }[];
  const hostKey = unwrapSecret(connection("gateway-setup")?.hostKey);
  return {
    serverName: String(server.name),
    privateIp: networks[0].ip,
    userData: String(unwrapSecret(server.userData)),
    image: String(server.image),
    identity: command("gateway-identity", "create"),
    setup: command("gateway-setup", "create"),
    ...(typeof hostKey === "string" && { hostKey }),
  };
}

function renderNode(records: ResourceRecord[], name: string, role: "control-plane" | "worker"): RenderedNode {
  const { need, command } = finder(records);
  const find = (type: string, resourceName: string): ResourceRecord | undefined =>
    records.find((record) => record.type === type && record.name === resourceName);
  const server = need("hcloud:index/server:Server", `${name}-server`).rawInputs;
  const sshKey = records.find((record) => record.type === "hcloud:index/sshKey:SshKey");
  if (!sshKey) throw new Error("the program declared no Hetzner SSH key");
  const prepareVolume = find(COMMAND_TYPE, `${name}-prepare-volume`);
  const connection = unwrapSecret(need(COMMAND_TYPE, `${name}-reconfigure`).rawInputs.connection) as
    Record<string, unknown> | undefined;
  const hostKey = unwrapSecret(connection?.hostKey);
  const proxy = unwrapSecret(connection?.proxy) as Record<string, unknown> | undefined;
  const proxyKey = unwrapSecret(proxy?.hostKey);
  const bootstrap = command(`${name}-bootstrap`, "create");
  // The address the program gave the node (the stack's or the next free one), as its bootstrap has it.
  const privateIp = /^export PRIVATE_IP='([0-9.]+)'$/m.exec(bootstrap.text)?.[1];
  if (!privateIp) throw new Error(`the bootstrap of ${name} exports no PRIVATE_IP`);
  return {
    name,
    serverName: String(server.name),
    role,
    privateIp,
    userData: String(unwrapSecret(server.userData)),
    image: String(server.image),
    sshPublicKey: String(unwrapSecret(sshKey.rawInputs.publicKey)),
    bootstrap,
    ...(typeof hostKey === "string" && { hostKey }),
    reconfigure: command(`${name}-reconfigure`, "update"),
    ...(prepareVolume && { prepareVolume: command(`${name}-prepare-volume`, "create") }),
    ...(proxy && {
      proxy: { host: String(proxy.host), ...(typeof proxyKey === "string" && { hostKey: proxyKey }) },
    }),
    connectionHost: String(unwrapSecret(connection?.host)),
  };
}
