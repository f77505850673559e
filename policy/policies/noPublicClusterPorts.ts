import {
  describe,
  field,
  isList,
  known,
  listing,
  plainProps,
  type Plain,
  type ResourcePolicy,
} from "./common";

import { privatePortsOpenedBy, type PrivateOnlyPort } from "../../src/names";

// The reading of a rule's port and protocol is the program's own (src/names.ts), which the plan's warning
// shares; re-exported for the policy's tests.
export { parsePortRange, protocolCovers, type PortRange } from "../../src/names";

export const FIREWALL_TYPE = "hcloud:index/firewall:Firewall";

function formatPort(port: PrivateOnlyPort): string {
  const range = port.from === port.to ? String(port.from) : `${port.from}-${port.to}`;
  return `${port.service} (${port.protocol} ${range})`;
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
      const protocol = known(field(rule, "protocol"));
      const port = known(field(rule, "port"));
      const exposed = privatePortsOpenedBy({ direction, protocol, port });
      const what = `inbound rule #${index + 1} (${typeof protocol === "string" ? protocol : "any protocol"} ${
        typeof port === "string" && port.trim() !== "" ? port : "all ports"
      } from ${formatSources(field(rule, "sourceIps"))})`;
      if (exposed === "unreadable") {
        reportViolation(
          `${firewall}: ${what} has a port this policy cannot read (${JSON.stringify(port)}); ` +
            `use "<port>", "<from>-<to>" or "any" so it can be checked against the cluster-only ports.`,
        );
        return;
      }
      if (exposed.length > 0) {
        reportViolation(
          `${firewall}: ${what} opens ${listing(exposed.map(formatPort))} on the public interfaces; ` +
            `the cluster uses these ports over the private network only, so no firewall rule may open them.`,
        );
      }
    });
  },
};
