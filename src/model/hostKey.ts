/**
 * A node's SSH host key, as its bootstrap reports it (scripts/report-host-key.sh): the program records it
 * at the first session and requires it on every later one.
 */

const MARKER = "hetzner-k8s-host-key: ";
const OPENSSH_ED25519 = /^ssh-ed25519 [A-Za-z0-9+/]+=*$/;

/**
 * The host key from a bootstrap's output (`ssh-ed25519 AAAA...`), or undefined when the output has none:
 * a node bootstrapped before the program recorded keys stays unpinned rather than unreachable.
 */
export function hostKeyFromOutput(stdout: string | undefined): string | undefined {
  const lines = (stdout ?? "").split("\n").filter((line) => line.startsWith(MARKER));
  const key = lines.at(-1)?.slice(MARKER.length).trim();
  return key !== undefined && OPENSSH_ED25519.test(key) ? key : undefined;
}
