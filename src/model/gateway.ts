import { formatIpv4, parseCidr } from "../config/ipv4";
import { GATEWAY_SERVER_HOST } from "../config/nodeAddresses";
import type { Location } from "../config/catalogue";
import type { StackConfig } from "../config/schema";
import { PROJECT } from "../names";
import { buildCloudInit, type PrivateRoute } from "./cloudInit";
import { subnetOf } from "./nodes";

/**
 * The gateway of a cluster with private nodes (`privateNodes`): the one server with a public address. It is
 * the SSH bastion every node command goes through (the command provider's proxy connection), the NAT
 * router the nodes reach the internet by (a route 0.0.0.0/0 to it in the Hetzner network, as Hetzner's
 * guide for NAT in cloud networks describes: community.hetzner.com/tutorials/how-to-set-up-nat-for-cloud-networks),
 * and with apiExposure "firewalled"
 * the public door of the Kubernetes API (it forwards 6443 to the private API load balancer). Its packet
 * rules are scripts/prepare-gateway.sh's; its firewall admits SSH and the API from the configured sources.
 */
export interface GatewayModel {
  /** Hetzner server name: `<cluster>-gateway`. */
  serverName: string;
  serverType: string;
  location: Location;
  privateIp: string;
  /** Labels that no node selector matches: neither firewall nor load balancer of the nodes takes it. */
  hetznerLabels: Record<string, string>;
  selector: string;
  /** The route the network sends the internet through. */
  route: { destination: string; gateway: string };
  /** Where the gateway forwards the API port it receives from outside (apiExposure "firewalled"). */
  apiForward?: string;
  /** The environment of prepare-gateway.sh. */
  setupEnvironment: Record<string, string>;
  /** First boot: the nodes' hardening and upgrades, and SSH forwarding for the bastion only. */
  cloudInit: string;
}

/**
 * The bastion forwards the program's sessions to the nodes (the command provider dials the node through
 * the bastion with a direct-tcpip channel: pulumi-command v1.2.1 provider/pkg/provider/remote/connection.go),
 * which needs local forwarding; nothing else is forwarded. sshd takes the first value it reads, and this
 * file comes before the main sshd_config.
 */
const BASTION_SSHD = [
  "AllowTcpForwarding local",
  "AllowAgentForwarding no",
  "AllowStreamLocalForwarding no",
  "PermitTunnel no",
  "GatewayPorts no",
  "",
].join("\n");

/** The default route of private nodes: Hetzner's network gateway, the network's first address. */
export function networkGatewayOf(networkCidr: string): string {
  const network = parseCidr(networkCidr);
  if (typeof network === "string") throw new Error(`unvalidated config: ${network}`);
  return formatIpv4(network.base + 1);
}

export function gatewaySelector(clusterName: string): string {
  return `gateway-of=${clusterName}`;
}

export function buildGateway(
  config: StackConfig,
  apiPrivateIp: string,
  apiPort: number,
): GatewayModel | undefined {
  if (!config.privateNodes) return undefined;
  const privateIp = formatIpv4(subnetOf(config).base + GATEWAY_SERVER_HOST);
  const apiForward = config.apiExposure === "firewalled" ? `${apiPrivateIp}:${apiPort}` : undefined;
  return {
    serverName: `${config.clusterName}-gateway`,
    serverType: config.gatewayServerType,
    location: config.location as Location,
    privateIp,
    hetznerLabels: { "gateway-of": config.clusterName, "managed-by": PROJECT },
    selector: gatewaySelector(config.clusterName),
    route: { destination: "0.0.0.0/0", gateway: privateIp },
    ...(apiForward !== undefined && { apiForward }),
    setupEnvironment: {
      NODE_NAME: `${config.clusterName}-gateway`,
      NETWORK_CIDR: config.networkCidr,
      NAT: "1",
      ...(apiForward !== undefined && { API_FORWARD: apiForward }),
    },
    cloudInit: buildCloudInit(config.sshPublicKeys, {
      files: [
        {
          path: "/etc/ssh/sshd_config.d/61-hetzner-k8s-bastion.conf",
          permissions: "0644",
          content: BASTION_SSHD,
        },
      ],
      runcmd: [],
    }),
  };
}

/**
 * Hetzner's recursive resolvers, which its NAT guide gives private servers
 * (hetznercloud/community-content, tutorials/how-to-set-up-nat-for-cloud-networks).
 */
export const HETZNER_RESOLVERS = ["185.12.64.1", "185.12.64.2"] as const;

/** How every node of the cluster (the program's and the autoscaled pools') is attached. */
export interface NodeNetworking {
  /** Whether servers get a public IPv4 and IPv6. */
  publicAddresses: boolean;
  /** A private node's default route and resolvers, through the NAT gateway. */
  privateRoute?: PrivateRoute;
}

export function nodeNetworkingOf(config: StackConfig): NodeNetworking {
  if (!config.privateNodes) return { publicAddresses: true };
  return {
    publicAddresses: false,
    privateRoute: { via: networkGatewayOf(config.networkCidr), nameservers: HETZNER_RESOLVERS },
  };
}
