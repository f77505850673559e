import { formatProblem } from "../config/errors";
import { PRIVATE_ONLY_PORTS, privatePortsOpenedBy } from "../names";
import { KUBE_API_PORT } from "../model/network";
import { bootstrapLevels, createCommands, isTaintsCommand } from "./bootstrapPath";
import { renderCost } from "./renderCost";
import { poolSection, tenantsSection } from "./renderTenants";
import { table } from "./table";
import type { Plan, PlannedResource } from "./evaluate";
import { SECRET, UNKNOWN } from "./values";

/**
 * The human-readable plan. Everything shown is read from the recorded resources, so the summary
 * describes what the program really declares, not a second description of it.
 */

type Inputs = Record<string, unknown>;

function ofType(plan: Plan, suffix: string): PlannedResource[] {
  return plan.resources.filter((resource) => resource.type === suffix);
}

function childrenOf(plan: Plan, parent: string, type: string): PlannedResource[] {
  return plan.resources.filter((resource) => resource.parent === parent && resource.type === type);
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "-";
  return typeof value === "string" ? value : JSON.stringify(value);
}

/** Firewall rules that open a cluster-only port, read as the policy pack reads them (src/names.ts). */
export function publicExposureProblems(plan: Plan): string[] {
  const problems: string[] = [];
  for (const firewall of ofType(plan, "hcloud:index/firewall:Firewall")) {
    for (const rule of ((firewall.inputs.rules as Inputs[] | undefined) ?? []) as Inputs[]) {
      const opened = privatePortsOpenedBy(rule);
      if (opened === "unreadable") {
        problems.push(`${firewall.name} has a rule whose port ${text(rule.port)} the plan cannot read`);
        continue;
      }
      for (const port of opened) {
        problems.push(
          `${firewall.name} opens ${port.service} (${port.protocol}/${text(rule.port ?? "any")}) to ${text(rule.sourceIps)}`,
        );
      }
    }
  }
  return problems;
}

/** The servers in stack-file order; one the stack does not list (none should) comes last, by URN. */
function serversInStackOrder(plan: Plan): PlannedResource[] {
  const position = new Map(plan.nodes.map((node, index) => [node.name, index]));
  const positionOf = (server: PlannedResource) => position.get(nodeNameOf(server)) ?? Number.MAX_SAFE_INTEGER;
  // Array.prototype.sort is stable: servers of equal position keep their URN order.
  return ofType(plan, "hcloud:index/server:Server")
    .filter((server) => !isGateway(server))
    .sort((a, b) => positionOf(a) - positionOf(b));
}

function isGateway(server: PlannedResource): boolean {
  return ((server.inputs.labels ?? {}) as Record<string, string>)["gateway-of"] !== undefined;
}

/** Whether a server gets public addresses (publicNets), as the nodes section says of private nodes. */
function hasPublicAddress(server: PlannedResource): boolean {
  const nets = (server.inputs.publicNets ?? []) as Inputs[];
  return nets.some((net) => net.ipv4Enabled !== false || net.ipv6Enabled !== false);
}

/** The gateway of private nodes: what it exposes and what it does for the network. */
function gatewaySection(plan: Plan): string[] {
  const gateway = plan.cluster.gateway;
  if (!gateway) return [];
  return [
    "Gateway (private nodes: the only server with public addresses)",
    `  ${gateway.serverName} (${gateway.serverType}, ${gateway.location}): private ${gateway.privateIp}, PUBLIC`,
    "    SSH bastion: the program reaches every node through it (local forwarding only)",
    `    NAT: the network routes ${gateway.route.destination} to it; nothing from the internet is forwarded into the network`,
    gateway.apiForward
      ? `    but the Kubernetes API: ${KUBE_API_PORT}/tcp on its public address goes to ${gateway.apiForward}`
      : "    (the Kubernetes API is on the API load balancer)",
  ];
}

function nodeNameOf(server: PlannedResource): string {
  return ((server.inputs.labels ?? {}) as Record<string, string>).node ?? server.name;
}

function nodesSection(plan: Plan): string[] {
  const rows = [
    ["NAME", "ROLE", "K3S", "TYPE", "LOCATION", "PRIVATE IP", "VOLUME", "PLACEMENT", "PROTECTED"],
  ];
  for (const server of serversInStackOrder(plan)) {
    const inputs = server.inputs;
    const labels = (inputs.labels ?? {}) as Record<string, string>;
    const networks = (inputs.networks ?? []) as Inputs[];
    const volume = childrenOf(plan, server.parent ?? "", "hcloud:index/volume:Volume")[0];
    const group = plan.resources.find(
      (resource) =>
        resource.type === "hcloud:index/placementGroup:PlacementGroup" &&
        server.dependencies.includes(resource.urn),
    );
    rows.push([
      nodeNameOf(server),
      labels.role ?? "-",
      plan.nodes.find((node) => node.name === nodeNameOf(server))?.k3sRole ?? "-",
      text(inputs.serverType),
      text(inputs.location),
      text(networks[0]?.ip),
      volume ? `${text(volume.inputs.size)} GB (retained)` : "-",
      group ? text(group.inputs.name) : "-",
      inputs.deleteProtection ? "yes" : "no",
    ]);
  }
  const servers = serversInStackOrder(plan);
  const addresses =
    servers.length > 0 && !servers.some(hasPublicAddress)
      ? [
          "No node has a public address: the program reaches them through the gateway, they reach the internet through its NAT",
        ]
      : [];
  return [
    `Nodes (${rows.length - 1}) in stack-file order`,
    ...table(rows),
    ...addresses,
    ...labelsAndTaints(plan),
    ...nodePoolsSection(plan),
  ];
}

/** Each pool's range and what its count uses of it: raising the count takes the next addresses. */
function nodePoolsSection(plan: Plan): string[] {
  if (plan.nodePools.length === 0) return [];
  const rows = [["POOL", "COUNT", "TYPE", "LOCATION", "IP RANGE", "ADDRESSES", "CAPACITY", "NODES"]];
  for (const pool of plan.nodePools) {
    const nodes = pool.nodes.length > 2 ? `${pool.nodes[0]} .. ${pool.nodes.at(-1)}` : pool.nodes.join(", ");
    const scaling = pool.autoscaling;
    rows.push([
      pool.name,
      scaling ? `${scaling.min}-${scaling.max} (autoscaled)` : String(pool.count),
      pool.serverType,
      pool.location,
      scaling ? `${pool.ipRange} (own subnet)` : pool.ipRange,
      pool.addresses
        ? `${pool.addresses.first} - ${pool.addresses.last}`
        : scaling
          ? "picked by Hetzner"
          : "-",
      `${pool.capacity} nodes`,
      scaling ? "made by the cluster-autoscaler" : nodes || "-",
    ]);
  }
  const autoscaled = plan.nodePools.some((pool) => pool.autoscaling);
  return [
    "  Node pools (count n: nodes <pool>-1 to <pool>-n at the range's 1st to n-th address)",
    ...table(rows, "    "),
    ...(autoscaled
      ? [
          "    An autoscaled pool's servers are <cluster>-<pool>-<hex>, created while pods wait for room and deleted,",
          "    drained, once idle; the pool accounting counts its min and shows its max.",
        ]
      : []),
  ];
}

/** Each node's Kubernetes labels (the stack file's and the program's) and the taints it registers with. */
function labelsAndTaints(plan: Plan): string[] {
  const rows = [["NODE", "LABELS", "TAINTS"]];
  for (const node of plan.nodes) {
    const labels = Object.entries(node.labels).map(([key, value]) => `${key}=${value}`);
    rows.push([node.name, labels.join(", ") || "-", node.taints.join(", ") || "-"]);
  }
  return ["  Kubernetes labels and taints", ...table(rows, "    ")];
}

/** Keys the stack file sets that change nothing as the rest of it stands. */
function notesSection(plan: Plan): string[] {
  if (plan.notes.length === 0) return [];
  return ["Notes", ...plan.notes.map((note) => `  ${formatProblem(note)}`)];
}

function bootstrapSection(plan: Plan): string[] {
  const levels = bootstrapLevels(plan);
  const lines = [
    `Path to a ready cluster: ${levels.length} sequential SSH step(s), whatever the number of nodes`,
  ];
  levels.forEach((level, index) => {
    const names = level.map((resource) => resource.name).join(", ");
    lines.push(`  ${index + 1}. ${level.length > 1 ? "in parallel: " : ""}${names}`);
  });
  const taints = createCommands(plan).filter(isTaintsCommand);
  if (taints.length > 0)
    lines.push(
      `  then, in parallel, each node's taints: ${taints.map((resource) => resource.name).join(", ")}`,
    );
  return lines;
}

const RELEASE_TYPE = "kubernetes:helm.sh/v3:Release";

function platformSection(plan: Plan): string[] {
  const releases = ofType(plan, RELEASE_TYPE);
  if (releases.length === 0) return ["Platform add-ons: none"];
  const rows = [["RELEASE", "CHART", "VERSION", "NAMESPACE", "AFTER"]];
  for (const release of releases) {
    const after = releases
      .filter((other) => release.dependencies.includes(other.urn))
      .map((other) => other.name);
    rows.push([
      release.name,
      text(release.inputs.chart),
      text(release.inputs.version),
      text(release.inputs.namespace),
      after.join(", ") || "-",
    ]);
  }
  const lines = [
    "Platform add-ons (Helm releases through the cluster's Kubernetes provider)",
    ...table(rows),
  ];
  const classes = storageClassLines(plan, releases);
  if (classes.length > 0) lines.push("  Storage classes:", ...classes);
  const issuers = ofType(plan, "kubernetes:cert-manager.io/v1:ClusterIssuer").map((issuer) => issuer.name);
  if (issuers.length > 0) lines.push(`  Certificate issuers: ${issuers.join(", ")}`);
  // A server setting (k3s refuses a join that differs), read from the model's k3s config of a server.
  const backend = plan.nodes.map((node) => node.k3sConfig["flannel-backend"]).find((value) => value);
  if (typeof backend === "string")
    lines.push(`  Pod network: Flannel ${backend}, over the interface holding each node's private IP`);
  return lines;
}

function storageClassLines(plan: Plan, releases: PlannedResource[]): string[] {
  const lines: string[] = [];
  const csi = releases.find((release) => release.inputs.chart === "hcloud-csi");
  const csiClasses = ((csi?.inputs.values as Inputs | undefined)?.storageClasses ?? []) as Inputs[];
  for (const entry of csiClasses) {
    lines.push(
      `    ${text(entry.name)}${entry.defaultStorageClass ? " (default)" : ""}: Hetzner network volume, reclaim ${text(entry.reclaimPolicy)}`,
    );
  }
  for (const storageClass of ofType(plan, "kubernetes:storage.k8s.io/v1:StorageClass")) {
    const annotations = ((storageClass.inputs.metadata as Inputs | undefined)?.annotations ?? {}) as Inputs;
    const isDefault = annotations["storageclass.kubernetes.io/is-default-class"] === "true";
    lines.push(
      `    ${storageClass.name}${isDefault ? " (default)" : ""}: node-local directory (${text(storageClass.inputs.provisioner)})`,
    );
  }
  return lines;
}

function loadBalancerSection(plan: Plan): string[] {
  const lines = [
    "Load balancers (Hetzner firewalls do not cover load balancers: a public service is open to all)",
  ];
  for (const lb of ofType(plan, "hcloud:index/loadBalancer:LoadBalancer")) {
    const network = childrenOf(
      plan,
      lb.parent ?? "",
      "hcloud:index/loadBalancerNetwork:LoadBalancerNetwork",
    )[0];
    const target = childrenOf(plan, lb.parent ?? "", "hcloud:index/loadBalancerTarget:LoadBalancerTarget")[0];
    const services = childrenOf(plan, lb.parent ?? "", "hcloud:index/loadBalancerService:LoadBalancerService")
      .map((service) => `${text(service.inputs.listenPort)}->${text(service.inputs.destinationPort)}/tcp`)
      .join(", ");
    const isPublic = network?.inputs.enablePublicInterface !== false;
    lines.push(
      `  ${text(lb.inputs.name)} (${text(lb.inputs.loadBalancerType)}, ${text(lb.inputs.location)}): private ${text(network?.inputs.ip)}, ` +
        `${isPublic ? "PUBLIC" : "no public interface"}; ${services} to [${text(target?.inputs.labelSelector)}] over the private network`,
    );
  }
  return lines;
}

function firewallSection(plan: Plan): string[] {
  const lines = ["Firewall (servers' public interfaces; the private network is not filtered by Hetzner)"];
  for (const firewall of ofType(plan, "hcloud:index/firewall:Firewall")) {
    const selector = ((firewall.inputs.applyTos ?? []) as Inputs[])
      .map((apply) => text(apply.labelSelector))
      .join(" ");
    lines.push(`  ${text(firewall.inputs.name)} -> servers [${selector}]`);
    if (((firewall.inputs.rules ?? []) as Inputs[]).length === 0)
      lines.push("    (the nodes have no public interface: nothing is admitted)");
    for (const rule of (firewall.inputs.rules ?? []) as Inputs[]) {
      const port = rule.port ? `/${text(rule.port)}` : "";
      lines.push(
        `    allow in ${text(rule.protocol)}${port} from ${((rule.sourceIps ?? []) as string[]).join(", ")}`,
      );
    }
  }
  lines.push("    everything else inbound is dropped");
  const problems = publicExposureProblems(plan);
  const closed = PRIVATE_ONLY_PORTS.map((port) => port.service).join(", ");
  lines.push(problems.length === 0 ? `  Never public: ${closed}` : `  WARNING: ${problems.join("; ")}`);
  return lines;
}

function resourcesSection(plan: Plan): string[] {
  const counts = new Map<string, number>();
  for (const resource of plan.resources) counts.set(resource.type, (counts.get(resource.type) ?? 0) + 1);
  const rows = [...counts.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([type, count]) => [type, String(count)]);
  return [`Resources to create (${plan.resources.length})`, ...table(rows)];
}

function outputsSection(plan: Plan): string[] {
  const rows = Object.entries(plan.outputs).map(([name, output]) => {
    let shown: string;
    if (output.secret) shown = `${SECRET} (pulumi stack output ${name} --show-secrets)`;
    else if (!output.known && typeof output.value === "string") shown = UNKNOWN;
    else if (Array.isArray(output.value)) shown = `${output.value.length} entries (see --json)`;
    else shown = text(output.value);
    return [name, shown.length > 100 ? `${shown.slice(0, 97)}...` : shown];
  });
  return ["Outputs", ...table(rows)];
}

export function renderPlan(plan: Plan): string {
  const sections = [
    [
      `Plan for stack "${plan.stack}" (offline: no cloud calls; values assigned by Hetzner show as ${UNKNOWN})`,
      `k3s ${plan.k3s.version} (Kubernetes ${plan.k3s.kubernetesMinor}) on every node`,
    ],
    notesSection(plan),
    nodesSection(plan),
    bootstrapSection(plan),
    loadBalancerSection(plan),
    gatewaySection(plan),
    firewallSection(plan),
    platformSection(plan),
    tenantsSection(plan),
    poolSection(plan),
    renderCost(plan.cost),
    resourcesSection(plan),
    outputsSection(plan),
  ];
  return (
    sections
      .filter((lines) => lines.length > 0)
      .map((lines) => lines.join("\n"))
      .join("\n\n") + "\n"
  );
}
