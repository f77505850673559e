import { parseDocument } from "yaml";
import { NETWORK_ZONES, SERVER_TYPES, type Location } from "../config/catalogue";
import { PROJECT } from "../names";
import { formatIpv4, parseCidr } from "../config/ipv4";
import { freeNodeAddresses } from "../config/nodePools";
import type { StackConfig } from "../config/schema";
import { tenantNamespaces, type TenantConfig } from "../config/tenantSchema";
import { checkNodeTransition, etcdQuorum, type LastDeployment } from "../config/transition";
import { KEPT_KINDS } from "../model/tenants";
import type { CatalogueView, StateBase, StateView, TenantRemovalView } from "./contract";
import type { KnownDeployment } from "./knownDeployment";
import { leavingNodes, nodeStatus } from "./status";
import type { StackStore } from "./stackStore";
import type { RawStack } from "./validation";
import { pickFields, TENANT_FIELDS, type JsonObject } from "./yamlEdit";
import type { LoadedStack } from "../stack";

/** The page's view of the stack: what /api/state answers (its type is in contract.ts). */

/**
 * A price to show next to a server type in a location, when the console knows one (a prices module is
 * not part of it yet): the page shows a price column only when some type has one.
 */
export type PriceOf = (serverType: string, location: Location) => string | undefined;

export interface CommittedStack {
  text: string;
  /** Where the text came from, for the page (`git HEAD:Pulumi.dev.yaml`). */
  source: string;
  stack: RawStack;
  /** The committed stack as a last deployment reads it, undefined when it is not valid. */
  loaded: LoadedStack | undefined;
}

export interface ViewContext {
  stack: string;
  stackFile: string;
  store: StackStore;
  committed: CommittedStack;
  known: () => KnownDeployment;
  priceOf?: PriceOf;
}

/** The raw entries of a list in the stack file, keeping only the named fields (no secrets live there). */
function rawEntries(text: string, key: string, fields: readonly string[]): JsonObject[] {
  const config = parseDocument(text).toJSON() as { config?: Record<string, unknown> } | null;
  const list = config?.config?.[`${PROJECT}:${key}`] ?? config?.config?.[key];
  return Array.isArray(list) ? list.map((entry) => pickFields(entry, fields)) : [];
}

/** The addresses the rules would suggest for more explicit nodes, in order (a batch takes one each). */
function freeIps(config: StackConfig, count: number): string[] {
  const subnet = parseCidr(config.nodeSubnetCidr);
  return typeof subnet === "string" ? [] : freeNodeAddresses(config, subnet, count).map(formatIpv4);
}

/** Locations of the cluster's network zone, and the server types Hetzner sells in at least one of them. */
function catalogueView(location: string | undefined, priceOf: PriceOf | undefined): CatalogueView {
  const zone = location && Object.hasOwn(NETWORK_ZONES, location) ? NETWORK_ZONES[location as Location] : "";
  const locations = (Object.keys(NETWORK_ZONES) as Location[]).filter(
    (candidate) => NETWORK_ZONES[candidate] === zone,
  );
  const serverTypes = Object.entries(SERVER_TYPES)
    .map(([name, type]) => ({
      name,
      vcpus: type.vcpus,
      memoryGb: type.memoryGb,
      diskGb: type.diskGb,
      architecture: type.architecture,
      locations: type.locations.filter((sold) => locations.includes(sold)),
      prices: Object.fromEntries(
        type.locations.flatMap((sold) => {
          const price = priceOf?.(name, sold);
          return price === undefined ? [] : [[sold, price]];
        }),
      ),
    }))
    .filter((type) => type.locations.length > 0);
  return { networkZone: zone, locations, serverTypes };
}

/** Why changing a deployed node's server type is refused: the transition rule's own message. */
function serverTypeFixed(config: StackConfig, last: LastDeployment | undefined, index: number): string[] {
  const node = config.nodes[index];
  const other = Object.keys(SERVER_TYPES).find((name) => name !== node.serverType) ?? "";
  const changed = {
    ...config,
    nodes: config.nodes.map((entry, at) => (at === index ? { ...entry, serverType: other } : entry)),
  };
  return checkNodeTransition(last?.nodes ?? [], changed)
    .filter((problem) => problem.path[1] === index && problem.path[2] === "serverType")
    .map((problem) => problem.message);
}

function committedTenant(committed: CommittedStack, name: string): TenantConfig | undefined {
  return committed.loaded?.config.tenants.find((tenant) => tenant.name === name);
}

/** What removing a tenant leaves in the cluster: decided by allowDeletion as last applied (git HEAD tells). */
function tenantRemoval(committed: CommittedStack, name: string): TenantRemovalView {
  const before = committedTenant(committed, name);
  if (!before) return { deployed: false, allowDeletion: false, keptNamespaces: [], keptKinds: [] };
  return {
    deployed: true,
    allowDeletion: before.allowDeletion,
    keptNamespaces: before.allowDeletion ? [] : tenantNamespaces(before),
    keptKinds: before.allowDeletion ? [] : KEPT_KINDS,
  };
}

export function stateView(context: ViewContext): StateView {
  const { store, committed } = context;
  const known = context.known();
  const last = known.deployment;
  const validation = store.validateCurrent();
  const text = store.readText();
  const undo = store.undoAvailability();
  const base: Omit<StateBase, "catalogue"> = {
    stack: context.stack,
    stackFile: context.stackFile,
    committedSource: committed.source,
    lastDeployment: {
      source: known.source,
      description: known.description,
      outputsUnavailable: known.outputsUnavailable,
      problems: known.problems,
    },
    undo,
    discard:
      text === committed.text
        ? { available: false, reason: `the stack file is the same as ${committed.source}` }
        : { available: true },
    rawTenants: rawEntries(text, "tenants", TENANT_FIELDS),
  };
  if (!validation.ok)
    return {
      ...base,
      catalogue: catalogueView(undefined, context.priceOf),
      valid: false,
      problems: validation.problems,
    };
  const { config, model } = validation.loaded;
  const committedNames = new Set(committed.loaded?.config.nodes.map((node) => node.name) ?? []);
  const deployedByName = new Map((last?.nodes ?? []).map((node) => [node.name, node]));
  const deployedControlPlane = (last?.nodes ?? []).filter((node) => node.role === "control-plane").length;
  return {
    ...base,
    catalogue: catalogueView(config.location, context.priceOf),
    valid: true,
    problems: [],
    clusterName: config.clusterName,
    location: config.location,
    nodeSubnetCidr: config.nodeSubnetCidr,
    k3sVersion: config.k3sVersion,
    nextFreeIp: freeIps(config, 1)[0],
    freeIps: freeIps(config, 20),
    deployedControlPlane,
    etcdQuorum: deployedControlPlane > 0 ? etcdQuorum(deployedControlPlane) : 0,
    nodes: model.nodes.map((node, index) => {
      const deployed = deployedByName.get(node.name);
      return {
        name: node.name,
        serverName: node.serverName,
        role: node.role,
        serverType: node.serverType,
        location: node.location,
        privateIp: node.privateIp,
        volumeSizeGb: node.volumeSizeGb ?? null,
        labels: config.nodes[index].labels ?? {},
        taints: config.nodes[index].taints ?? [],
        deleteProtection: node.deleteProtection,
        status: nodeStatus(node.name, known, committedNames, committed.source),
        deployedDeleteProtection: deployed?.deleteProtection ?? false,
        serverTypeFixed: serverTypeFixed(config, last, index),
        pool: node.pool ?? null,
      };
    }),
    leavingNodes: leavingNodes(last, new Set(config.nodes.map((node) => node.name))),
    nodePools: model.nodePools,
    loadBalancers: model.loadBalancers,
    pool: model.pool,
    tenants: model.tenants.map((tenant, index) => ({
      name: tenant.name,
      namespaces: tenant.namespaces,
      users: config.tenants[index].users,
      quota: config.tenants[index].quota,
      podSecurity: config.tenants[index].podSecurity,
      priorityClasses: config.tenants[index].priorityClasses,
      allowFrom: config.tenants[index].allowFrom,
      allowDeletion: config.tenants[index].allowDeletion,
      removal: tenantRemoval(committed, tenant.name),
    })),
  };
}
