import * as fs from "node:fs";
import * as path from "node:path";
import type { StackConfig } from "../../../src/config/schema";
import { editedConfig } from "../../helpers/plan";
import { renderNodes, type RenderedCommand, type RenderedGateway, type RenderedNode } from "./program";
import { makeKeyPair, ssh, type KeyPair, type SshResult } from "./ssh";
import { nodeTierEnvironment, Vm, type NodeTierEnvironment } from "./vm";

/**
 * A shipped stack rendered against the node tier's cloud, and its servers as VMs: each node gets the
 * public address 203.0.113.<10 + its position> (in the stack's address block), its own private address,
 * and volume ID 1000 + position.
 */

export interface TierStack {
  env: NodeTierEnvironment;
  /** The program's provisioning key (what tls.PrivateKey makes in a real stack). */
  programKey: KeyPair;
  /** A person's key, listed in the stack's sshPublicKeys. */
  humanKey: KeyPair;
  nodes: RenderedNode[];
  /** With private nodes: the gateway (public address publicIpOf("gateway")). */
  gateway?: RenderedGateway;
  /** With autoscaled pools: the cluster-autoscaler's HCLOUD_CLUSTER_CONFIG (see RenderedStack). */
  autoscalerClusterConfig?: string;
  publicIpOf: (node: string) => string;
  volumeIdOf: (node: string) => number;
}

export interface TierKeys {
  programKey: KeyPair;
  humanKey: KeyPair;
}

/** The keys of one test file: the program's and a person's. */
export function makeTierKeys(name: string): TierKeys {
  const dir = path.join(nodeTierEnvironment().workDir, `keys-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return { programKey: makeKeyPair(dir, "program"), humanKey: makeKeyPair(dir, "human") };
}

export interface RenderOptions {
  edit?: (config: StackConfig) => void;
  bootstrapStdoutOf?: (node: string) => string | undefined;
  /**
   * Which block of 20 public addresses the stack's servers get, so that stacks booted side by side
   * never share an address on the tier's public bridge; default 0 (203.0.113.10 onwards).
   */
  addressBlock?: number;
}

export async function renderTierStack(
  stack: "dev" | "prod",
  { programKey, humanKey }: TierKeys,
  { edit, bootstrapStdoutOf, addressBlock = 0 }: RenderOptions = {},
): Promise<TierStack> {
  const env = nodeTierEnvironment();
  const config = editedConfig(stack, (c) => {
    c.sshPublicKeys = [...c.sshPublicKeys, humanKey.publicKey];
    edit?.(c);
  });
  const position = (node: string) => {
    // The gateway takes the block's last address.
    if (node === "gateway") return 19;
    const index = config.nodes.findIndex((n) => n.name === node);
    if (index < 0) throw new Error(`no node ${node} in ${stack}`);
    return index;
  };
  if (config.nodes.length > 19)
    throw new Error(`${stack} has more than 19 nodes, more than an address block holds beside the gateway`);
  const publicIpOf = (node: string) => `203.0.113.${10 + 20 * addressBlock + position(node)}`;
  const volumeIdOf = (node: string) => 1000 + position(node);
  const { nodes, autoscalerClusterConfig, gateway } = await renderNodes(stack, config, {
    privateKey: programKey.privateKey,
    publicKey: programKey.publicKey,
    publicIpOf,
    volumeIdOf,
    bootstrapStdoutOf,
    privateNodes: config.privateNodes,
  });
  return { env, programKey, humanKey, nodes, gateway, autoscalerClusterConfig, publicIpOf, volumeIdOf };
}

let nextIndex = 1;

/** The VM of one rendered node, with the user data and meta-data the program gives its server. */
export function vmFor(stack: TierStack, node: RenderedNode, options: { cpus?: number } = {}): Vm {
  return new Vm(
    {
      index: nextIndex++,
      image: node.image,
      hostname: node.serverName,
      // A private node has no public NIC, as Hetzner gives it none.
      publicIp: node.proxy ? undefined : stack.publicIpOf(node.name),
      privateIp: node.privateIp,
      userData: node.userData,
      publicKeys: [node.sshPublicKey],
      cpus: options.cpus,
    },
    stack.env,
    stack.programKey,
  );
}

/** The gateway's VM, with the user data the program gives its server. */
export function gatewayVmFor(stack: TierStack): Vm {
  const { gateway } = stack;
  if (!gateway) throw new Error("the stack has no gateway (privateNodes is off)");
  return new Vm(
    {
      index: nextIndex++,
      image: gateway.image,
      hostname: gateway.serverName,
      publicIp: stack.publicIpOf("gateway"),
      privateIp: gateway.privateIp,
      userData: gateway.userData,
      publicKeys: [stack.nodes[0].sshPublicKey],
    },
    stack.env,
    stack.programKey,
  );
}

/** The k3s stand-in's installer, served by the public gateway (test/node/run.sh). */
export const STAND_IN_INSTALL_URL = "http://203.0.113.1:8080/k3s-stand-in/install.sh";

/**
 * Runs one of the program's commands on a VM as the command provider would: its text as the session's
 * command line, its standard input as given. The one addition is the k3s stand-in's installer, on
 * standard input like the secrets, so the command text stays the plan's.
 */
export function runProgramCommand(vm: Vm, command: RenderedCommand): Promise<SshResult> {
  const stdin = command.stdin + `export K3S_INSTALL_URL='${STAND_IN_INSTALL_URL}'\n`;
  return ssh(vm.host, vm.key, command.text, { stdin });
}
