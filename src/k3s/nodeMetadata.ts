import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NodeModel } from "../model/nodes";
import { HAS_VOLUME_LABEL } from "../model/platform/storage";

/** What the patches need of a node: its names and the labels the stack gives its Node. */
export type NodeMetadataSlice = Pick<NodeModel, "name" | "serverName" | "kubernetesLabels">;

export interface NodeMetadataArgs {
  nodes: NodeMetadataSlice[];
  provider: k8s.Provider;
  /**
   * What each node's patch waits for: its bootstrap (the Node object exists once that has finished) and,
   * for a node with a volume, the command that mounts it.
   */
  registered: Map<string, pulumi.Resource[]>;
}

/**
 * Keeps every Node's labels as the stack file says. k3s applies its node-label setting only when a node
 * registers; these patches apply later edits without restarting anything, and remove a label again when
 * it is deleted from the stack file. Labels are a map, so server-side apply owns each key on its own and
 * leaves the labels of k3s and the cloud controller alone. Taints are not here: the taint list is one
 * atomic field, which an apply would take over whole (stripping the cloud controller's `uninitialized`
 * taint); apply-node-taints.sh changes them one at a time instead.
 */
export class NodeMetadata extends pulumi.ComponentResource {
  constructor(name: string, args: NodeMetadataArgs, opts?: pulumi.ComponentResourceOptions) {
    super("hetzner-k8s:k3s:NodeMetadata", name, {}, opts);
    for (const node of args.nodes) {
      const registered = args.registered.get(node.name);
      new k8s.core.v1.NodePatch(
        node.name,
        {
          metadata: {
            name: node.serverName,
            labels: node.kubernetesLabels,
            // k3s and the cloud controller own other fields of the Node; take over only these.
            annotations: { "pulumi.com/patchForce": "true" },
          },
        },
        { parent: this, provider: args.provider, dependsOn: registered ? patchAfter(node, registered) : [] },
      );
    }
    this.registerOutputs({});
  }
}

/**
 * What a Node's patch waits for. The volume label steers the local-volume storage class onto the node, so
 * it may only be set once the volume is mounted: before that, that class's data would land on the root
 * disk under the mount point. A volume added to a running node is mounted by its volume command, not by
 * the bootstrap, which never re-runs; the program passes that command with the bootstrap.
 */
function patchAfter(node: NodeMetadataSlice, registered: pulumi.Resource[]): pulumi.Resource[] {
  if (node.kubernetesLabels[HAS_VOLUME_LABEL] === "true" && registered.length < 2) {
    throw new Error(
      `node ${node.name} is labelled ${HAS_VOLUME_LABEL}=true but has no command that mounts its volume`,
    );
  }
  return registered;
}
