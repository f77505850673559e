import { stringify } from "yaml";

/**
 * First-boot configuration shared by every server: key-only SSH, no passwords, unattended security
 * upgrades; an autoscaled pool's servers add their join files and command (model/autoscaling.ts). Servers ignore later changes to it (see the server component), so editing it never
 * replaces a server; it applies to servers created afterwards.
 */
export function buildCloudInit(
  humanSshKeys: readonly string[],
  extra: { files: Record<string, unknown>[]; runcmd: string[][] } = { files: [], runcmd: [] },
  privateRoute?: PrivateRoute,
): string {
  const files: Record<string, unknown>[] = [
    {
      path: "/etc/ssh/sshd_config.d/60-hetzner-k8s-hardening.conf",
      permissions: "0644",
      content: [
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
        "PermitEmptyPasswords no",
        "X11Forwarding no",
        "MaxAuthTries 3",
        "",
      ].join("\n"),
    },
    {
      path: "/etc/apt/apt.conf.d/20auto-upgrades",
      permissions: "0644",
      content: [
        'APT::Periodic::Update-Package-Lists "1";',
        'APT::Periodic::Unattended-Upgrade "1";',
        "",
      ].join("\n"),
    },
  ];
  if (humanSshKeys.length > 0) {
    // Appended rather than uploaded as Hetzner SSH keys: Hetzner refuses a key whose fingerprint is
    // already in the project, which would make the stack fail for anyone who uploaded theirs by hand.
    files.push({
      path: "/root/.ssh/authorized_keys",
      permissions: "0600",
      append: true,
      content: humanSshKeys.map((key) => key.trim()).join("\n") + "\n",
    });
  }
  const document = {
    ...(privateRoute && { bootcmd: [["sh", "-c", privateRouteCommand(privateRoute)]] }),
    ssh_pwauth: false,
    disable_root: false,
    package_update: true,
    packages: ["unattended-upgrades"],
    write_files: [...files, ...extra.files],
    runcmd: [
      ["systemctl", "reload", "ssh"],
      ["systemctl", "enable", "--now", "unattended-upgrades"],
      ...extra.runcmd,
    ],
  };
  return "#cloud-config\n" + stringify(document);
}

/** A private node's way out: the default route through the network's gateway, and resolvers. */
export interface PrivateRoute {
  /** The Hetzner network's gateway (its first address), which routes per the network's routes. */
  via: string;
  /** Resolvers written only when the node was given none. */
  nameservers: readonly string[];
}

/**
 * Hetzner's DHCP gives a private interface the network's range only, no default route (docs.hetzner.com,
 * networks "architecture": 10.0.0.0/16 via 10.0.0.1, 10.0.0.1 on-link; Hetzner's NAT guide adds
 * `default via 10.0.0.1` by hand). bootcmd runs at every boot, before cloud-init's package update, so the
 * route is back after each reboot and before the first apt. The interface is the one reaching the
 * gateway: its name differs between images (eth1, ens10, enp7s0). k3s also wants a default route
 * (docs.k3s.io/installation/airgap).
 */
function privateRouteCommand(route: PrivateRoute): string {
  const servers = route.nameservers.map((ip) => `nameserver ${ip}`).join("\\n");
  return [
    `for i in $(seq 1 60); do dev=$(ip -o -4 route get ${route.via} 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p'); [ -n "$dev" ] && break; sleep 1; done`,
    `[ -n "$dev" ] && ip route replace default via ${route.via} dev "$dev" onlink`,
    `grep -q '^nameserver' /etc/resolv.conf 2>/dev/null || printf '${servers}\\n' >> /etc/resolv.conf`,
  ].join("; ");
}
