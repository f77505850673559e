import { parse } from "yaml";
import { buildCloudInit } from "../../src/model/cloudInit";

interface CloudConfig {
  ssh_pwauth: boolean;
  packages: string[];
  write_files: { path: string; content: string; append?: boolean; permissions: string }[];
}

function parsed(keys: string[]): CloudConfig {
  const text = buildCloudInit(keys);
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return parse(text) as CloudConfig;
}

describe("cloud-init hardening", () => {
  it("allows key-only SSH and no password login", () => {
    const config = parsed([]);
    expect(config.ssh_pwauth).toBe(false);
    const sshd = config.write_files.find((file) => file.path.startsWith("/etc/ssh/sshd_config.d/"));
    expect(sshd?.content.split("\n")).toEqual(
      expect.arrayContaining([
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "PermitRootLogin prohibit-password",
      ]),
    );
  });

  it("turns on unattended security upgrades", () => {
    const config = parsed([]);
    expect(config.packages).toContain("unattended-upgrades");
    const apt = config.write_files.find((file) => file.path === "/etc/apt/apt.conf.d/20auto-upgrades");
    expect(apt?.content).toContain('APT::Periodic::Unattended-Upgrade "1";');
  });

  it("appends people's public keys to root's authorized keys only when there are some", () => {
    expect(parsed([]).write_files.some((file) => file.path === "/root/.ssh/authorized_keys")).toBe(false);
    const keys = parsed(["ssh-ed25519 AAAAC3Nza alice@laptop", "ssh-rsa AAAAB3Nza bob "]).write_files.find(
      (file) => file.path === "/root/.ssh/authorized_keys",
    );
    expect(keys).toMatchObject({
      append: true,
      permissions: "0600",
      content: "ssh-ed25519 AAAAC3Nza alice@laptop\nssh-rsa AAAAB3Nza bob\n",
    });
  });
});
