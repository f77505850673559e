import { caHashFromOutput, hostKeyFromOutput, joinToken } from "../../src/model/nodeIdentity";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGd0b3RoZWtleWZvcnRlc3Rpbmc=";

describe("the host key in a bootstrap's output", () => {
  it("is the last line with the marker, without the marker", () => {
    const output = `hetzner-k8s: node x: step install: ok\nhetzner-k8s-host-key: ssh-ed25519 AAAAold\nhetzner-k8s-host-key: ${KEY}\n`;
    expect(hostKeyFromOutput(output)).toBe(KEY);
  });

  it("is absent for a bootstrap that did not report one, or reported something else", () => {
    expect(hostKeyFromOutput(undefined)).toBeUndefined();
    expect(hostKeyFromOutput("hetzner-k8s: node x: step finish: ready\n")).toBeUndefined();
    // A log line that merely mentions the marker does not count; neither does a key of another type.
    expect(hostKeyFromOutput(`note: hetzner-k8s-host-key: ${KEY}`)).toBeUndefined();
    expect(hostKeyFromOutput("hetzner-k8s-host-key: ssh-rsa AAAAB3NzaC1yc2E")).toBeUndefined();
    expect(hostKeyFromOutput("hetzner-k8s-host-key: ssh-ed25519 AAAA; rm -rf /")).toBeUndefined();
  });
});

describe("the cluster CA and the join tokens", () => {
  const HASH = "0123456789abcdef".repeat(4);

  it("reads the CA hash a server reported, and nothing that is not one", () => {
    expect(caHashFromOutput(`x\nhetzner-k8s-ca-hash: ${HASH}\n`)).toBe(HASH);
    expect(caHashFromOutput("hetzner-k8s-ca-hash: 0123")).toBeUndefined();
    expect(caHashFromOutput(undefined)).toBeUndefined();
  });

  it("writes k3s's secure form with a known hash, and the short form without", () => {
    expect(joinToken(HASH, "server", "pw")).toBe(`K10${HASH}::server:pw`);
    expect(joinToken(HASH, "node", "agent-pw")).toBe(`K10${HASH}::node:agent-pw`);
    expect(joinToken(undefined, "node", "agent-pw")).toBe("agent-pw");
  });
});
