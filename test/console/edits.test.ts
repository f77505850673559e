import { readFileSync, writeFileSync } from "node:fs";
import { parseStackConfig } from "../../src/config/load";
import { readStackConfig, readStackSecretKeys } from "../../src/plan/stackFile";
import { startConsoleServer, type ConsoleServer } from "../../src/console/server";
import {
  apiClient,
  DEV_DEPLOYMENT_OUTPUT,
  DEV_NODES_OUTPUT,
  type ProblemJson,
  SECURE_CIPHERTEXT,
  startTestConsole,
  tempProject,
} from "./helpers";

jest.setTimeout(120_000);

/** The console's edits through its API: each one as `pulumi up` would check it, and each one undoable. */

type Problem = ProblemJson;

interface NodeState {
  name: string;
  status: { state: string; detail: string };
  serverTypeFixed: string[];
}

interface TenantState {
  name: string;
  removal: { deployed: boolean; allowDeletion: boolean; keptNamespaces: string[]; keptKinds: string[] };
}

describe("console edits", () => {
  let project: { dir: string; stackFile: string };
  let server: ConsoleServer;
  const bodies: string[] = [];
  let call: ReturnType<typeof apiClient>;
  let startText: string;

  beforeAll(async () => {
    project = tempProject();
    startText = readFileSync(project.stackFile, "utf8");
    // The four nodes of the dev stack are deployed.
    server = await startTestConsole(project.dir, {
      nodes: DEV_NODES_OUTPUT,
      deployment: DEV_DEPLOYMENT_OUTPUT,
    });
    call = apiClient(server, bodies);
  });
  afterAll(async () => {
    await server.close();
    const everything = bodies.join("\n");
    expect(everything).not.toContain(SECURE_CIPHERTEXT);
    expect(everything).not.toContain("secure:");
  });

  const stackText = () => readFileSync(project.stackFile, "utf8");
  const parseStack = () =>
    parseStackConfig(readStackConfig(project.stackFile, project.dir), readStackSecretKeys(project.stackFile));
  const state = async () => (await call("GET", "/api/state")).json;
  const node = async (name: string) =>
    ((await state()).nodes as NodeState[]).find((entry) => entry.name === name) as NodeState;
  const controlPlane = (name: string, privateIp: string) => ({
    name,
    role: "control-plane",
    serverType: "cx23",
    privateIp,
  });

  it("grows the control plane from 3 to 5 in one edit, which two single adds cannot", async () => {
    const single = await call("POST", "/api/nodes", controlPlane("cp-4", "10.0.1.20"));
    expect(single.status).toBe(400);
    expect((single.json.problems as Problem[]).map((problem) => problem.message).join("\n")).toMatch(
      /4 control-plane node\(s\); etcd needs an odd number/,
    );
    expect(stackText()).toBe(startText);

    const both = { add: [controlPlane("cp-4", "10.0.1.20"), controlPlane("cp-5", "10.0.1.21")] };
    // A dry run says the change passes without writing it.
    const dryRun = await call("POST", "/api/nodes?dryRun=1", both);
    expect(dryRun.json.ok).toBe(true);
    expect(stackText()).toBe(startText);

    expect((await call("POST", "/api/nodes", both)).status).toBe(200);
    const nodes = parseStack().nodes.filter((entry) => entry.role === "control-plane");
    expect(nodes.map((entry) => entry.name)).toEqual(["cp-1", "cp-2", "cp-3", "cp-4", "cp-5"]);
    expect((await node("cp-4")).status.state).toBe("new");
  });

  it("maps each problem of a several-node edit to the entry it is about", async () => {
    const before = stackText();
    const result = await call("POST", "/api/nodes", {
      add: [
        { name: "worker-2", role: "worker", serverType: "cx33", privateIp: "10.0.1.22" },
        { name: "worker-3", role: "worker", serverType: "cx99", privateIp: "10.0.1.23" },
      ],
    });
    expect(result.status).toBe(400);
    expect(result.json.problems).toEqual([
      expect.objectContaining({ entry: 1, field: "serverType", message: expect.stringContaining("cx99") }),
    ]);
    expect(stackText()).toBe(before);
  });

  it("undoes the last edit byte for byte, and says when there is nothing to undo", async () => {
    const beforeEdit = stackText();
    expect((await call("PUT", "/api/nodes/worker-1", { labels: { pool: "general" } })).status).toBe(200);
    expect(stackText()).not.toBe(beforeEdit);
    const undone = await call("POST", "/api/undo", {});
    expect(undone.status).toBe(200);
    expect(stackText()).toBe(beforeEdit);
    // The control plane edit before it is next.
    expect((await call("POST", "/api/undo", {})).status).toBe(200);
    expect(stackText()).toBe(startText);
    const nothing = await call("POST", "/api/undo", {});
    expect(nothing.status).toBe(409);
    expect((nothing.json.problems as Problem[])[0].message).toContain("no edit");
    expect(((await state()).undo as { available: boolean }).available).toBe(false);
  });

  it("refuses to undo over a change made outside the console", async () => {
    expect((await call("PUT", "/api/nodes/worker-1", { labels: { pool: "general" } })).status).toBe(200);
    const outside = stackText().replace("# Workers: add more", "# Edited by hand. Workers: add more");
    writeFileSync(project.stackFile, outside);
    const undo = await call("POST", "/api/undo", {});
    expect(undo.status).toBe(409);
    expect((undo.json.problems as Problem[])[0].message).toContain("changed outside the console");
    expect(stackText()).toBe(outside);
  });

  it("discards every edit back to the committed file, and undo brings them back", async () => {
    const edited = stackText();
    expect(edited).not.toBe(startText);
    const discarded = await call("POST", "/api/discard", {});
    expect(discarded.status).toBe(200);
    expect(stackText()).toBe(startText);
    expect(
      ((discarded.json.state as Record<string, unknown>).discard as { available: boolean }).available,
    ).toBe(false);
    expect((await call("POST", "/api/undo", {})).status).toBe(200);
    expect(stackText()).toBe(edited);
    expect((await call("POST", "/api/discard", {})).status).toBe(200);
  });

  it("sets, refuses and clears a node's taints", async () => {
    const taints = [{ key: "dedicated", value: "db", effect: "NoSchedule" }];
    expect((await call("PUT", "/api/nodes/worker-1", { taints })).status).toBe(200);
    expect(parseStack().nodes.find((entry) => entry.name === "worker-1")?.taints).toEqual(taints);

    const bad = await call("PUT", "/api/nodes/worker-1", {
      taints: [{ key: "dedicated", effect: "Sometimes" }],
    });
    expect(bad.status).toBe(400);
    expect((bad.json.problems as Problem[])[0]).toMatchObject({ entry: 0, field: "taints.0.effect" });

    expect((await call("PUT", "/api/nodes/worker-1", { taints: [] })).status).toBe(200);
    expect(parseStack().nodes.find((entry) => entry.name === "worker-1")?.taints).toBeUndefined();
    expect(stackText()).toBe(startText);
  });

  it("refuses a deployed node's new server type with pulumi up's reason, and says so before", async () => {
    const worker = await node("worker-1");
    expect(worker.serverTypeFixed).toEqual([
      expect.stringMatching(/worker-1 is a cx33; Hetzner resizes a server/),
    ]);
    const refused = await call("PUT", "/api/nodes/worker-1", { serverType: "cx43" });
    expect(refused.status).toBe(400);
    expect((refused.json.problems as Problem[])[0]).toMatchObject({
      field: "serverType",
      message: worker.serverTypeFixed[0],
    });
    expect(stackText()).toBe(startText);
  });

  it("changes a new node's server type, and the plan says what pulumi up then does", async () => {
    const add = { name: "worker-2", role: "worker", serverType: "cx33", privateIp: "10.0.1.14" };
    expect((await call("POST", "/api/nodes", add)).status).toBe(200);
    expect((await node("worker-2")).serverTypeFixed).toEqual([]);
    expect((await call("PUT", "/api/nodes/worker-2", { serverType: "cx43" })).status).toBe(200);
    expect(parseStack().nodes.find((entry) => entry.name === "worker-2")?.serverType).toBe("cx43");
    const changes = (await call("GET", "/api/changes")).json;
    expect((changes.create as { name: string }[]).map((change) => change.name)).toContain("worker-2-server");
    expect(changes.summary).toMatch(/^Plan: \d+ to create/);
    expect((await call("POST", "/api/discard", {})).status).toBe(200);
  });

  it("edits a tenant's priority classes, allowed sources and deletion, and refuses an unknown class", async () => {
    const tenant = {
      name: "team-a",
      users: ["alice", "bob"],
      quota: {
        requestsCpu: "2",
        requestsMemory: "4Gi",
        limitsCpu: "4",
        limitsMemory: "8Gi",
        storage: "20Gi",
        persistentVolumeClaims: 5,
      },
      priorityClasses: ["high", "default"],
      allowFrom: ["team-b"],
      allowDeletion: true,
    };
    expect((await call("PUT", "/api/tenants/team-a", { tenant })).status).toBe(200);
    const saved = parseStack().tenants[0];
    expect(saved).toMatchObject({
      priorityClasses: ["high", "default"],
      allowFrom: ["team-b"],
      allowDeletion: true,
    });
    expect(stackText()).toContain("# Tenants share the cluster");

    const bad = await call("PUT", "/api/tenants/team-a", {
      tenant: { ...tenant, priorityClasses: ["urgent"] },
    });
    expect(bad.status).toBe(400);
    expect((bad.json.problems as Problem[])[0]).toMatchObject({ entry: 0, field: "priorityClasses.0" });
    expect((await call("POST", "/api/discard", {})).status).toBe(200);
  });

  it("removes a tenant, saying beforehand what stays in the cluster", async () => {
    const tenants = (await state()).tenants as TenantState[];
    expect(tenants.find((tenant) => tenant.name === "team-b")?.removal).toEqual({
      deployed: true,
      allowDeletion: false,
      keptNamespaces: ["team-b", "team-b-staging"],
      keptKinds: ["NetworkPolicy", "ResourceQuota", "LimitRange"],
    });
    expect((await call("DELETE", "/api/tenants/team-b?dryRun=1")).json.ok).toBe(true);
    expect((await call("DELETE", "/api/tenants/team-b")).status).toBe(200);
    expect(parseStack().tenants.map((tenant) => tenant.name)).toEqual(["team-a"]);
    expect(stackText()).toContain("# Tenants share the cluster");
    expect((await call("DELETE", "/api/tenants/team-b")).status).toBe(404);
    expect((await call("POST", "/api/discard", {})).status).toBe(200);
  });

  it("says which removals pulumi up refuses, and why, in a dry run that writes nothing", async () => {
    const refusal = async (name: string) => {
      const result = await call("DELETE", `/api/nodes/${name}?dryRun=1`);
      return result.json.ok ? [] : (result.json.problems as Problem[]).map((problem) => problem.message);
    };
    const cp = (await refusal("cp-1")).join("\n");
    expect(cp).toMatch(/cp-1 still had delete protection in the last deployment/);
    expect(cp).toMatch(/2 control-plane node\(s\)/);
    // The tenants' quota needs worker-1's share of the pool.
    expect((await refusal("worker-1")).join("\n")).toMatch(/requests.cpu: the tenants are promised/);
    expect(stackText()).toBe(startText);
    const add = { name: "worker-2", role: "worker", serverType: "cx33", privateIp: "10.0.1.14" };
    expect((await call("POST", "/api/nodes", add)).status).toBe(200);
    const added = stackText();
    expect(await refusal("worker-2")).toEqual([]);
    expect(stackText()).toBe(added);
    expect((await call("POST", "/api/discard", {})).status).toBe(200);
  });

  it("offers only the locations of the cluster's network zone and the server types sold there", async () => {
    const catalogue = (await state()).catalogue as {
      networkZone: string;
      locations: string[];
      serverTypes: { name: string; locations: string[]; prices: Record<string, string> }[];
    };
    expect(catalogue.networkZone).toBe("eu-central");
    expect(catalogue.locations).toEqual(["fsn1", "nbg1", "hel1"]);
    const names = catalogue.serverTypes.map((type) => type.name);
    expect(names).toContain("cx23");
    // cpx11 is sold only in the US now, cpx12 only in Singapore.
    expect(names).not.toContain("cpx11");
    expect(names).not.toContain("cpx12");
    expect(catalogue.serverTypes.find((type) => type.name === "ccx13")?.locations).toEqual([
      "fsn1",
      "nbg1",
      "hel1",
    ]);
    expect(catalogue.serverTypes.every((type) => Object.keys(type.prices).length === 0)).toBe(true);
  });

  it("keeps a YAML error's line breaks", async () => {
    writeFileSync(project.stackFile, `${startText}  hetzner-k8s:broken: [unclosed\n`);
    try {
      const current = await state();
      expect(current.valid).toBe(false);
      const message = (current.problems as Problem[])[0].message;
      // The line it points at, and a caret under the column, each on a line of its own.
      expect(message).toMatch(/^line \d+, column \d+: .*YAML/);
      expect(message).toContain("\n  hetzner-k8s:broken: [unclosed\n");
      expect(message).toMatch(/\n *\^$/);
      expect(message).not.toContain(project.dir);
      const refused = await call("PUT", "/api/nodes/worker-1", { labels: { pool: "general" } });
      expect(refused.status).toBe(409);
      expect((refused.json.problems as Problem[])[0].message).toContain("\n");
    } finally {
      writeFileSync(project.stackFile, startText);
    }
  });
});

describe("console catalogue outside Europe", () => {
  it("offers Ashburn's types in Ashburn only", async () => {
    const project = tempProject();
    const text = readFileSync(project.stackFile, "utf8")
      .replace("hetzner-k8s:location: fsn1", "hetzner-k8s:location: ash")
      .replace(/serverType: cx23/g, "serverType: ccx13")
      .replace(/serverType: cx33/g, "serverType: cpx31");
    writeFileSync(project.stackFile, text);
    const server = await startConsoleServer({
      stack: "dev",
      projectDir: project.dir,
      port: 0,
      kubeconfig: { kind: "none", reason: "test" },
      deployAvailability: { available: false, reason: "test" },
      stackOutputs: () => Promise.resolve({ ok: false, reason: "no Pulumi CLI in this test" }),
      priceOf: (type, location) => (type === "cpx31" && location === "ash" ? "€ 15.00/month" : undefined),
    });
    try {
      const state = (await apiClient(server)("GET", "/api/state")).json;
      expect(state.valid).toBe(true);
      const catalogue = state.catalogue as {
        locations: string[];
        serverTypes: { name: string; prices: Record<string, string> }[];
      };
      expect(catalogue.locations).toEqual(["ash"]);
      const names = catalogue.serverTypes.map((type) => type.name);
      expect(names).toContain("cpx31");
      expect(names).not.toContain("cx23");
      expect(catalogue.serverTypes.find((type) => type.name === "cpx31")?.prices).toEqual({
        ash: "€ 15.00/month",
      });
    } finally {
      await server.close();
    }
  });
});
