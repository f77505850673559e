/**
 * What a node's bootstrap reports about it (scripts/report-node-identity.sh): the server's SSH host key,
 * which every later session requires, and on servers the cluster CA's hash, which pins the CA for every
 * node that joins. Both are recorded at the first session (trust on first use).
 */

const HOST_KEY_MARKER = "hetzner-k8s-host-key: ";
const CA_HASH_MARKER = "hetzner-k8s-ca-hash: ";
const OPENSSH_ED25519 = /^ssh-ed25519 [A-Za-z0-9+/]+=*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

function lastReported(stdout: string | undefined, marker: string, valid: RegExp): string | undefined {
  const lines = (stdout ?? "").split("\n").filter((line) => line.startsWith(marker));
  const value = lines.at(-1)?.slice(marker.length).trim();
  return value !== undefined && valid.test(value) ? value : undefined;
}

/**
 * The host key from a bootstrap's output (`ssh-ed25519 AAAA...`), or undefined when the output has none:
 * a node bootstrapped before the program recorded keys stays unpinned rather than unreachable.
 */
export function hostKeyFromOutput(stdout: string | undefined): string | undefined {
  return lastReported(stdout, HOST_KEY_MARKER, OPENSSH_ED25519);
}

/** The cluster CA's SHA-256 from a server's bootstrap output, or undefined when it reported none. */
export function caHashFromOutput(stdout: string | undefined): string | undefined {
  return lastReported(stdout, CA_HASH_MARKER, SHA256_HEX);
}

/**
 * A join token in k3s's secure form, `K10<CA hash>::<user>:<password>` (user `server` for the server
 * token, `node` for the agent token; docs.k3s.io/cli/token): the joining node checks the CA it is shown
 * against the hash before it sends the password. Without a known hash, the password alone (short form).
 */
export function joinToken(caHash: string | undefined, user: "server" | "node", password: string): string {
  return caHash ? `K10${caHash}::${user}:${password}` : password;
}
