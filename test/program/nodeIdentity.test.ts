import { COMMAND_TYPE } from "../../src/plan/bootstrapPath";
import type { ResourceRecord } from "../../src/plan/recorder";
import { editedConfig } from "../helpers/plan";
import { recordProgram, SECRET_SIGNATURE } from "../helpers/record";

/**
 * What each node's bootstrap (the first session) reports, trust on first use: the server's SSH host key,
 * which every later session to that server requires, and on servers the cluster CA's hash, which every
 * joining node's token pins. Run as a preview of a deployed stack, whose bootstraps have finished and so
 * have output.
 */

const keyOf = (node: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${node.replace(/-/g, "")}`;
const CA_HASH = "ab".repeat(32);

function unwrap(raw: unknown): unknown {
  const value = raw as Record<string, unknown> | undefined;
  return value?.[SECRET_SIGNATURE] ? value.value : raw;
}

/** The connection a command was registered with, its secret wrapper removed. */
function connectionOf(record: ResourceRecord): Record<string, unknown> {
  return unwrap(record.rawInputs.connection) as Record<string, unknown>;
}

/** The `export NAME='value'` lines of a command's standard input, as a map. */
function stdinOf(record: ResourceRecord): Record<string, string> {
  const text = String(unwrap(record.rawInputs.stdin) ?? "");
  return Object.fromEntries([...text.matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)].map((m) => [m[1], m[2]]));
}

async function deployedCommands(reportsCaHash = true): Promise<ResourceRecord[]> {
  const records = await recordProgram(
    editedConfig("dev"),
    (args) => {
      if (args.type === COMMAND_TYPE && args.name.endsWith("-bootstrap")) {
        const node = args.name.slice(0, -"-bootstrap".length);
        const server = node.startsWith("cp-") && reportsCaHash;
        const stdout =
          `hetzner-k8s: node ${node}: step finish: ready\nhetzner-k8s-host-key: ${keyOf(node)}\n` +
          (server ? `hetzner-k8s-ca-hash: ${CA_HASH}\n` : "");
        return { id: args.name, state: { ...args.inputs, stdout } };
      }
      // Whatever else the program reads from a created resource: addresses, devices, generated secrets.
      const assigned = {
        ipv4Address: `ip-of-${args.name}`,
        ipv4: `ip-of-${args.name}`,
        linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${args.name}`,
        result: `password-of-${args.name}`,
        privateKeyOpenssh: "key",
        publicKeyOpenssh: "ssh-ed25519 AAAA",
        stdout: "",
      };
      return { id: `${args.name}-id`, state: { ...assigned, ...args.inputs } };
    },
    false,
  );
  return records.filter((record) => record.type === COMMAND_TYPE);
}

describe("SSH host keys", () => {
  let commands: ResourceRecord[];
  beforeAll(async () => {
    commands = await deployedCommands();
  });
  const named = (name: string) => {
    const found = commands.find((record) => record.name === name);
    if (!found) throw new Error(`no command ${name}`);
    return found;
  };

  it("lets only the first session, the bootstrap, accept whatever key the server shows", () => {
    for (const node of ["cp-1", "cp-2", "cp-3", "worker-1"]) {
      expect([node, connectionOf(named(`${node}-bootstrap`)).hostKey]).toEqual([node, undefined]);
    }
  });

  it("requires on every later session the key that server's bootstrap reported", () => {
    const expected: Record<string, string> = {
      // The node's own sessions.
      "cp-2-reconfigure": keyOf("cp-2"),
      "worker-1-reconfigure": keyOf("worker-1"),
      "worker-1-prepare-volume": keyOf("worker-1"),
      // Sessions on the initial server.
      kubeconfig: keyOf("cp-1"),
      "worker-1-taints": keyOf("cp-1"),
      // A drain runs on another control-plane node, with that node's key.
      "cp-1-drain": keyOf("cp-2"),
      "worker-1-drain": keyOf("cp-1"),
    };
    for (const [name, key] of Object.entries(expected)) {
      expect([name, connectionOf(named(name)).hostKey]).toEqual([name, key]);
    }
    const unpinned = commands.filter(
      (record) => !record.name.endsWith("-bootstrap") && connectionOf(record).hostKey === undefined,
    );
    expect(unpinned.map((record) => record.name)).toEqual([]);
  });
});

describe("join tokens", () => {
  const SERVER = "password-of-k3s-token";
  const AGENT = "password-of-k3s-agent-token";
  const named = (commands: ResourceRecord[], name: string) => {
    const found = commands.find((record) => record.name === name);
    if (!found) throw new Error(`no command ${name}`);
    return found;
  };

  it("starts the initial server with the short tokens (there is no CA to pin yet) and an agent token", async () => {
    const commands = await deployedCommands();
    expect(stdinOf(named(commands, "cp-1-bootstrap"))).toMatchObject({
      K3S_TOKEN: SERVER,
      K3S_AGENT_TOKEN: AGENT,
    });
  });

  it("pins the reported CA in every other token, and gives agents the agent token, never the server's", async () => {
    const commands = await deployedCommands();
    for (const name of ["cp-2-bootstrap", "cp-3-reconfigure", "cp-1-reconfigure"]) {
      expect([name, stdinOf(named(commands, name))]).toEqual([
        name,
        expect.objectContaining({ K3S_TOKEN: `K10${CA_HASH}::server:${SERVER}`, K3S_AGENT_TOKEN: AGENT }),
      ]);
    }
    for (const name of ["worker-1-bootstrap", "worker-1-reconfigure"]) {
      const stdin = stdinOf(named(commands, name));
      expect([name, stdin.K3S_TOKEN, stdin.K3S_AGENT_TOKEN]).toEqual([
        name,
        `K10${CA_HASH}::node:${AGENT}`,
        undefined,
      ]);
      expect(JSON.stringify(named(commands, name).rawInputs)).not.toContain(SERVER);
    }
  });

  it("keeps a cluster bootstrapped before agent tokens on the server token, unpinned, so nothing restarts", async () => {
    const commands = await deployedCommands(false);
    expect(stdinOf(named(commands, "cp-2-reconfigure"))).toMatchObject({ K3S_TOKEN: SERVER });
    expect(stdinOf(named(commands, "cp-2-reconfigure")).K3S_AGENT_TOKEN).toBeUndefined();
    expect(stdinOf(named(commands, "worker-1-reconfigure")).K3S_TOKEN).toBe(SERVER);
  });
});
