import type { ConfigProblem } from "./errors";
import { PROJECT } from "../names";
import { isAutoscaled } from "./nodePools";
import type { StackConfig } from "./schema";

/**
 * Node labels the stack may set. The program applies them through the Node object (never through the
 * kubelet, which refuses most of kubernetes.io at registration), so any well-formed key works there,
 * except the ones another component writes: two writers of one label undo each other on every sync.
 */

/** Exact keys and the component that owns each (kubelet, k3s, the Hetzner cloud controller). */
const OWNED_KEYS: Readonly<Record<string, string>> = {
  "kubernetes.io/hostname": "the kubelet",
  "kubernetes.io/os": "the kubelet",
  "kubernetes.io/arch": "the kubelet",
  "beta.kubernetes.io/os": "the kubelet",
  "beta.kubernetes.io/arch": "the kubelet",
  "beta.kubernetes.io/instance-type": "the Hetzner cloud controller",
  "node.kubernetes.io/instance-type": "the Hetzner cloud controller",
  "topology.kubernetes.io/region": "the Hetzner cloud controller (the location, e.g. fsn1)",
  "topology.kubernetes.io/zone": "the Hetzner cloud controller (the datacenter, e.g. fsn1-dc14)",
  "failure-domain.beta.kubernetes.io/region": "the Hetzner cloud controller",
  "failure-domain.beta.kubernetes.io/zone": "the Hetzner cloud controller",
  "node-role.kubernetes.io/control-plane": "k3s",
  "node-role.kubernetes.io/master": "k3s",
  "node-role.kubernetes.io/etcd": "k3s",
};

/** Prefixes (DNS suffixes of a key's prefix) and their owners. */
const OWNED_PREFIXES: readonly (readonly [string, string])[] = [
  [`${PROJECT}.io`, "this program (node name, role, volume and pool)"],
  ["k3s.io", "k3s"],
  ["hetzner.cloud", "the Hetzner cloud controller and CSI driver"],
];

function ownerOf(labelKey: string): string | undefined {
  if (OWNED_KEYS[labelKey]) return OWNED_KEYS[labelKey];
  const slash = labelKey.indexOf("/");
  if (slash < 0) return undefined;
  const prefix = labelKey.slice(0, slash);
  return OWNED_PREFIXES.find(([suffix]) => prefix === suffix || prefix.endsWith(`.${suffix}`))?.[1];
}

function labelProblems(labels: Record<string, string> | undefined, at: (string | number)[]): ConfigProblem[] {
  return Object.keys(labels ?? {}).flatMap((labelKey) => {
    const owner = ownerOf(labelKey);
    return owner === undefined
      ? []
      : [
          {
            path: [...at, "labels", labelKey],
            message: `is set by ${owner}; a second writer would undo it on every sync (choose a key of your own, e.g. node.kubernetes.io/pool or example.com/${labelKey.slice(labelKey.indexOf("/") + 1)})`,
          },
        ];
  });
}

/**
 * Whether the kubelet refuses a label it is asked to register with (--node-labels): keys under kubernetes.io
 * or k8s.io, except those under node.kubernetes.io and kubelet.kubernetes.io (Kubernetes documentation,
 * "kubelet" reference, --node-labels, and the NodeRestriction admission plugin, read for 1.35).
 */
function refusedAtRegistration(labelKey: string): boolean {
  const slash = labelKey.indexOf("/");
  if (slash < 0) return false;
  const prefix = labelKey.slice(0, slash);
  const reserved = ["kubernetes.io", "k8s.io"].some(
    (domain) => prefix === domain || prefix.endsWith(`.${domain}`),
  );
  return (
    reserved &&
    !["node.kubernetes.io", "kubelet.kubernetes.io"].some(
      (open) => prefix === open || prefix.endsWith(`.${open}`),
    )
  );
}

/**
 * The labels of every node, and of every autoscaled pool, which expands into no node of the stack: its
 * nodes register with their labels themselves (model/autoscaling.ts), so the kubelet's limits apply too.
 */
export function checkNodeLabels(config: StackConfig): ConfigProblem[] {
  return [
    ...config.nodes.flatMap((node, index) => labelProblems(node.labels, ["nodes", index])),
    ...config.nodePools.flatMap((pool, index) => {
      if (!isAutoscaled(pool)) return [];
      const refused = Object.keys(pool.labels ?? {})
        .filter(refusedAtRegistration)
        .map((labelKey) => ({
          path: ["nodePools", index, "labels", labelKey],
          message:
            "the kubelet refuses kubernetes.io and k8s.io labels at registration (except node.kubernetes.io and " +
            "kubelet.kubernetes.io), and an autoscaled pool's nodes get their labels only there",
        }));
      return [...labelProblems(pool.labels, ["nodePools", index]), ...refused];
    }),
  ];
}
