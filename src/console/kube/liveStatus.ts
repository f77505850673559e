import { parseQuantity } from "../../config/quantity";
import { errorText, kubeGet, type KubeConnection } from "./client";
import { record, text, type Loose } from "./loose";

/** One look at the cluster, as the page shows it: its nodes with their usage, and the tenants' quotas. */

export interface LiveNode {
  name: string;
  ready: boolean;
  /** The Ready condition's reason or "Ready". */
  status: string;
  kubeletVersion?: string;
  cpu?: { usedCores: number; capacityCores: number };
  memory?: { usedBytes: number; capacityBytes: number };
}

export interface LiveQuota {
  tenant: string;
  namespace: string;
  name: string;
  hard: Record<string, string>;
  used: Record<string, string>;
}

export type LiveStatus =
  | { connected: false; reason: string; checkedAt: string }
  | {
      connected: true;
      /** Host of the API server (not secret; the credentials stay on the server). */
      server: string;
      checkedAt: string;
      nodes: LiveNode[];
      metrics: { available: boolean; reason?: string };
      quotas: LiveQuota[];
      quotaReason?: string;
    };

const TENANT_LABEL = "hetzner-k8s.io/tenant";

/**
 * Kubernetes quantities including the metrics API's nano- and microcores, which config quantities never
 * are (so config/quantity.ts stays without them).
 */
export function quantityValue(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^([0-9.]+)(n|u)$/.exec(value);
  if (match) return Number(match[1]) * (match[2] === "n" ? 1e-9 : 1e-6);
  return parseQuantity(value);
}

function items(list: unknown): Loose[] {
  const value = record(list).items;
  return Array.isArray(value) ? value.map(record) : [];
}

function stringMap(value: unknown): Record<string, string> {
  return Object.fromEntries(Object.entries(record(value)).map(([key, inner]) => [key, String(inner)]));
}

type Usage = Map<string, { cpu?: number; memory?: number }>;

/** Node usage from metrics-server, which a cluster may not run: then the page shows no usage, and why. */
async function readUsage(
  connection: KubeConnection,
): Promise<{ usage: Usage; metrics: { available: boolean; reason?: string } }> {
  const usage: Usage = new Map();
  try {
    for (const item of items(await kubeGet(connection, "/apis/metrics.k8s.io/v1beta1/nodes"))) {
      const resources = record(item.usage);
      usage.set(String(record(item.metadata).name), {
        cpu: quantityValue(resources.cpu),
        memory: quantityValue(resources.memory),
      });
    }
    return { usage, metrics: { available: true } };
  } catch (error) {
    return { usage, metrics: { available: false, reason: `node metrics unavailable: ${errorText(error)}` } };
  }
}

function liveNode(item: Loose, usage: Usage): LiveNode {
  const name = String(record(item.metadata).name);
  const status = record(item.status);
  const conditions = Array.isArray(status.conditions) ? status.conditions.map(record) : [];
  const ready = conditions.find((condition) => condition.type === "Ready");
  const capacity = record(status.allocatable ?? status.capacity);
  const used = usage.get(name);
  const capacityCores = quantityValue(capacity.cpu);
  const capacityBytes = quantityValue(capacity.memory);
  return {
    name,
    ready: ready?.status === "True",
    status: ready ? (ready.status === "True" ? "Ready" : String(ready.reason ?? "NotReady")) : "Unknown",
    kubeletVersion: text(record(status.nodeInfo).kubeletVersion),
    cpu: used?.cpu !== undefined && capacityCores ? { usedCores: used.cpu, capacityCores } : undefined,
    memory:
      used?.memory !== undefined && capacityBytes ? { usedBytes: used.memory, capacityBytes } : undefined,
  };
}

/** The tenants' ResourceQuotas, which the console's credentials may not be allowed to list. */
async function readQuotas(
  connection: KubeConnection,
): Promise<{ quotas: LiveQuota[]; quotaReason?: string }> {
  try {
    const list = await kubeGet(
      connection,
      `/api/v1/resourcequotas?labelSelector=${encodeURIComponent(TENANT_LABEL)}`,
    );
    const quotas = items(list).map((item) => {
      const metadata = record(item.metadata);
      const status = record(item.status);
      return {
        tenant: String(record(metadata.labels)[TENANT_LABEL] ?? ""),
        namespace: String(metadata.namespace ?? ""),
        name: String(metadata.name ?? ""),
        hard: stringMap(status.hard ?? record(item.spec).hard),
        used: stringMap(status.used),
      };
    });
    return { quotas };
  } catch (error) {
    return { quotas: [], quotaReason: `tenant quotas unavailable: ${errorText(error)}` };
  }
}

/** Nodes are required (without them the cluster counts as unreachable); metrics and quotas are optional. */
export async function readLiveStatus(connection: KubeConnection): Promise<LiveStatus> {
  const checkedAt = new Date().toISOString();
  let nodeList: unknown;
  try {
    nodeList = await kubeGet(connection, "/api/v1/nodes");
  } catch (error) {
    return {
      connected: false,
      reason: `the Kubernetes API at ${connection.server.host} is not reachable: ${errorText(error)}`,
      checkedAt,
    };
  }
  const { usage, metrics } = await readUsage(connection);
  const nodes = items(nodeList).map((item) => liveNode(item, usage));
  const { quotas, quotaReason } = await readQuotas(connection);
  return { connected: true, server: connection.server.host, checkedAt, nodes, metrics, quotas, quotaReason };
}
