/**
 * Every version and image the program installs, pinned in one place so that an upgrade is one
 * reviewed diff and the plan shows exactly what will run.
 */
export const VERSIONS = {
  /** Hetzner image for every server; changing it never replaces an existing server. */
  serverImage: "ubuntu-24.04",
  /** k3s release installed on new nodes; `k3sVersion` in the stack overrides it. */
  k3s: "v1.33.5+k3s1",
} as const;
