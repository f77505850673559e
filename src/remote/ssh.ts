import type * as hcloud from "@pulumi/hcloud";
import * as pulumi from "@pulumi/pulumi";

/**
 * How the program opens its SSH sessions (command provider connections): as root with the stack's own
 * key, retrying while the server boots, to the server's public address, or with private nodes to its
 * private address through the gateway (the provider's proxy connection: an SSH session to the bastion,
 * then a direct-tcpip channel to the node, pulumi-command v1.2.1 provider/pkg/provider/remote/connection.go).
 * With a host key (the one the server reported at its first session) a server answering with another key
 * is refused before any command or secret is sent; the bastion's key is pinned the same way.
 */

/** The gateway every session to a private node goes through: its server and the host key it reported. */
export interface Bastion {
  server: hcloud.Server;
  hostKey: pulumi.Output<string | undefined>;
}

/** A server to SSH to: as a bastion, plus its private address (where a session through the bastion goes). */
export interface SshTarget extends Bastion {
  privateIp: string;
}

/** The `via` of sshConnection for a target: through the bastion when there is one. */
export function through(bastion: Bastion | undefined, privateIp: string) {
  return bastion ? { bastion, privateIp } : undefined;
}

const RETRIES = { dialErrorLimit: 60, perDialTimeout: 10 };

/** A key that resolves to undefined (a server reached before keys were kept) is left out: any key is taken. */
function pinned(hostKey?: pulumi.Input<string | undefined>) {
  // The SDK skips undefined values in inputs, so such a key never reaches the provider.
  return hostKey !== undefined ? { hostKey: pulumi.output(hostKey) as pulumi.Output<string> } : {};
}

export function sshConnection(
  server: hcloud.Server,
  privateKey: pulumi.Input<string>,
  hostKey?: pulumi.Input<string | undefined>,
  via?: { bastion: Bastion; privateIp: string },
) {
  return {
    host: via ? pulumi.output(via.privateIp) : server.ipv4Address,
    user: "root",
    privateKey,
    ...RETRIES,
    ...pinned(hostKey),
    ...(via && {
      proxy: {
        host: via.bastion.server.ipv4Address,
        user: "root",
        privateKey,
        ...RETRIES,
        ...pinned(via.bastion.hostKey),
      },
    }),
  };
}
