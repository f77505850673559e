import {
  describe,
  field,
  isList,
  known,
  listing,
  plainProps,
  type KnownPlain,
  type Plain,
  type ResourcePolicy,
} from "./common";

import { PRIVATE_ONLY_PORTS } from "../../src/names";

export const FIREWALL_TYPE = "hcloud:index/firewall:Firewall";

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

export interface ClusterPort {
  readonly service: string;
  readonly protocol: "tcp" | "udp";
  readonly range: PortRange;
}

/** Ports the cluster uses between nodes only (the program's own list, which the plan checks too). */
export const NEVER_PUBLIC: readonly ClusterPort[] = PRIVATE_ONLY_PORTS.map(
  ({ service, protocol, from, to }) => ({
    service,
    protocol,
    range: { from, to },
  }),
);

const ALL_PORTS: PortRange = { from: 1, to: 65535 };
const PORT_RANGE = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/;

/**
 * The ports a rule's `port` covers: `"22"`, `"80-85"`, or all of them when it is absent, empty or `"any"`.
 * `undefined` for anything else, which the policy cannot prove harmless.
 */
export function parsePortRange(port: KnownPlain): PortRange | undefined {
  if (port === undefined || port === null) return ALL_PORTS;
  const text = typeof port === "number" ? String(port) : typeof port === "string" ? port.trim() : undefined;
  if (text === undefined) return undefined;
  if (text === "" || text.toLowerCase() === "any") return ALL_PORTS;
  const match = PORT_RANGE.exec(text);
  if (!match) return undefined;
  const from = Number(match[1]);
  const to = match[2] === undefined ? from : Number(match[2]);
  if (from > to || to > 65535) return undefined;
  return { from, to };
}

/** Whether a rule's `protocol` lets `protocol` through: its own name, or none/`any` for every protocol. */
export function protocolCovers(ruleProtocol: Plain, protocol: "tcp" | "udp"): boolean {
  if (ruleProtocol === undefined || ruleProtocol === null) return true;
  if (typeof ruleProtocol !== "string") return true;
  const name = ruleProtocol.trim().toLowerCase();
  return name === "" || name === "any" || name === "all" || name === protocol;
}

function overlaps(a: PortRange, b: PortRange): boolean {
  return a.from <= b.to && b.from <= a.to;
}

function formatRange(range: PortRange): string {
  return range.from === range.to ? String(range.from) : `${range.from}-${range.to}`;
}

function formatPort(port: ClusterPort): string {
  return `${port.service} (${port.protocol} ${formatRange(port.range)})`;
}

function formatSources(sourceIps: Plain): string {
  if (!isList(sourceIps) || sourceIps.length === 0) return "any source";
  return sourceIps.map((source) => (typeof source === "string" ? source : "(unknown)")).join(", ");
}

export const noPublicClusterPorts: ResourcePolicy = {
  name: "no-public-cluster-ports",
  description:
    "Hetzner firewalls must not open etcd (tcp 2379-2380), the kubelet (tcp 10250), flannel " +
    "(udp 8472 VXLAN, udp 51820-51821 WireGuard) or NodePorts (tcp 30000-32767) inbound, from any source: " +
    "firewalls filter the public interfaces, and these ports belong on the private network only.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== FIREWALL_TYPE) return;
    const props = plainProps(args.props);
    const firewall = describe("firewall", args.name, props.name);
    const rules = known(props.rules);
    if (!isList(rules)) return;
    rules.forEach((rule, index) => {
      const direction = known(field(rule, "direction"));
      if (typeof direction === "string" && direction.trim().toLowerCase() !== "in") return;
      const protocol = known(field(rule, "protocol"));
      const port = known(field(rule, "port"));
      const what = `inbound rule #${index + 1} (${typeof protocol === "string" ? protocol : "any protocol"} ${
        typeof port === "string" && port.trim() !== "" ? port : "all ports"
      } from ${formatSources(field(rule, "sourceIps"))})`;
      const candidates = NEVER_PUBLIC.filter((clusterPort) => protocolCovers(protocol, clusterPort.protocol));
      if (candidates.length === 0) return;
      const range = parsePortRange(port);
      if (range === undefined) {
        reportViolation(
          `${firewall}: ${what} has a port this policy cannot read (${JSON.stringify(port)}); ` +
            `use "<port>", "<from>-<to>" or "any" so it can be checked against the cluster-only ports.`,
        );
        return;
      }
      const exposed = candidates.filter((clusterPort) => overlaps(range, clusterPort.range));
      if (exposed.length > 0) {
        reportViolation(
          `${firewall}: ${what} opens ${listing(exposed.map(formatPort))} on the public interfaces; ` +
            `the cluster uses these ports over the private network only, so no firewall rule may open them.`,
        );
      }
    });
  },
};
