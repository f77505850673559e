import * as pulumi from "@pulumi/pulumi";
import { PROJECT } from "../../src/config/errors";
import { COMMAND_TYPE } from "../../src/plan/bootstrapPath";
import { startRecording, type ResourceRecord } from "../../src/plan/recorder";
import { resolveOutput } from "../../src/plan/values";
import { defineCluster } from "../../src/program";
import { editedConfig } from "../helpers/plan";

/**
 * SSH host keys, trust on first use: each node's bootstrap (the first session) reports the server's key,
 * and every later session to that server requires it. Run as a preview of a deployed stack, whose
 * bootstraps have finished and so have output.
 */

const SECRET = "4dabf18193072939515e22adb298388d";
const keyOf = (node: string) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${node.replace(/-/g, "")}`;

/** The connection a command was registered with, its secret wrapper removed. */
function connectionOf(record: ResourceRecord): Record<string, unknown> {
  const raw = record.rawInputs.connection as Record<string, unknown>;
  return (raw[SECRET] ? raw.value : raw) as Record<string, unknown>;
}

async function deployedCommands(edit?: Parameters<typeof editedConfig>[1]): Promise<ResourceRecord[]> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        if (args.type === COMMAND_TYPE && args.name.endsWith("-bootstrap")) {
          const node = args.name.slice(0, -"-bootstrap".length);
          const stdout = `hetzner-k8s: node ${node}: step finish: ready\nhetzner-k8s-host-key: ${keyOf(node)}\n`;
          return { id: args.name, state: { ...args.inputs, stdout } };
        }
        // Whatever else the program reads from a created resource: addresses, devices, generated secrets.
        const assigned = {
          ipv4Address: `ip-of-${args.name}`,
          ipv4: `ip-of-${args.name}`,
          linuxDevice: `/dev/disk/by-id/scsi-0HC_Volume_${args.name}`,
          result: "generated",
          privateKeyOpenssh: "key",
          publicKeyOpenssh: "ssh-ed25519 AAAA",
          stdout: "",
        };
        return { id: `${args.name}-id`, state: { ...assigned, ...args.inputs } };
      },
      call: (args) => args.inputs,
    },
    PROJECT,
    "dev",
    false,
  );
  const records = startRecording();
  const outputs = defineCluster(
    editedConfig("dev", edit),
    { hcloudToken: pulumi.secret("(hcloud:token)") },
    {},
  );
  for (const value of Object.values(outputs)) if (value !== undefined) await resolveOutput(value);
  await pulumi.runtime.disconnect();
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
