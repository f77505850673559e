import { callsTo, ScriptHarness } from "./harness";

/**
 * prepare-gateway.sh with nft, apt-get and sysctl stubbed: the ruleset it writes and what it runs to
 * load it. The node tier loads the same ruleset in a real kernel and routes through it.
 */

const ENV = { NODE_NAME: "dev-gateway", NETWORK_CIDR: "10.0.0.0/16", NAT: "1" };

describe("prepare-gateway.sh", () => {
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
    // nft is installed; its table is loaded once `nft -f` ran.
    h.stub(
      "nft",
      `case "$1" in
  -f) : >"$STUB_STATE/nft-loaded" ;;
  list) [[ -e "$STUB_STATE/nft-loaded" ]] ;;
esac`,
    );
    h.stub("apt-get", "exit 0");
  });
  afterEach(() => h.cleanup());

  const ruleset = () => h.readRootFile("/etc/nftables.conf");

  it("masquerades the network's traffic to the internet and forwards nothing else", () => {
    const result = h.run("prepare-gateway.sh", ENV);
    expect(result.status).toBe(0);
    expect(ruleset()).toContain("type filter hook forward priority filter; policy drop;");
    expect(ruleset()).toContain("ip saddr 10.0.0.0/16 ip daddr != 10.0.0.0/16 accept");
    expect(ruleset()).toContain("ip saddr 10.0.0.0/16 ip daddr != 10.0.0.0/16 masquerade");
    expect(ruleset()).not.toContain("dnat");
    expect(h.readRootFile("/etc/sysctl.d/60-hetzner-k8s-gateway.conf")).toBe("net.ipv4.ip_forward = 1\n");
    expect(callsTo(result.calls, "nft")).toEqual([`-f ${h.rootPath("/etc/nftables.conf")}`]);
    expect(callsTo(result.calls, "systemctl")).toEqual(["enable --quiet nftables.service"]);
  });

  it("forwards the API port from outside the network to the load balancer, and answers come back through it", () => {
    const result = h.run("prepare-gateway.sh", { ...ENV, API_FORWARD: "10.0.1.2:6443" });
    expect(result.status).toBe(0);
    expect(ruleset()).toContain(
      "ip saddr != 10.0.0.0/16 fib daddr type local tcp dport 6443 dnat to 10.0.1.2:6443",
    );
    expect(ruleset()).toContain("ip daddr 10.0.1.2 tcp dport 6443 ct status dnat accept");
    expect(ruleset()).toContain("ip daddr 10.0.1.2 tcp dport 6443 ct status dnat masquerade");
  });

  it("turns forwarding off when it neither masquerades nor forwards the API", () => {
    const result = h.run("prepare-gateway.sh", { ...ENV, NAT: "0" });
    expect(result.status).toBe(0);
    expect(ruleset()).not.toMatch(/masquerade|dnat|ip saddr/);
    expect(h.readRootFile("/etc/sysctl.d/60-hetzner-k8s-gateway.conf")).toBe("net.ipv4.ip_forward = 0\n");
  });

  it("changes nothing and reloads nothing on a second run", () => {
    expect(h.run("prepare-gateway.sh", ENV).status).toBe(0);
    const second = h.run("prepare-gateway.sh", ENV);
    expect(second.status).toBe(0);
    expect(second.stdout).toContain("/etc/nftables.conf unchanged");
    expect(callsTo(second.calls, "nft")).toEqual(["list table ip hetzner_k8s_gateway"]);
    expect(callsTo(second.calls, "sysctl")).toEqual([]);
  });

  it("loads the ruleset again when the running kernel lost it (rebooted before the service was enabled)", () => {
    expect(h.run("prepare-gateway.sh", ENV).status).toBe(0);
    h.run("prepare-gateway.sh", ENV);
    h.stub("nft", `[[ $1 != list ]]`);
    const result = h.run("prepare-gateway.sh", ENV);
    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "nft")).toContain(`-f ${h.rootPath("/etc/nftables.conf")}`);
  });

  it.each([
    [{ NODE_NAME: "" }, "NODE_NAME is required"],
    [{ NETWORK_CIDR: "10.0.0.0" }, "NETWORK_CIDR must be an IPv4 CIDR"],
    [{ NAT: "yes" }, "NAT must be 0 or 1"],
    [{ API_FORWARD: "10.0.1.2" }, "API_FORWARD must be <ip>:<port>"],
  ])("refuses %j before it changes anything", (override, message) => {
    const result = h.run("prepare-gateway.sh", { ...ENV, ...override });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(message);
    expect(result.calls).toEqual([]);
  });
});
