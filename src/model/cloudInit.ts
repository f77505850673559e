import { stringify } from "yaml";

/**
 * First-boot configuration shared by every server: key-only SSH, no passwords, unattended security
 * upgrades; an autoscaled pool's servers add their join files and command (model/autoscaling.ts). Servers ignore later changes to it (see the server component), so editing it never
 * replaces a server; it applies to servers created afterwards.
 */
export function buildCloudInit(
  humanSshKeys: readonly string[],
  extra: { files: Record<string, unknown>[]; runcmd: string[][] } = { files: [], runcmd: [] },
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
