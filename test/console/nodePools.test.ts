import { readFileSync, writeFileSync } from "node:fs";
import { parseStackConfig } from "../../src/config/load";
import { readStackConfig, readStackSecretKeys } from "../../src/plan/stackFile";
import type { ConsoleServer } from "../../src/console/server";
import {
  apiClient,
  DEV_DEPLOYMENT_OUTPUT,
  DEV_NODES_OUTPUT,
  nodesOutput,
  type ProblemJson,
  startTestConsole,
  tempProject,
} from "./helpers";

jest.setTimeout(120_000);

/** The console and node pools: a pool's nodes are shown and counted, changed only through the pool. */

type Problem = ProblemJson;

const POOL_YAML = `  # Application workers.
  hetzner-k8s:nodePools:
    - name: app
      count: 2
      serverType: cx33
      ipRange: 10.0.1.16/28
      deleteProtection: true
    - name: burst
      autoscaling: { min: 0, max: 3 }
      serverType: cx33
      ipRange: 10.0.2.0/28
`;

describe("console and node pools", () => {
  let project: { dir: string; stackFile: string };
  let server: ConsoleServer;
  let call: ReturnType<typeof apiClient>;

  beforeAll(async () => {
    project = tempProject();
    writeFileSync(project.stackFile, readFileSync(project.stackFile, "utf8") + POOL_YAML);
    // The dev stack's nodes and both of the pool's are deployed, the pool's with delete protection.
    const pool = ["app-1", "app-2"].map((name, index) => ({
      name,
      role: "worker" as const,
      serverType: "cx33",
      privateIp: `10.0.1.${17 + index}`,
      deleteProtection: true,
    }));
    server = await startTestConsole(project.dir, {
      nodes: [...DEV_NODES_OUTPUT, ...nodesOutput(pool).map((node) => ({ ...node, pool: "app" }))],
      deployment: DEV_DEPLOYMENT_OUTPUT,
    });
    call = apiClient(server);
  });
  afterAll(() => server.close());

  const stackText = () => readFileSync(project.stackFile, "utf8");
  const parseStack = () =>
    parseStackConfig(readStackConfig(project.stackFile, project.dir), readStackSecretKeys(project.stackFile));
  const messages = (json: Record<string, unknown>) =>
    (json.problems as Problem[]).map((problem) => problem.message).join("\n");

  it("shows the pool's nodes with their pool, the pool's range, and free addresses outside it", async () => {
    const { json } = await call("GET", "/api/state");
    const nodes = json.nodes as { name: string; pool: string | null; privateIp: string }[];
    expect(nodes.map((node) => [node.name, node.pool, node.privateIp])).toEqual([
      ["cp-1", null, "10.0.1.10"],
      ["cp-2", null, "10.0.1.11"],
      ["cp-3", null, "10.0.1.12"],
      ["worker-1", null, "10.0.1.13"],
      ["app-1", "app", "10.0.1.17"],
      ["app-2", "app", "10.0.1.18"],
    ]);
    expect(json.nodePools).toEqual([
      expect.objectContaining({
        name: "app",
        count: 2,
        ipRange: "10.0.1.16/28",
        capacity: 15,
        addresses: { first: "10.0.1.17", last: "10.0.1.18" },
        nodes: ["app-1", "app-2"],
      }),
      expect.objectContaining({
        name: "burst",
        count: 0,
        autoscaling: { min: 0, max: 3, nodeGroup: "dev-burst" },
        nodes: [],
      }),
    ]);
    expect(json.nextFreeIp).toBe("10.0.1.14");
    expect((json.freeIps as string[]).slice(0, 4)).toEqual([
      "10.0.1.14",
      "10.0.1.15",
      "10.0.1.32",
      "10.0.1.33",
    ]);
  });

  it("refuses to edit or remove one of a pool's nodes, naming the pool, and leaves the file alone", async () => {
    const before = stackText();
    for (const [method, path, body] of [
      ["PUT", "/api/nodes/app-1", { labels: { "example.com/x": "y" } }],
      ["DELETE", "/api/nodes/app-2", undefined],
      ["POST", "/api/nodes", { add: [], remove: ["app-1"] }],
    ] as const) {
      const result = await call(method, path, body);
      expect([method, path, result.status]).toEqual([method, path, 409]);
      expect(messages(result.json)).toMatch(
        /^app-[12] belongs to node pool "app", which says what all its nodes are/,
      );
      expect((result.json.problems as Problem[])[0].path).toEqual(["nodePools", 0]);
    }
    expect(stackText()).toBe(before);
  });

  it("raises a pool's count in the stack file, keeping its comment, and shows the new node as new", async () => {
    const result = await call("PUT", "/api/nodePools/app", { count: 3 });
    expect(result.status).toBe(200);
    expect(stackText()).toContain(
      "  # Application workers.\n  hetzner-k8s:nodePools:\n    - name: app\n      count: 3\n",
    );
    expect(parseStack().nodes.map((node) => node.name)).toContain("app-3");
    const nodes = (result.json.state as { nodes: { name: string; status: { state: string } }[] }).nodes;
    expect(nodes.find((node) => node.name === "app-3")?.status.state).toBe("new");
    expect((await call("PUT", "/api/nodePools/app", { count: 2 })).status).toBe(200);
  });

  it("refuses a count that drops protected nodes, does not fit the range, or is not a number", async () => {
    const before = stackText();
    const lowered = await call("PUT", "/api/nodePools/app", { count: 1 });
    expect(lowered.status).toBe(400);
    expect(lowered.json.problems).toEqual([
      expect.objectContaining({
        path: ["nodePools", 0, "deleteProtection"],
        message: expect.stringMatching(/^app-2 of pool app still had delete protection/) as string,
      }),
    ]);
    // A pool that cannot be laid out has no nodes; its deployed ones are not taken for removed.
    const tooMany = await call("PUT", "/api/nodePools/app", { count: 16 });
    expect(tooMany.status).toBe(400);
    expect((tooMany.json.problems as Problem[]).map((problem) => problem.message)).toEqual([
      expect.stringMatching(/^16 nodes do not fit ipRange 10\.0\.1\.16\/28/),
    ]);
    expect((await call("PUT", "/api/nodePools/app", { count: "3" })).status).toBe(400);
    expect((await call("PUT", "/api/nodePools/other", { count: 3 })).status).toBe(404);
    expect(stackText()).toBe(before);
  });

  it("refuses a count for an autoscaled pool, which the cluster-autoscaler sizes", async () => {
    const before = stackText();
    const result = await call("PUT", "/api/nodePools/burst", { count: 2 });
    expect(result.status).toBe(409);
    expect(result.json.problems).toEqual([
      expect.objectContaining({
        path: ["nodePools", 1, "count"],
        message: expect.stringMatching(/^an autoscaled pool has no count/) as string,
      }),
    ]);
    expect(stackText()).toBe(before);
  });
});
