import {
  HETZNER_LIMITS,
  LOAD_BALANCER_TYPES,
  LOCATIONS,
  NETWORK_ZONES,
  REMOVED_SERVER_TYPES,
  SERVER_TYPES,
  type Location,
  type ServerType,
} from "./catalogue";
import type { ConfigProblem } from "./errors";
import {
  cidrContains,
  cidrContainsIp,
  cidrsOverlap,
  formatIpv4,
  isSourceRange,
  parseCidr,
  parseIpv4,
  type Cidr,
} from "./ipv4";
import { nodeHosts } from "./nodeAddresses";
import { freeNodeAddresses, toStackFilePaths } from "./nodePools";
import { locationOf, type NodeConfig, type StackConfig, type Taint } from "./schema";

/**
 * Rules that relate values to each other or to Hetzner's catalogue. Pure: config in, problems out,
 * each problem naming the exact key. Run after the schema has accepted the shape.
 */

/** etcd is odd-sized; nine members is already past what etcd recommends and fills one placement group. */
export const MAX_CONTROL_PLANE = 9;
const SSH_KEY =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com) [A-Za-z0-9+/=]+( .*)?$/;

type Problems = ConfigProblem[];

/** A server the last deployment runs, by node name: its type and location need no new order. */
export interface RunningServer {
  serverType?: string;
  location?: string;
}

/**
 * @param running the servers of the last deployment: a node that keeps its server keeps its type, even one
 * Hetzner no longer sells (it can then be replaced by a new node, one at a time).
 */
export function checkStackConfig(
  config: StackConfig,
  running: ReadonlyMap<string, RunningServer> = new Map(),
): ConfigProblem[] {
  const problems: Problems = [];
  const zone = checkLocation(config, problems);
  checkLoadBalancer(config, problems);
  checkSources(config, problems);
  checkSshKeys(config, problems);
  const subnet = checkCidrs(config, problems);
  checkNodeCount(config, problems);
  config.nodes.forEach((node, index) =>
    checkNode(config, node, index, zone, running.get(node.name), problems),
  );
  checkDuplicateNames(config, problems);
  if (subnet) checkAddresses(config, subnet, problems);
  return problems;
}

function isLocation(value: string): value is Location {
  return (LOCATIONS as string[]).includes(value);
}

function unknownLocation(value: string): string {
  return `unknown location "${value}" (expected one of ${LOCATIONS.join(", ")})`;
}

function checkLocation(config: StackConfig, problems: Problems): string | undefined {
  if (isLocation(config.location)) return NETWORK_ZONES[config.location];
  problems.push({ path: ["location"], message: unknownLocation(config.location) });
  return undefined;
}

function checkLoadBalancer(config: StackConfig, problems: Problems): void {
  const name = config.loadBalancerType;
  const type = Object.hasOwn(LOAD_BALANCER_TYPES, name) ? LOAD_BALANCER_TYPES[name] : undefined;
  if (!type) {
    problems.push({
      path: ["loadBalancerType"],
      message: `unknown load balancer type "${name}" (expected one of ${Object.keys(LOAD_BALANCER_TYPES).join(", ")})`,
    });
    return;
  }
  // The targets buildLoadBalancers (src/model/network.ts) attaches: both load balancers are of this type, the
  // API one's label selector matches the control-plane nodes, the ingress one's every node of the cluster.
  // Each server a selector matches counts against the type's target limit.
  const controlPlane = config.nodes.filter((node) => node.role === "control-plane").length;
  const [loadBalancer, targets, matched] = config.ingressEnabled
    ? ["ingress", config.nodes.length, "every node"]
    : ["API", controlPlane, "the control-plane nodes"];
  if (targets <= type.maxTargets) return;
  const larger = Object.entries(LOAD_BALANCER_TYPES)
    .filter(([, other]) => other.maxTargets >= targets)
    .map(([other, { maxTargets }]) => `${other} (${maxTargets} targets)`);
  problems.push({
    path: ["loadBalancerType"],
    message:
      `${name} takes at most ${type.maxTargets} targets, but the ${loadBalancer} load balancer targets ${matched} ` +
      `(${targets}); ${larger.length > 0 ? `use ${larger.join(" or ")}` : "no load balancer type takes that many"}`,
  });
}

function checkSources(config: StackConfig, problems: Problems): void {
  for (const key of ["sshAllowedSources", "apiAllowedSources"] as const) {
    config[key].forEach((source, index) => {
      if (!isSourceRange(source)) {
        problems.push({ path: [key, index], message: `"${source}" is not an IP address or CIDR` });
      }
    });
  }
}

function checkSshKeys(config: StackConfig, problems: Problems): void {
  config.sshPublicKeys.forEach((key, index) => {
    if (!SSH_KEY.test(key.trim())) {
      problems.push({
        path: ["sshPublicKeys", index],
        message: 'is not an OpenSSH public key (expected e.g. "ssh-ed25519 AAAA... you@laptop")',
      });
    }
  });
}

function checkCidrs(config: StackConfig, problems: Problems): Cidr | undefined {
  const parsed = (key: "networkCidr" | "nodeSubnetCidr" | "podCidr" | "serviceCidr"): Cidr | undefined => {
    const result = parseCidr(config[key]);
    if (typeof result === "string") {
      problems.push({ path: [key], message: result });
      return undefined;
    }
    return result;
  };
  const network = parsed("networkCidr");
  const subnet = parsed("nodeSubnetCidr");
  const pods = parsed("podCidr");
  const services = parsed("serviceCidr");
  if (network && subnet && !cidrContains(network, subnet)) {
    problems.push({
      path: ["nodeSubnetCidr"],
      message: `${config.nodeSubnetCidr} is outside the network ${config.networkCidr}`,
    });
  }
  if (subnet && subnet.size < 32) {
    problems.push({
      path: ["nodeSubnetCidr"],
      message: `${config.nodeSubnetCidr} is too small (use /27 or larger)`,
    });
  }
  for (const [key, cidr] of [
    ["podCidr", pods],
    ["serviceCidr", services],
  ] as const) {
    if (cidr && network && cidrsOverlap(cidr, network)) {
      problems.push({ path: [key], message: `${config[key]} overlaps the network ${config.networkCidr}` });
    }
  }
  if (pods && services && cidrsOverlap(pods, services)) {
    problems.push({
      path: ["serviceCidr"],
      message: `${config.serviceCidr} overlaps podCidr ${config.podCidr}`,
    });
  }
  return network && subnet && cidrContains(network, subnet) ? subnet : undefined;
}

function checkNodeCount(config: StackConfig, problems: Problems): void {
  const controlPlane = config.nodes.filter((node) => node.role === "control-plane").length;
  if (config.nodes.length < 3) {
    problems.push({
      path: ["nodes"],
      message: `${config.nodes.length} node(s) given; a highly available cluster needs at least 3`,
    });
  }
  if (config.nodes.length > HETZNER_LIMITS.serversPerNetwork) {
    problems.push({
      path: ["nodes"],
      message: `${config.nodes.length} nodes given; Hetzner allows at most ${HETZNER_LIMITS.serversPerNetwork} servers in one network`,
    });
  }
  if (controlPlane < 3 || controlPlane % 2 === 0 || controlPlane > MAX_CONTROL_PLANE) {
    problems.push({
      path: ["nodes"],
      message:
        `${controlPlane} control-plane node(s); etcd needs an odd number from 3 to ${MAX_CONTROL_PLANE} ` +
        `to keep quorum (an even count tolerates no more failures than one fewer)`,
    });
  }
}

function checkNode(
  config: StackConfig,
  node: NodeConfig,
  index: number,
  zone: string | undefined,
  running: RunningServer | undefined,
  problems: Problems,
): void {
  const at = (key: string) => ["nodes", index, key];
  const location = locationOf(config, node);
  const locationMessage = locationProblem(config, node.location, zone);
  if (locationMessage) problems.push({ path: at("location"), message: locationMessage });
  const keepsServer = running?.serverType === node.serverType && running.location === location;
  const serverTypeProblem = keepsServer ? undefined : checkServerType(node.serverType, location);
  if (serverTypeProblem) problems.push({ path: at("serverType"), message: serverTypeProblem });
  const size = node.volumeSizeGb;
  if (size !== undefined && (size < HETZNER_LIMITS.volumeMinGb || size > HETZNER_LIMITS.volumeMaxGb)) {
    problems.push({
      path: at("volumeSizeGb"),
      message: `${size} GB is outside Hetzner's volume sizes (${HETZNER_LIMITS.volumeMinGb}-${HETZNER_LIMITS.volumeMaxGb} GB)`,
    });
  }
  problems.push(...duplicateTaints(node.taints ?? [], ["nodes", index]));
}

/** A taint listed twice (same key and effect) for a node or a pool at `at`. */
export function duplicateTaints(taints: readonly Taint[], at: (string | number)[]): ConfigProblem[] {
  const seen = new Set<string>();
  return taints.flatMap((taint, taintIndex) => {
    const id = `${taint.key}:${taint.effect}`;
    const duplicate = seen.has(id);
    seen.add(id);
    return duplicate ? [{ path: [...at, "taints", taintIndex], message: `duplicate taint ${id}` }] : [];
  });
}

/** What is wrong with a node's (or pool's) own location, if anything: unknown, or another network zone. */
export function locationProblem(
  config: StackConfig,
  location: string | undefined,
  zone: string | undefined,
): string | undefined {
  if (location === undefined) return undefined;
  if (!isLocation(location)) return unknownLocation(location);
  if (zone && NETWORK_ZONES[location] !== zone)
    return `${location} is in network zone ${NETWORK_ZONES[location]}, but the cluster's network is in ${zone} (${config.location})`;
  return undefined;
}

function lookUp<T>(types: Readonly<Record<string, T>>, name: string): T | undefined {
  return Object.hasOwn(types, name) ? types[name] : undefined;
}

/** `"cx23" (2 vCPU, 4 GB RAM, 40 GB disk)`, and where it is sold when that is not `location`. */
function describeReplacement(
  name: string,
  location: string,
  types: Readonly<Record<string, ServerType>>,
): string {
  const type = lookUp(types, name);
  if (!type) return `"${name}"`;
  const sizes = `"${name}" (${type.vcpus} vCPU, ${type.memoryGb} GB RAM, ${type.diskGb} GB disk)`;
  return isLocation(location) && !type.locations.includes(location)
    ? `${sizes}, offered in ${type.locations.join(", ")}`
    : sizes;
}

/**
 * Whether a new server of this type can start in this location, judged by the catalogue as of its date:
 * a removed type and a type Hetzner stopped selling in the location are refused with the type to use.
 */
export function checkServerType(name: string, location: string): string | undefined {
  const gone = lookUp(REMOVED_SERVER_TYPES, name);
  if (gone) {
    const { lastOrderDay, replacement } = gone.removal;
    return (
      `"${name}" is no longer sold: Hetzner stopped selling it after ${lastOrderDay} and removed it from its ` +
      `API; use ${describeReplacement(replacement, location, SERVER_TYPES)}`
    );
  }
  const type = lookUp(SERVER_TYPES, name);
  if (!type) return `unknown server type "${name}"`;
  if (!isLocation(location) || type.locations.includes(location)) return undefined;
  if (type.retired?.locations.includes(location)) {
    const { lastOrderDay, replacement } = type.retired;
    return (
      `"${name}" is no longer sold in ${location}: Hetzner stopped selling it there after ${lastOrderDay} ` +
      `(still offered in ${type.locations.join(", ")}); use ${describeReplacement(replacement, location, SERVER_TYPES)}`
    );
  }
  return `"${name}" is not offered in ${location} (offered in ${type.locations.join(", ")})`;
}

/**
 * Server-type notices, never problems that stop a deployment; same shape as problems (the exact key and a
 * message), for the plan and the program to print as warnings. `types` is the catalogue to judge by (tests
 * pass their own).
 * - A deprecated type: Hetzner still starts new servers of it until the last order day.
 * - A type Hetzner no longer sells (removed, or retired in the node's location): checkStackConfig lets it
 *   through only for a node that keeps its running server, so the notice says what a node replacing it
 *   must be, before anyone copies the entry for a new node and gets the refusal.
 */
export function checkServerTypeNotices(
  config: StackConfig,
  types: Readonly<Record<string, ServerType>> = SERVER_TYPES,
): ConfigProblem[] {
  const notices = config.nodes.flatMap((node, index) => {
    const location = locationOf(config, node);
    const message = serverTypeNotice(node.serverType, location, types);
    return message ? [{ path: ["nodes", index, "serverType"], message }] : [];
  });
  // Once per pool, at the pool's key.
  return toStackFilePaths(config, notices);
}

function serverTypeNotice(
  name: string,
  location: string,
  types: Readonly<Record<string, ServerType>>,
): string | undefined {
  const keeps = "this node keeps its running server, but a node replacing it must use";
  const gone = lookUp(REMOVED_SERVER_TYPES, name);
  if (gone) {
    const { lastOrderDay, replacement } = gone.removal;
    return (
      `"${name}" is no longer sold: Hetzner stopped selling it after ${lastOrderDay} and removed it from its ` +
      `API; ${keeps} ${describeReplacement(replacement, location, types)}`
    );
  }
  const type = lookUp(types, name);
  const retired = type?.retired;
  if (type && retired && isLocation(location) && retired.locations.includes(location)) {
    return (
      `"${name}" is no longer sold in ${location}: Hetzner stopped selling it there after ${retired.lastOrderDay} ` +
      `(still offered in ${type.locations.join(", ")}); ${keeps} ${describeReplacement(retired.replacement, location, types)}`
    );
  }
  const deprecation = type?.deprecation;
  if (!deprecation) return undefined;
  return (
    `"${name}" is deprecated: Hetzner starts new servers of it until ${deprecation.lastOrderDay} ` +
    `(announced ${deprecation.announced}); move to ${describeReplacement(deprecation.replacement, location, types)}`
  );
}

function checkDuplicateNames(config: StackConfig, problems: Problems): void {
  const firstIndex = new Map<string, number>();
  config.nodes.forEach((node, index) => {
    const first = firstIndex.get(node.name);
    if (first === undefined) firstIndex.set(node.name, index);
    else
      problems.push({
        path: ["nodes", index, "name"],
        message: `duplicate node name "${node.name}" (also nodes[${first}])`,
      });
  });
}

function checkAddresses(config: StackConfig, subnet: Cidr, problems: Problems): void {
  const { first: firstHost, last: lastHost } = nodeHosts(subnet);
  const owners = new Map<number, number>();
  const missing: number[] = [];
  config.nodes.forEach((node, index) => {
    const path = ["nodes", index, "privateIp"];
    if (node.privateIp === undefined) {
      missing.push(index);
      return;
    }
    const ip = parseIpv4(node.privateIp);
    if (ip === undefined) {
      problems.push({ path, message: `"${node.privateIp}" is not an IPv4 address` });
      return;
    }
    if (!cidrContainsIp(subnet, ip)) {
      problems.push({
        path,
        message: `${node.privateIp} is outside the node subnet ${config.nodeSubnetCidr}`,
      });
      return;
    }
    if (ip < firstHost || ip > lastHost) {
      problems.push({
        path,
        message: `${node.privateIp} is reserved; node addresses run from ${formatIpv4(firstHost)} to ${formatIpv4(lastHost)} (lower ones are kept for the gateway and load balancers)`,
      });
      return;
    }
    const owner = owners.get(ip);
    if (owner !== undefined) {
      problems.push({
        path,
        message: `${node.privateIp} is already taken by nodes[${owner}] (${config.nodes[owner].name})`,
      });
      return;
    }
    owners.set(ip, index);
  });
  const free = freeNodeAddresses(config, subnet, missing.length);
  missing.forEach((index, at) => {
    const hint = free[at] === undefined ? "" : `; the next free address is ${formatIpv4(free[at])}`;
    problems.push({
      path: ["nodes", index, "privateIp"],
      message: `required: the node's fixed address in ${config.nodeSubnetCidr}${hint}`,
    });
  });
}
