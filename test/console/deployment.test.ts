import { readFileSync, writeFileSync } from "node:fs";
import { ConfigError } from "../../src/config/errors";
import { parseDeploymentOutputs } from "../../src/config/lastDeployment";
import { parseStackConfig } from "../../src/config/load";
import { assertSafeTransition } from "../../src/config/transition";
import type { StackOutputsReader } from "../../src/console/knownDeployment";
import { startConsoleServer, type ConsoleServer } from "../../src/console/server";
import { readStackConfig, readStackSecretKeys } from "../../src/plan/stackFile";
import { apiClient, DEV_DEPLOYMENT_OUTPUT, DEV_NODES_OUTPUT, nodesOutput, tempProject } from "./helpers";

jest.setTimeout(120_000);

/**
 * The last deployment, as the console knows it: the stack's outputs when they can be read (the reader is
 * injected here), else the committed stack file. Edits are checked against it with the function `pulumi up`
 * runs, so the console refuses exactly what `pulumi up` refuses.
 */

interface NodeState {
  name: string;
  status: { state: string; detail: string };
}

async function withConsole<T>(
  stackOutputs: StackOutputsReader,
  body: (server: ConsoleServer, project: { dir: string; stackFile: string }, bodies: string[]) => Promise<T>,
  editStack: (text: string) => string = (text) => text,
): Promise<T> {
  const project = tempProject();
  writeFileSync(project.stackFile, editStack(readFileSync(project.stackFile, "utf8")));
  const server = await startConsoleServer({
    stack: "dev",
    projectDir: project.dir,
    port: 0,
    kubeconfig: { kind: "none", reason: "test" },
    deployAvailability: { available: false, reason: "test" },
    stackOutputs,
  });
  const bodies: string[] = [];
  try {
    return await body(server, project, bodies);
  } finally {
    await server.close();
  }
}

const outputs =
  (values: Record<string, unknown>): StackOutputsReader =>
  () =>
    Promise.resolve({ ok: true, outputs: values });
const noOutputs: StackOutputsReader = () =>
  Promise.resolve({ ok: false, reason: "the Pulumi CLI (pulumi) is not on PATH" });

/** What `pulumi up` says about the stack file against these outputs (index.ts: the same two functions). */
function pulumiUpProblems(stackFile: string, dir: string, values: Record<string, unknown>): string[] {
  const last = parseDeploymentOutputs(values.nodes, values.deployment);
  try {
    const config = parseStackConfig(
      readStackConfig(stackFile, dir),
      readStackSecretKeys(stackFile),
      last.nodes,
    );
    assertSafeTransition(last, config);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((problem) => problem.message);
    throw error;
  }
}

const WORKER_2 =
  "    - name: worker-2\n      role: worker\n      serverType: cx53\n      privateIp: 10.0.1.14\n";
/** A second worker, so that the tenants' quota still fits without worker-1. */
const withWorker2 = (text: string) =>
  text.replace("      volumeSizeGb: 20\n", `      volumeSizeGb: 20\n${WORKER_2}`);

describe("the console's last deployment", () => {
  it("reads nodes as deployed from the stack's outputs, and new ones as new", async () => {
    const values = { nodes: DEV_NODES_OUTPUT, deployment: DEV_DEPLOYMENT_OUTPUT };
    await withConsole(
      outputs(values),
      async (server) => {
        const state = (await apiClient(server)("GET", "/api/state")).json;
        expect(state.lastDeployment).toMatchObject({ source: "stack-outputs" });
        const states = (state.nodes as NodeState[]).map((node) => [node.name, node.status.state]);
        expect(states).toEqual([
          ["cp-1", "deployed"],
          ["cp-2", "deployed"],
          ["cp-3", "deployed"],
          ["worker-1", "deployed"],
          // In the file the console started from, but not in the outputs: known not to be deployed.
          ["worker-2", "committed"],
        ]);
        expect((state.nodes as NodeState[])[4].status.detail).toContain("not in the stack's outputs");
      },
      withWorker2,
    );
  });

  it("says committed, not deployed, when the outputs cannot be read", async () => {
    await withConsole(noOutputs, async (server) => {
      const call = apiClient(server);
      const state = (await call("GET", "/api/state")).json;
      expect(state.lastDeployment).toMatchObject({
        source: "committed",
        description: expect.stringContaining("not known to be deployed"),
        outputsUnavailable: "the Pulumi CLI (pulumi) is not on PATH",
      });
      expect((state.nodes as NodeState[]).every((node) => node.status.state === "committed")).toBe(true);
      const add = { name: "worker-2", role: "worker", serverType: "cx33", privateIp: "10.0.1.14" };
      const added = (await call("POST", "/api/nodes", add)).json.state as { nodes: NodeState[] };
      expect(added.nodes.find((node) => node.name === "worker-2")?.status.state).toBe("new");
    });
  });

  it("refuses removing a worker the outputs say is delete-protected, as pulumi up does, though the file says nothing", async () => {
    const values = {
      nodes: nodesOutput([
        ...DEV_NODES_OUTPUT.slice(0, 3),
        {
          name: "worker-1",
          role: "worker",
          serverType: "cx33",
          privateIp: "10.0.1.13",
          volumeSizeGb: 20,
          deleteProtection: true,
        },
        { name: "worker-2", role: "worker", serverType: "cx53", privateIp: "10.0.1.14" },
      ]),
      deployment: DEV_DEPLOYMENT_OUTPUT,
    };
    await withConsole(
      outputs(values),
      async (server, project) => {
        const call = apiClient(server);
        const before = readFileSync(project.stackFile, "utf8");
        const dryRun = await call("DELETE", "/api/nodes/worker-1?dryRun=1");
        expect(JSON.stringify(dryRun.json.problems)).toContain("worker-1 still had delete protection");

        const refused = await call("DELETE", "/api/nodes/worker-1");
        expect(refused.status).toBe(400);
        // The very messages pulumi up prints for the same file against the same outputs.
        writeFileSync(project.stackFile, before.replace(/ {4}- name: worker-1\n(?: {6}.*\n)+/, ""));
        const expected = pulumiUpProblems(project.stackFile, project.dir, values);
        writeFileSync(project.stackFile, before);
        expect(expected).toEqual([expect.stringContaining("worker-1 still had delete protection")]);
        expect((refused.json.problems as { message: string }[]).map((problem) => problem.message)).toEqual(
          expected,
        );
        expect(readFileSync(project.stackFile, "utf8")).toBe(before);
      },
      withWorker2,
    );
  });

  it("refuses the same removal against the committed file when the outputs are out of reach", async () => {
    const protect = (text: string) =>
      withWorker2(text).replace(
        "      volumeSizeGb: 20\n",
        "      volumeSizeGb: 20\n      deleteProtection: true\n",
      );
    await withConsole(
      noOutputs,
      async (server) => {
        const refused = await apiClient(server)("DELETE", "/api/nodes/worker-1");
        expect(refused.status).toBe(400);
        expect(JSON.stringify(refused.json.problems)).toContain(
          "worker-1 still had delete protection in the last deployment",
        );
      },
      protect,
    );
  });

  it("reads a committed server type Hetzner no longer sells as a running server, as plan --previous does", async () => {
    // cx22 is removed from Hetzner's API: a new server cannot have it, a running one keeps it.
    const retired = (text: string) =>
      withWorker2(text)
        .replace(
          "      serverType: cx33\n      privateIp: 10.0.1.13\n",
          "      serverType: cx22\n      privateIp: 10.0.1.13\n",
        )
        .replace("      volumeSizeGb: 20\n", "      volumeSizeGb: 20\n      deleteProtection: true\n");
    await withConsole(
      noOutputs,
      async (server) => {
        const call = apiClient(server);
        const state = (await call("GET", "/api/state")).json;
        expect(state.valid).toBe(true);
        expect((state.lastDeployment as { problems: unknown[] }).problems).toEqual([]);
        // Before, an invalid committed file meant no last deployment at all, and this removal passed.
        const refused = await call("DELETE", "/api/nodes/worker-1");
        expect(refused.status).toBe(400);
        expect(JSON.stringify(refused.json.problems)).toContain("worker-1 still had delete protection");
      },
      retired,
    );
  });

  it("lists deployed nodes the edits remove, and reads outputs again on request", async () => {
    let values: Record<string, unknown> = { nodes: DEV_NODES_OUTPUT, deployment: DEV_DEPLOYMENT_OUTPUT };
    await withConsole(
      () => Promise.resolve({ ok: true, outputs: values }),
      async (server) => {
        const call = apiClient(server);
        expect((await call("DELETE", "/api/nodes/worker-1")).status).toBe(200);
        const state = (await call("GET", "/api/state")).json;
        expect(state.leavingNodes).toEqual([expect.objectContaining({ name: "worker-1", role: "worker" })]);
        // A deployment elsewhere (a terminal's pulumi up) took worker-1 away.
        values = { nodes: DEV_NODES_OUTPUT.slice(0, 3), deployment: DEV_DEPLOYMENT_OUTPUT };
        const reread = (await call("POST", "/api/last-deployment", {})).json.state as Record<string, unknown>;
        expect(reread.leavingNodes).toEqual([]);
      },
      withWorker2,
    );
  });

  it("sends nothing of the outputs but what the page needs", async () => {
    const values = {
      nodes: DEV_NODES_OUTPUT,
      deployment: DEV_DEPLOYMENT_OUTPUT,
      kubeconfig: "[secret]",
      sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY----- stand-in",
      grafanaAdminPassword: "stand-in-password-never-sent",
    };
    await withConsole(outputs(values), async (server) => {
      const call = apiClient(server);
      const bodies = [
        JSON.stringify((await call("GET", "/api/state")).json),
        JSON.stringify((await call("GET", "/api/live")).json),
      ].join("\n");
      expect(bodies).not.toContain("PRIVATE KEY");
      expect(bodies).not.toContain("stand-in-password-never-sent");
      // Public addresses are not secret, but the console has no use for them.
      expect(bodies).not.toContain("198.51.100.10");
    });
  });
});
