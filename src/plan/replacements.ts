/**
 * Which inputs force a resource to be replaced rather than updated, by resource type, as the providers
 * pinned in package.json decide it. Every fact here was read from the provider's own source at the version
 * that package wraps (each entry names the repository, ref and file); none is a guess about Hetzner or
 * Kubernetes. The evidence, with notes on conditional cases, is recorded per provider in
 * test/fixtures/provider-replacements/*.json, and test/plan/replacements.test.ts holds this table to it.
 *
 * Paths are Pulumi input paths (camelCase, `networks[0].ip`, `spec.selector`); a path covers everything
 * below it. The offline plan's diff compares inputs only, so a provider's conditions that depend on the
 * state (noted in the fixtures) are not modelled: the rule lists what the provider replaces on in general.
 */

/** Where a rule was read: a repository, the ref read there, and the file. */
export interface RuleSource {
  repo: string;
  ref: string;
  path: string;
}

export interface ReplacementRule {
  /** Input paths whose change forces a replacement; a path covers everything below it. */
  paths: readonly string[];
  /** Absent for the program's own components, which no provider diffs. */
  source?: RuleSource;
}

// @pulumi/hcloud 1.41.0 bridges hetznercloud/terraform-provider-hcloud v1.68.0 (or later: no stored copy
// of pulumi-hcloud reaches the v1.41.0 tag, and the SDK documents v1.68.0's additions). These lists are the
// SDKv2 `ForceNew: true` attributes and plugin-framework `RequiresReplace()` modifiers of each resource, the
// same at upstream v1.67.0, v1.68.0 and main of 2026-08-17. Names are those of the installed SDK's inputs.
const HCLOUD_REPO = "hetznercloud/terraform-provider-hcloud";
const HCLOUD_REF = "v1.68.0";
const hcloud = (path: string, paths: string[]): ReplacementRule => ({
  paths,
  source: { repo: HCLOUD_REPO, ref: HCLOUD_REF, path },
});

const HCLOUD_RULES: Record<string, ReplacementRule> = {
  // `networks` is not ForceNew: the provider re-attaches the server to change its private IP (an update);
  // `datacenter` lost its ForceNew in v1.67.0 and is now refused when set.
  "hcloud:index/server:Server": hcloud("internal/server/resource.go", [
    "image",
    "location",
    "sshKeys",
    "userData",
  ]),
  // `format` is not ForceNew (the update never reads it).
  "hcloud:index/volume:Volume": hcloud("internal/volume/resource.go", ["location"]),
  "hcloud:index/volumeAttachment:VolumeAttachment": hcloud("internal/volume/resource_attachment.go", [
    "serverId",
    "volumeId",
  ]),
  "hcloud:index/network:Network": hcloud("internal/network/resource.go", ["ipRange"]),
  // No update function: every input is ForceNew (the private nodes' route to their gateway).
  "hcloud:index/networkRoute:NetworkRoute": hcloud("internal/network/resource_route.go", [
    "destination",
    "gateway",
    "networkId",
  ]),
  // No update function: every input is ForceNew.
  "hcloud:index/networkSubnet:NetworkSubnet": hcloud("internal/network/resource_subnet.go", [
    "ipRange",
    "networkId",
    "networkZone",
    "type",
    "vswitchId",
  ]),
  "hcloud:index/loadBalancer:LoadBalancer": hcloud("internal/loadbalancer/resource.go", [
    "location",
    "networkZone",
  ]),
  // Plugin framework; its ModifyPlan also replaces when the state's IP or network no longer fits the subnet.
  "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork": hcloud(
    "internal/loadbalancer/resource_network.go",
    ["ip", "loadBalancerId", "networkId", "subnetId"],
  ),
  // The service's `protocol` is ForceNew (the health check's is not).
  "hcloud:index/loadBalancerService:LoadBalancerService": hcloud(
    "internal/loadbalancer/resource_service.go",
    ["listenPort", "loadBalancerId", "protocol"],
  ),
  // `type` is not ForceNew, but exactly one of serverId, labelSelector and ip is set, so changing it
  // changes one of them.
  "hcloud:index/loadBalancerTarget:LoadBalancerTarget": hcloud("internal/loadbalancer/resource_target.go", [
    "ip",
    "labelSelector",
    "loadBalancerId",
    "serverId",
  ]),
  // Nothing is ForceNew; `type` can only be "spread".
  "hcloud:index/placementGroup:PlacementGroup": hcloud("internal/placementgroup/resource.go", []),
  "hcloud:index/sshKey:SshKey": hcloud("internal/sshkey/resource.go", ["publicKey"]),
  // Nothing is ForceNew: rules and applyTos are updated in place.
  "hcloud:index/firewall:Firewall": hcloud("internal/firewall/resource.go", []),
};

const OTHER_RULES: Record<string, ReplacementRule> = {
  // @pulumi/tls 5.6.1 wraps terraform-provider-tls v4.3.0 (pulumi-tls provider/shim/go.mod); the resource's
  // Update does nothing and each of its inputs carries RequiresReplace().
  "tls:index/privateKey:PrivateKey": {
    paths: ["algorithm", "ecdsaCurve", "rsaBits"],
    source: {
      repo: "hashicorp/terraform-provider-tls",
      ref: "v4.2.1",
      path: "internal/provider/resource_private_key.go",
    },
  },
  // @pulumi/random 4.21.2 wraps terraform-provider-random v3.9.0 (pulumi-random provider/go.mod): every input
  // replaces; `keepers` only on a non-null value, `overrideSpecial` not from "" to unset.
  "random:index/randomPassword:RandomPassword": {
    paths: [
      "keepers",
      "length",
      "lower",
      "minLower",
      "minNumeric",
      "minSpecial",
      "minUpper",
      "number",
      "numeric",
      "overrideSpecial",
      "special",
      "upper",
    ],
    source: {
      repo: "hashicorp/terraform-provider-random",
      ref: "v3.9.0",
      path: "internal/provider/resource_password.go",
    },
  },
  // Native provider: `triggers` is the one input marked replaceOnChanges in its schema (the SDK also sets the
  // option replaceOnChanges ["triggers[*]"]); everything else runs the update command.
  "command:remote:Command": {
    paths: ["triggers"],
    source: {
      repo: "pulumi/pulumi-command",
      ref: "v1.2.1",
      path: "provider/cmd/pulumi-resource-command/schema.json",
    },
  },
};

// @pulumi/kubernetes 4.34.2 is native. Its rules were read at 94977969d (v4.32.0+27, the newest stored
// commit; v4.34.2 is not stored), where provider/pkg/provider/diff.go was last changed in 2026-02.
const KUBERNETES_REPO = "pulumi/pulumi-kubernetes";
const KUBERNETES_REF = "94977969d";
const KUBERNETES_DIFF = "provider/pkg/provider/diff.go";

/**
 * What every kind replaces on (metadataForceNewProperties in diff.go). apiVersion and kind are not among
 * them: they are part of the type token, so changing them makes another resource, not a replacement.
 */
export const KUBERNETES_IDENTITY: readonly string[] = ["metadata.name", "metadata.namespace"];

/**
 * The kinds the program declares, with the fields diff.go's forceNew table adds to the identity for each
 * (none for most). Patch resources are updated in place for everything but the identity (Diff in
 * provider.go skips the table for them).
 */
const KUBERNETES_KINDS: Record<string, { fields: string[]; path?: string }> = {
  "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": { fields: [] },
  "admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": { fields: [] },
  "apps/v1:Deployment": { fields: ["spec.selector"] },
  "cert-manager.io/v1:Certificate": { fields: [] },
  "cert-manager.io/v1:ClusterIssuer": { fields: [] },
  // Unless the provider has enableConfigMapMutable (the program's does not); always when immutable.
  "core/v1:ConfigMap": { fields: ["binaryData", "data"] },
  "core/v1:LimitRange": { fields: [] },
  "core/v1:Namespace": { fields: [] },
  "core/v1:NamespacePatch": { fields: [], path: "provider/pkg/provider/provider.go" },
  "core/v1:NodePatch": { fields: [], path: "provider/pkg/provider/provider.go" },
  "core/v1:ResourceQuota": { fields: ["spec.scopes"] },
  // Unless the provider has enableSecretMutable (the program's does not): then only `type`.
  "core/v1:Secret": { fields: ["data", "stringData", "type"] },
  "core/v1:ServiceAccount": { fields: [] },
  "monitoring.coreos.com/v1:PrometheusRule": { fields: [] },
  "networking.k8s.io/v1:NetworkPolicy": { fields: [] },
  "rbac.authorization.k8s.io/v1:ClusterRole": { fields: [] },
  "rbac.authorization.k8s.io/v1:ClusterRoleBinding": { fields: ["roleRef"] },
  "rbac.authorization.k8s.io/v1:Role": { fields: [] },
  "rbac.authorization.k8s.io/v1:RoleBinding": { fields: ["roleRef"] },
  // No scheduling.k8s.io group in the table: the program asks for its replacements (replaceOnChanges).
  "scheduling.k8s.io/v1:PriorityClass": { fields: [] },
  "storage.k8s.io/v1:StorageClass": { fields: ["parameters", "provisioner"] },
};

/**
 * Every group/version:Kind with its own entry in diff.go's forceNew table (ConfigMap through its own
 * branch). Another kind replaces on its identity alone; one of these needs its entry in KUBERNETES_KINDS
 * first, so that a newly used StatefulSet or Job cannot fall back to the identity.
 */
export const KUBERNETES_KINDS_WITH_OWN_RULES: readonly string[] = [
  "apps/v1beta1:StatefulSet",
  "apps/v1beta2:DaemonSet",
  "apps/v1beta2:Deployment",
  "apps/v1beta2:StatefulSet",
  "apps/v1:DaemonSet",
  "apps/v1:Deployment",
  "apps/v1:StatefulSet",
  "batch/v1beta1:Job",
  "batch/v1:Job",
  "batch/v2alpha1:Job",
  "core/v1:ConfigMap",
  "core/v1:PersistentVolume",
  "core/v1:PersistentVolumeClaim",
  "core/v1:Pod",
  "core/v1:ResourceQuota",
  "core/v1:Secret",
  "core/v1:Service",
  "policy/v1beta1:PodDisruptionBudget",
  "rbac.authorization.k8s.io/v1alpha1:ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1alpha1:RoleBinding",
  "rbac.authorization.k8s.io/v1beta1:ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1beta1:RoleBinding",
  "rbac.authorization.k8s.io/v1:ClusterRoleBinding",
  "rbac.authorization.k8s.io/v1:RoleBinding",
  "storage.k8s.io/v1:StorageClass",
];

const kubernetesSource = (path = KUBERNETES_DIFF): RuleSource => ({
  repo: KUBERNETES_REPO,
  ref: KUBERNETES_REF,
  path,
});

const KUBERNETES_RULES: Record<string, ReplacementRule> = {
  ...Object.fromEntries(
    Object.entries(KUBERNETES_KINDS).map(([kind, { fields, path }]) => [
      `kubernetes:${kind}`,
      { paths: [...fields, ...KUBERNETES_IDENTITY].sort(), source: kubernetesSource(path) },
    ]),
  ),
  // helmReleaseProvider.Diff forces a new release only on .name and .namespace.
  "kubernetes:helm.sh/v3:Release": {
    paths: ["name", "namespace"],
    source: kubernetesSource("provider/pkg/provider/helm_release.go"),
  },
  // DiffConfig: with clusterIdentifier set, only a change of it replaces the provider (a kubeconfig change
  // does not); the program always sets it.
  "pulumi:providers:kubernetes": {
    paths: ["clusterIdentifier"],
    source: kubernetesSource("provider/pkg/provider/provider.go"),
  },
};

/**
 * The provider's rule for a Kubernetes kind the table does not list, from its type token
 * (`kubernetes:<group>/<version>:<Kind>`): the identity alone, unless diff.go has fields of its own for it.
 */
function unlistedKubernetesRule(type: string): ReplacementRule | undefined {
  const match = /^kubernetes:([^:]+:[^:]+)$/.exec(type);
  if (!match) return undefined;
  const key = match[1];
  if (key.endsWith("Patch"))
    return { paths: KUBERNETES_IDENTITY, source: kubernetesSource("provider/pkg/provider/provider.go") };
  if (KUBERNETES_KINDS_WITH_OWN_RULES.includes(key)) return undefined;
  return { paths: KUBERNETES_IDENTITY, source: kubernetesSource() };
}

/** The program's own component resources: no provider diffs them, and their inputs are empty in the plan. */
const COMPONENT_PACKAGE = "hetzner-k8s:";

/** The rules by type token: every type the program declares but its own components. */
export const REPLACEMENT_RULES: Readonly<Record<string, ReplacementRule>> = {
  ...HCLOUD_RULES,
  ...OTHER_RULES,
  ...KUBERNETES_RULES,
};

/**
 * The rule for a type, or undefined when none is known: such a type must be added here before the diff can
 * tell its updates from its replacements.
 */
export function replacementRule(type: string): ReplacementRule | undefined {
  const explicit = REPLACEMENT_RULES[type];
  if (explicit) return explicit;
  if (type.startsWith(COMPONENT_PACKAGE)) return { paths: [] };
  return unlistedKubernetesRule(type);
}

/** Input paths whose change forces a new resource, by type; a key covers everything below it. */
export const REPLACED_ON: Record<string, string[]> = Object.fromEntries(
  Object.entries(REPLACEMENT_RULES).map(([type, rule]) => [type, [...rule.paths]]),
);

/**
 * Input paths whose change forces `type` to be replaced. A type without a known rule gives the Kubernetes
 * identity for a Kubernetes type and nothing otherwise; the tests keep every type the program declares known.
 */
export function replacedOn(type: string): string[] {
  const rule = replacementRule(type);
  if (rule) return [...rule.paths];
  return type.startsWith("kubernetes:") ? [...KUBERNETES_IDENTITY] : [];
}
