import * as command from "@pulumi/command";
import type * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { taintsCommandName, type K3sModel, type K3sNodeModel } from "../model/k3s";
import { caHashFromOutput, joinToken } from "../model/nodeIdentity";
import { sshConnection, through, type Bastion } from "../remote/ssh";
import { NodeBootstrap, type SecretExports } from "./nodeBootstrap";
import { exportLines, readNodeScript, remoteScript, SCRIPTS_DIR } from "../remote/remoteScript";
import { entryOf } from "../lookup";

export interface K3sClusterArgs {
  model: K3sModel;
  servers: Map<string, hcloud.Server>;
  volumes: Map<string, { volume?: hcloud.Volume; attachment?: hcloud.VolumeAttachment }>;
  sshPrivateKey: pulumi.Input<string>;
  /** With private nodes: the gateway every session goes through. */
  bastion?: Bastion;
  /** The URL written into the exported kubeconfig. */
  apiServerUrl: pulumi.Input<string>;
  /** Reads the admin kubeconfig again whenever this changes (see model/kubeconfig.ts kubeconfigRenewal). */
  kubeconfigRenewal: string;
  /** Public names of the API (load balancer address) to add to the certificate once known. */
  extraTlsSans: pulumi.Input<string[]>;
  /** Resources joins go through (the API load balancer). */
  joinVia: pulumi.Resource[];
  /** Snapshot storage credentials; empty strings when snapshots stay on the nodes. */
  s3AccessKey: pulumi.Input<string>;
  s3SecretKey: pulumi.Input<string>;
  drainTimeoutSeconds: number;
  drainOnRemoval: boolean;
  /** Deleted only with the whole cluster (the network): drains are skipped then. */
  clusterLifetime: pulumi.Resource;
}

/** k3s on every node: the initial server, parallel joins, rolling changes, drains, and the kubeconfig. */
export class K3sCluster extends pulumi.ComponentResource {
  readonly kubeconfig: pulumi.Output<string>;
  readonly nodes: Map<string, NodeBootstrap>;
  /**
   * The token a new agent joins with, in k3s's secure form (CA hash and agent password), secret: what the
   * autoscaled pools' servers join with (k3s/autoscaledJoin.ts).
   */
  readonly agentJoinToken: pulumi.Output<string>;

  constructor(name: string, args: K3sClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:k3s:K3sCluster", name, {}, opts);
    ({
      kubeconfig: this.kubeconfig,
      nodes: this.nodes,
      agentJoinToken: this.agentJoinToken,
    } = createK3sCluster(args, this));
    this.registerOutputs({ kubeconfig: this.kubeconfig, agentJoinToken: this.agentJoinToken });
  }
}

function createK3sCluster(args: K3sClusterArgs, parent: pulumi.Resource) {
  const token = new random.RandomPassword("k3s-token", { length: 48, special: false }, { parent });
  // Agents join with a token of their own: one that can only add agents, not servers (docs.k3s.io/cli/token).
  const agentToken = new random.RandomPassword("k3s-agent-token", { length: 48, special: false }, { parent });
  const secretExports =
    (role: "server" | "agent"): SecretExports =>
    (caHash, initializing) =>
      pulumi.secret(
        pulumi
          .all([token.result, agentToken.result, caHash, args.s3AccessKey, args.s3SecretKey])
          .apply(([server, agent, hash, accessKey, secretKey]) => {
            // A cluster whose servers report no CA hash was bootstrapped before agent tokens existed; its
            // agents keep joining with the server token, since the servers were never given another.
            const agentTokens = initializing || hash !== undefined;
            const joinAs =
              role === "server"
                ? joinToken(hash, "server", server)
                : agentTokens
                  ? joinToken(hash, "node", agent)
                  : server;
            return exportLines({
              K3S_TOKEN: joinAs,
              ...(role === "server" && agentTokens && { K3S_AGENT_TOKEN: agent }),
              // Snapshot credentials only go to servers: agents take no snapshots.
              ...(role === "server" &&
                accessKey && { AWS_ACCESS_KEY_ID: accessKey, AWS_SECRET_ACCESS_KEY: secretKey }),
            });
          }),
      );
  const exportsByRole = { server: secretExports("server"), agent: secretExports("agent") };
  const auditPolicy = readFileSync(path.join(SCRIPTS_DIR, "k3s-audit-policy.yaml"), "utf8");
  const podSecurity = readFileSync(path.join(SCRIPTS_DIR, "k3s-pod-security.yaml"), "utf8");
  const authenticationConfig = args.model.anonymousHealthChecks
    ? readFileSync(path.join(SCRIPTS_DIR, "k3s-authentication-config.yaml"), "utf8")
    : undefined;

  const nodes = new Map<string, NodeBootstrap>();
  const initialName = args.model.nodes.find((node) => node.initializesCluster)?.name;
  if (!initialName) throw new Error("k3s model has no initial server");
  const initialBootstrapOf = () => create(initialName).bootstrap;
  const create = (name: string): NodeBootstrap => {
    const existing = nodes.get(name);
    if (existing) return existing;
    const node = args.model.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`k3s model has no node ${name}`);
    const after = node.joinsAfter.map((other) => create(other).bootstrap);
    const rollsAfter = node.rollsAfter ? create(node.rollsAfter).reconfigure : undefined;
    const bootstrap = new NodeBootstrap(
      node.name,
      {
        node,
        version: args.model.version,
        server: entryOf(args.servers, node.name, "the servers", parent),
        volume: args.volumes.get(node.name)?.volume,
        volumeAttachment: args.volumes.get(node.name)?.attachment,
        sshPrivateKey: args.sshPrivateKey,
        bastion: args.bastion,
        secretExports: exportsByRole[node.role],
        caHashFrom: node.initializesCluster ? undefined : initialBootstrapOf(),
        extraTlsSans: args.extraTlsSans,
        auditPolicy,
        authenticationConfig,
        podSecurity,
        after: [...after, ...(node.initializesCluster ? [] : args.joinVia)],
        rollsAfter,
      },
      { parent },
    );
    nodes.set(name, bootstrap);
    return bootstrap;
  };
  args.model.nodes.forEach((node) => create(node.name));
  // Drains run on another control-plane node and need its host key, so they come once every node exists.
  for (const node of args.model.nodes) {
    const from = node.drainFrom ? nodes.get(node.drainFrom) : undefined;
    if (!from) continue;
    entryOf(nodes, node.name, "the node bootstraps", parent).addDrain({
      from,
      clusterLifetime: args.clusterLifetime,
      drainTimeoutSeconds: args.drainTimeoutSeconds,
      drainOnRemoval: args.drainOnRemoval,
    });
  }

  const initial = args.model.nodes.find((node) => node.name === initialName) as K3sNodeModel;
  const initialNode = entryOf(nodes, initialName, "the node bootstraps", parent);
  const initialConnection = sshConnection(
    initialNode.server,
    args.sshPrivateKey,
    initialNode.hostKey,
    through(args.bastion, initialNode.privateIp),
  );
  const fetch = new command.remote.Command(
    "kubeconfig",
    {
      connection: initialConnection,
      create: pulumi.output(args.apiServerUrl).apply((url) =>
        remoteScript({
          environment: { NODE_NAME: initial.serverName, API_SERVER_URL: url },
          scripts: [{ name: "fetch-kubeconfig", text: readNodeScript("fetch-kubeconfig") }],
          secretsOnStdin: false,
        }),
      ),
      // The kubeconfig holds the cluster admin's credentials: never log it.
      logging: "stderr",
      triggers: [args.kubeconfigRenewal],
    },
    {
      parent,
      dependsOn: [initialNode.bootstrap],
      additionalSecretOutputs: ["stdout"],
    },
  );
  const initialBootstrap = initialNode.bootstrap;
  for (const node of args.model.nodes) {
    const bootstrap = entryOf(nodes, node.name, "the node bootstraps", parent);
    // Taints go through kubectl on the initial server, one at a time (see apply-node-taints.sh); a change
    // to them updates this command and nothing else.
    const apply = remoteScript({
      environment: { NODE_NAME: node.serverName, NODE_TAINTS: node.taints.join("\n") },
      scripts: [{ name: "apply-node-taints", text: readNodeScript("apply-node-taints") }],
      secretsOnStdin: false,
    });
    new command.remote.Command(
      taintsCommandName(node.name),
      { connection: initialConnection, create: apply, update: apply },
      {
        parent: bootstrap,
        dependsOn: [bootstrap.bootstrap, initialBootstrap],
      },
    );
  }
  // Never the server token, which must not sit in a server's user data. A cluster whose initial server
  // reported no CA hash was bootstrapped before agent tokens existed: its servers know no agent token, so an
  // autoscaled node fails to join (and is deleted again) until the cluster is rebuilt; nothing leaks.
  const agentJoinToken = pulumi.secret(
    pulumi
      .all([agentToken.result, initialBootstrap.stdout.apply(caHashFromOutput)])
      .apply(([agent, hash]) => joinToken(hash, "node", agent)),
  );
  return { kubeconfig: pulumi.secret(fetch.stdout), nodes, agentJoinToken };
}
