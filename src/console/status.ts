import type { LastDeployment, PreviousNode } from "../config/transition";
import type { LiveNode, LiveStatus } from "./kube/liveStatus";
import type { KnownDeployment } from "./knownDeployment";

/**
 * What is true about each node, from three sources that can disagree: the stack file (what the next
 * `pulumi up` makes), the last deployment (the stack's outputs, else only the committed file) and the
 * cluster itself (the Kubernetes Nodes). Pure, so that each disagreement can be tested.
 */

/**
 * deployed: in the stack's outputs. committed: in git HEAD, not known to be deployed (or, with outputs,
 * known not to be). new: only in the edited stack file.
 */
export type NodeState = "deployed" | "committed" | "new";

export interface NodeStatus {
  state: NodeState;
  /** One sentence for the page saying what the state rests on. */
  detail: string;
}

export function serverNameOf(clusterName: string, node: string): string {
  return `${clusterName}-${node}`;
}

export function nodeStatus(
  name: string,
  known: KnownDeployment,
  committed: ReadonlySet<string>,
  committedSource: string,
): NodeStatus {
  const inDeployment = known.deployment?.nodes.some((node) => node.name === name) ?? false;
  if (known.source === "stack-outputs") {
    if (inDeployment) return { state: "deployed", detail: "in the stack's outputs: its server exists" };
    if (committed.has(name))
      return {
        state: "committed",
        detail: `in ${committedSource} but not in the stack's outputs: not deployed, the next pulumi up creates it`,
      };
    return { state: "new", detail: `not in ${committedSource}; the next pulumi up creates it` };
  }
  if (committed.has(name))
    return {
      state: "committed",
      detail: `in ${committedSource}; not known to be deployed (stack outputs: ${known.outputsUnavailable ?? "none"})`,
    };
  return { state: "new", detail: `not in ${committedSource}: added by the edits` };
}

/** Nodes of the last deployment that the edited stack file no longer has: the next pulumi up removes them. */
export function leavingNodes(
  deployment: LastDeployment | undefined,
  fileNodes: ReadonlySet<string>,
): PreviousNode[] {
  return (deployment?.nodes ?? []).filter((node) => !fileNodes.has(node.name));
}

export interface LiveComparison {
  /** Live Kubernetes Nodes that neither the stack file nor the last deployment knows (drift). */
  unknownNodes: Pick<LiveNode, "name" | "status" | "kubeletVersion">[];
  /** The k3s version of the last deployment, which every kubelet should run. */
  expectedK3sVersion?: string;
  expectedFrom: string;
  /** Live nodes whose kubelet runs another version than expectedK3sVersion. */
  versionMismatches: { name: string; kubeletVersion: string }[];
  /** The distinct kubelet versions of the live nodes; more than one is skew between nodes. */
  kubeletVersions: string[];
}

export function compareLive(
  live: LiveStatus,
  known: KnownDeployment,
  clusterName: string,
  fileNodes: readonly string[],
): LiveComparison | undefined {
  if (!live.connected) return undefined;
  const knownNames = new Set<string>();
  for (const name of [...fileNodes, ...(known.deployment?.nodes ?? []).map((node) => node.name)]) {
    knownNames.add(name);
    knownNames.add(serverNameOf(known.deployment?.settings?.clusterName ?? clusterName, name));
    knownNames.add(serverNameOf(clusterName, name));
  }
  const expected = known.deployment?.settings?.k3sVersion;
  const versions = [
    ...new Set(live.nodes.flatMap((node) => (node.kubeletVersion ? [node.kubeletVersion] : []))),
  ].sort();
  return {
    unknownNodes: live.nodes
      .filter((node) => !knownNames.has(node.name))
      .map(({ name, status, kubeletVersion }) => ({ name, status, kubeletVersion })),
    expectedK3sVersion: expected,
    expectedFrom: known.description,
    versionMismatches: expected
      ? live.nodes.flatMap((node) =>
          node.kubeletVersion && node.kubeletVersion !== expected
            ? [{ name: node.name, kubeletVersion: node.kubeletVersion }]
            : [],
        )
      : [],
    kubeletVersions: versions,
  };
}
