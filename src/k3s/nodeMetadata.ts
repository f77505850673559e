import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NodeModel } from "../model/nodes";

export interface NodeMetadataArgs {
  nodes: NodeModel[];
  provider: k8s.Provider;
  /** Each node's bootstrap: its Node object exists once that has finished. */
  registered: Map<string, pulumi.Resource>;
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
        { parent: this, provider: args.provider, dependsOn: registered ? [registered] : [] },
      );
    }
    this.registerOutputs({});
  }
}
