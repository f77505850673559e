import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import { stringify } from "yaml";
import { serverSizeOf, type Location } from "../config/catalogue";
import { PROJECT } from "../names";
import { nodeGroupName } from "../config/autoscalingRules";
import { isAutoscaled } from "../config/nodePools";
import { locationOf, type StackConfig, type Taint } from "../config/schema";
import { buildCloudInit } from "./cloudInit";
import { nodeNetworkingOf, type NodeNetworking } from "./gateway";
import { k3sTaints, sharedAgentSettings } from "./k3s";
import { firewallName, placementGroupName, provisionerKeyName } from "./network";

/**
 * Autoscaled pools: the Kubernetes cluster-autoscaler (model/platform/autoscaler.ts) creates a pool's
 * servers through the Hetzner API when pods do not fit, and deletes them, drained, when they are no longer
 * needed, between the pool's min and max. The program creates none of them; what it gives each pool is:
 * - a Hetzner subnet of its own (the pool's ipRange), in which Hetzner picks each server's address, so no
 *   autoscaled server can ever take an address the stack's own nodes or pools hold;
 * - a spread placement group of its own (at most ten servers, autoscalingRules.ts);
 * - the user data its servers boot with: the same first boot as every node (cloudInit.ts), plus the node
 *   scripts (prepare-node.sh, install-k3s.sh, the very ones the program runs over SSH) and
 *   join-autoscaled-node.sh, which a oneshot unit runs once cloud-init is done. The node joins as a k3s agent
 *   with the cluster's agent token, registers with the pool's labels and taints (nothing else ever applies
 *   them: no NodePatch knows these nodes), and is from then on like any other worker.
 *
 * The Hetzner provider of cluster-autoscaler 1.35.2 (cloudprovider/hetzner, read at tag
 * cluster-autoscaler-1.35.2): servers are named `<group>-<random hex>` and carry one Hetzner label,
 * `hcloud/node-group=<group>` (the group is `<cluster>-<pool>`, nodeGroupName); the node group of a Kubernetes node is found through its provider ID, which the
 * Hetzner cloud controller sets; HCLOUD_CLUSTER_CONFIG (base64 JSON) gives each pool its user data (passed
 * to Hetzner unchanged), labels and taints (only for the node it simulates before a scale-up), placement
 * group and subnet (with subnetIPRange the server is created stopped, attached to that subnet, then
 * started); HCLOUD_FIREWALL attaches a firewall by name. The servers do not carry the `cluster` label the
 * firewall's selector matches, so the nodes' firewall is named there explicitly.
 *
 * The agent token reaches the servers in their user data, which Hetzner keeps and serves to the server
 * on its metadata address: it lives in the cluster only as a Secret (the program never puts it in a
 * Deployment's environment), tenants' pods are denied the metadata address (model/tenants.ts), and the token
 * can only join agents, never servers (docs.k3s.io/cli/token).
 */

/** Label on every autoscaled node, so workloads and dashboards can tell them apart. */
export const AUTOSCALED_LABEL = `${PROJECT}.io/autoscaled`;
/** The node-group label the Hetzner provider puts on the servers it creates (cloudprovider/hetzner). */
export const NODE_GROUP_LABEL = "hcloud/node-group";

export const JOIN_PATHS = {
  env: "/etc/hetzner-k8s/join.env",
  k3sConfig: "/etc/hetzner-k8s/k3s-config.yaml",
  scripts: "/usr/local/lib/hetzner-k8s",
  unit: "/etc/systemd/system/hetzner-k8s-join.service",
} as const;
export const JOIN_UNIT = "hetzner-k8s-join.service";

/** Hetzner's limit of a server's user data (Cloud API, POST /servers user_data: 32 KiB). */
export const USER_DATA_LIMIT_BYTES = 32 * 1024;

export interface AutoscaledPoolModel {
  name: string;
  /**
   * The cluster-autoscaler's node group, `<cluster>-<pool>`: the provider counts every server of the
   * Hetzner project with the group's label, another cluster's too, and names its servers `<group>-<hex>`.
   */
  nodeGroup: string;
  serverType: string;
  location: Location;
  min: number;
  max: number;
  /** The pool's own Hetzner subnet (its ipRange). */
  subnet: string;
  /** The pool's spread placement group, `<cluster>-<placementGroup>` in Hetzner. */
  placementGroup: string;
  /** What each node registers with: the pool's labels and the program's own. */
  kubernetesLabels: Record<string, string>;
  taints: Taint[];
  /** config.yaml of each node, but for node-name and node-ip, which the node adds once it knows them. */
  k3sConfig: Record<string, unknown>;
}

/** What every autoscaled pool shares: the cluster's Hetzner names and the k3s release to join with. */
export interface AutoscalingModel {
  pools: AutoscaledPoolModel[];
  /** Hetzner names the cluster-autoscaler attaches new servers to (it takes names or IDs). */
  network: string;
  firewall: string;
  sshKey: string;
  image: string;
  k3sVersion: string;
  /** The people's keys every server's first boot appends (cloudInit.ts). */
  humanSshKeys: string[];
  /** Public addresses or none, and a private node's route: as the program's own nodes (model/gateway.ts). */
  networking: NodeNetworking;
}

function placementGroupOfPool(pool: string): string {
  return `pool-${pool}`;
}

export function buildAutoscaling(config: StackConfig, apiPrivateUrl: string): AutoscalingModel {
  const pools = config.nodePools.filter(isAutoscaled).map((pool): AutoscaledPoolModel => {
    const scaling = pool.autoscaling;
    if (!serverSizeOf(pool.serverType) || !scaling)
      throw new Error(`unvalidated config: autoscaled pool ${pool.name}`);
    const kubernetesLabels = {
      ...pool.labels,
      [`${PROJECT}.io/role`]: "worker",
      [`${PROJECT}.io/pool`]: pool.name,
      [AUTOSCALED_LABEL]: "true",
    };
    const taints = pool.taints ?? [];
    return {
      name: pool.name,
      nodeGroup: nodeGroupName(config.clusterName, pool.name),
      serverType: pool.serverType,
      location: locationOf(config, pool) as Location,
      min: scaling.min,
      max: scaling.max,
      subnet: pool.ipRange,
      placementGroup: placementGroupOfPool(pool.name),
      kubernetesLabels,
      taints,
      k3sConfig: {
        server: apiPrivateUrl,
        ...sharedAgentSettings("worker"),
        "node-label": Object.entries(kubernetesLabels).map(([key, value]) => `${key}=${value}`),
        ...(taints.length > 0 && { "node-taint": k3sTaints(taints) }),
      },
    };
  });
  return {
    pools,
    network: config.clusterName,
    firewall: firewallName(config.clusterName, "nodes"),
    sshKey: provisionerKeyName(config.clusterName),
    image: config.serverImage,
    k3sVersion: config.k3sVersion,
    humanSshKeys: [...config.sshPublicKeys],
    networking: nodeNetworkingOf(config),
  };
}

/** The node scripts an autoscaled server runs, as the program reads them from scripts/. */
export interface JoinScripts {
  prepareNode: string;
  installK3s: string;
  joinNode: string;
}

/** Only characters a join.env value may hold: join-autoscaled-node.sh reads it line by line, unquoted. */
const PLAIN_VALUE = /^[A-Za-z0-9:./+_-]+$/;

function joinEnv(values: Record<string, string>): string {
  return Object.entries(values)
    .map(([key, value]) => {
      if (!PLAIN_VALUE.test(value)) throw new Error(`join.env value of ${key} has characters it cannot hold`);
      return `${key}=${value}\n`;
    })
    .join("");
}

/** A script as cloud-init writes it: compressed, since the scripts alone are larger than Hetzner's limit. */
function scriptFile(name: string, text: string): Record<string, unknown> {
  return {
    path: `${JOIN_PATHS.scripts}/${name}.sh`,
    permissions: "0755",
    encoding: "gz+b64",
    content: gzipSync(Buffer.from(text), { level: 9 }).toString("base64"),
  };
}

const JOIN_UNIT_TEXT = [
  "[Unit]",
  "Description=hetzner-k8s: join this autoscaled server to the cluster as a k3s agent",
  // Once cloud-init is done (prepare-node.sh waits for it too); a node that joined has no join.env left.
  "After=cloud-final.service network-online.target",
  "Wants=network-online.target",
  `ConditionPathExists=${JOIN_PATHS.env}`,
  "StartLimitIntervalSec=0",
  "",
  "[Service]",
  "Type=oneshot",
  `ExecStart=/bin/bash ${JOIN_PATHS.scripts}/join-autoscaled-node.sh`,
  // The scripts are idempotent: a failed join (the API not reachable yet) is tried again until it works
  // or the cluster-autoscaler gives up on the server (max-node-provision-time) and deletes it.
  "Restart=on-failure",
  "RestartSec=30",
  "",
].join("\n");

/**
 * The user data of an autoscaled pool's servers. `agentToken` is the cluster's agent join token in its
 * secure form; the result is as secret as the token.
 */
export function autoscaledUserData(
  autoscaling: AutoscalingModel,
  pool: AutoscaledPoolModel,
  scripts: JoinScripts,
  agentToken: string,
): string {
  return buildCloudInit(
    autoscaling.humanSshKeys,
    {
      files: [
        scriptFile("prepare-node", scripts.prepareNode),
        scriptFile("install-k3s", scripts.installK3s),
        scriptFile("join-autoscaled-node", scripts.joinNode),
        {
          path: JOIN_PATHS.env,
          permissions: "0600",
          content: joinEnv({
            K3S_VERSION: autoscaling.k3sVersion,
            NODE_SUBNET: pool.subnet,
            K3S_TOKEN: agentToken,
          }),
        },
        { path: JOIN_PATHS.k3sConfig, permissions: "0600", content: stringify(pool.k3sConfig) },
        { path: JOIN_PATHS.unit, permissions: "0644", content: JOIN_UNIT_TEXT },
      ],
      // --no-block: the unit is ordered after cloud-final, which runs this very command.
      runcmd: [["systemctl", "start", "--no-block", JOIN_UNIT]],
    },
    autoscaling.networking.privateRoute,
  );
}

/**
 * HCLOUD_CLUSTER_CONFIG of the cluster-autoscaler's Hetzner provider, before base64: every pool's user
 * data, labels, taints, placement group and subnet, and the image for both architectures.
 */
export function clusterConfig(
  autoscaling: AutoscalingModel,
  clusterName: string,
  userDataOf: (pool: AutoscaledPoolModel) => string,
): Record<string, unknown> {
  return {
    imagesForArch: { amd64: autoscaling.image, arm64: autoscaling.image },
    nodeConfigs: Object.fromEntries(
      autoscaling.pools.map((pool) => [
        // Looked up by the exact --nodes name (hetzner_cloud_provider.go): every group needs its entry.
        pool.nodeGroup,
        {
          cloudInit: userDataOf(pool),
          labels: pool.kubernetesLabels,
          taints: pool.taints.map((taint) => ({
            key: taint.key,
            value: taint.value ?? "",
            effect: taint.effect,
          })),
          placementGroup: placementGroupName(clusterName, pool.placementGroup),
          subnetIPRange: pool.subnet,
        },
      ]),
    ),
  };
}

/** What stands for the agent token where only the shape of the config matters. */
const TOKEN_PLACEHOLDER = "agent-token";

/**
 * A digest of the cluster config without its token (which never changes): the pools' settings, the image,
 * the k3s release and the scripts' text. The cluster-autoscaler reads its config once, at start, so a
 * change of the digest restarts it (autoscaler.ts).
 */
export function clusterConfigDigest(
  autoscaling: AutoscalingModel,
  clusterName: string,
  scripts: JoinScripts,
): string {
  const config = clusterConfig(autoscaling, clusterName, (pool) =>
    autoscaledUserData(autoscaling, pool, scripts, TOKEN_PLACEHOLDER),
  );
  return createHash("sha256").update(JSON.stringify(config)).digest("hex");
}
