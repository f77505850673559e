import { readdirSync, readFileSync } from "node:fs";
import * as http from "node:http";
import { parseDocument } from "yaml";
import { parseStackConfig } from "../../src/config/load";
import { readStackConfig, readStackSecretKeys } from "../../src/plan/stackFile";
import type { ConsoleServer } from "../../src/console/server";
import { SECURE_CIPHERTEXT, startTestConsole, tempProject } from "./helpers";

jest.setTimeout(120_000);

interface Problem {
  path: (string | number)[];
  message: string;
  field?: string;
}

describe("console API", () => {
  let project: { dir: string; stackFile: string };
  let server: ConsoleServer;
  const bodies: string[] = [];

  beforeAll(async () => {
    project = tempProject();
    server = await startTestConsole(project.dir);
  });
  afterAll(async () => {
    await server.close();
    // Secrets never reach the browser: no ciphertext and no private key in anything the console answered.
    const everything = bodies.join("\n");
    expect(everything).not.toContain(SECURE_CIPHERTEXT);
    expect(everything).not.toContain("secure:");
    expect(everything).not.toMatch(/PRIVATE KEY/);
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: {
        "Content-Type": "application/json",
        ...(method === "GET" ? {} : { "X-CSRF-Token": server.csrfToken }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    bodies.push(text);
    return { status: response.status, json: JSON.parse(text) as Record<string, unknown> };
  }

  const stackText = () => readFileSync(project.stackFile, "utf8");
  const parseStack = () =>
    parseStackConfig(readStackConfig(project.stackFile, project.dir), readStackSecretKeys(project.stackFile));

  it("serves the overview data from the stack file", async () => {
    const { status, json } = await call("GET", "/api/state");
    expect(status).toBe(200);
    expect(json.valid).toBe(true);
    const nodes = json.nodes as { name: string; role: string; privateIp: string }[];
    expect(nodes.map((node) => node.name)).toEqual(["cp-1", "cp-2", "cp-3", "worker-1"]);
    expect(json.nextFreeIp).toBe("10.0.1.14");
    expect((json.tenants as { name: string }[]).map((tenant) => tenant.name)).toEqual(["team-a", "team-b"]);
    const pool = json.pool as { capacity: { cpu: number }; allocated: { cpu: number } };
    expect(pool.capacity.cpu).toBe(10);
    expect(pool.allocated.cpu).toBe(4);
    expect((json.loadBalancers as { name: string }[]).map((lb) => lb.name)).toContain("api");
  });

  it("serves the page with its CSRF token and local assets only", async () => {
    const page = await fetch(`${server.url}/`);
    const html = await page.text();
    expect(html).toContain(server.csrfToken);
    expect(html).not.toMatch(/https?:\/\//);
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    const script = await (await fetch(`${server.url}/app.js`)).text();
    expect(script).toContain("csrf-token");
  });

  it("refuses an invalid node with the problem's key path and leaves the file byte-identical", async () => {
    const before = stackText();
    const { status, json } = await call("POST", "/api/nodes", {
      name: "worker-2",
      role: "worker",
      serverType: "cx99",
      privateIp: "10.0.1.14",
    });
    expect(status).toBe(400);
    const problems = json.problems as Problem[];
    expect(problems).toEqual([
      expect.objectContaining({
        path: ["nodes", 4, "serverType"],
        field: "serverType",
        message: expect.stringContaining("cx99"),
      }),
    ]);
    expect(stackText()).toBe(before);
  });

  it("adds a node, keeping every comment and the untouched text, atomically", async () => {
    const before = stackText();
    const { status } = await call("POST", "/api/nodes", {
      name: "worker-2",
      role: "worker",
      serverType: "cx33",
      privateIp: "10.0.1.14",
      volumeSizeGb: 30,
    });
    expect(status).toBe(200);
    const after = stackText();
    expect(after).not.toBe(before);
    expect(after).toContain("# Workers: add more below, each with its own name and address.");
    expect(after).toContain("# Replace with your own addresses before going live.");
    // Every original line is still there, in order: only the new entry was inserted.
    const lines = after.split("\n");
    let at = 0;
    for (const line of before.split("\n")) {
      at = lines.indexOf(line, at);
      expect(at).toBeGreaterThanOrEqual(0);
      at += 1;
    }
    expect(after).toContain(
      "    - name: worker-2\n      role: worker\n      serverType: cx33\n      privateIp: 10.0.1.14\n      volumeSizeGb: 30\n",
    );
    expect(after).toContain(`secure: ${SECURE_CIPHERTEXT}`);
    expect(parseStack().nodes.map((node) => node.name)).toContain("worker-2");
    expect(readdirSync(project.dir).sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.yaml"]);
  });

  it("changes a node's labels", async () => {
    const { status } = await call("PUT", "/api/nodes/worker-2", { labels: { "workload-class": "batch" } });
    expect(status).toBe(200);
    expect(parseStack().nodes.find((node) => node.name === "worker-2")?.labels).toEqual({
      "workload-class": "batch",
    });
  });

  it("adds a tenant and edits it", async () => {
    const tenant = {
      name: "team-c",
      namespaces: ["team-c"],
      users: ["dave"],
      quota: { requestsCpu: "1", requestsMemory: "1Gi", limitsCpu: "2", limitsMemory: "2Gi", pods: 20 },
      podSecurity: "baseline",
    };
    expect((await call("POST", "/api/tenants", { tenant })).status).toBe(200);
    expect(parseStack().tenants.map((entry) => entry.name)).toEqual(["team-a", "team-b", "team-c"]);
    expect(stackText()).toContain("users: [dave]");

    const bad = await call("PUT", "/api/tenants/team-c", {
      tenant: { ...tenant, quota: { ...tenant.quota, pods: "many" } },
    });
    expect(bad.status).toBe(400);
    expect((bad.json.problems as Problem[])[0]).toMatchObject({
      path: ["tenants", 2, "quota", "pods"],
      field: "quota.pods",
    });

    const edited = await call("PUT", "/api/tenants/team-c", {
      tenant: { ...tenant, users: ["dave", "erin"] },
    });
    expect(edited.status).toBe(200);
    expect(parseStack().tenants[2].users).toEqual(["dave", "erin"]);
    // The other tenants' entries are untouched, comments included.
    expect(stackText()).toContain("# Tenants share the cluster");
    expect(stackText()).toContain("users: [alice, bob]");
  });

  it("refuses removing a control-plane node: delete protection first, and etcd quorum", async () => {
    const before = stackText();
    const { status, json } = await call("DELETE", "/api/nodes/cp-1");
    expect(status).toBe(400);
    const messages = (json.problems as Problem[]).map((problem) => problem.message).join("\n");
    expect(messages).toMatch(/delete protection/);
    expect(messages).toMatch(/quorum/);
    expect(stackText()).toBe(before);
  });

  it("removes a worker", async () => {
    expect((await call("DELETE", "/api/nodes/worker-2")).status).toBe(200);
    expect(parseStack().nodes.map((node) => node.name)).not.toContain("worker-2");
    expect(stackText()).toContain("# Workers: add more below");
    expect(
      (
        await call("POST", "/api/nodes", {
          name: "worker-2",
          role: "worker",
          serverType: "cx33",
          privateIp: "10.0.1.15",
        })
      ).status,
    ).toBe(200);
  });

  it("refuses writes without the CSRF token or from another origin", async () => {
    const before = stackText();
    const node = { name: "worker-3", role: "worker", serverType: "cx33", privateIp: "10.0.1.16" };
    const noToken = await fetch(`${server.url}/api/nodes`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(node),
    });
    expect(noToken.status).toBe(403);
    const wrongOrigin = await call("POST", "/api/nodes", node, { Origin: "http://evil.example" });
    expect(wrongOrigin.status).toBe(403);
    // A DNS-rebinding page would reach the console under another host name.
    const wrongHost = await new Promise<number>((resolve, reject) => {
      const url = new URL(`${server.url}/api/state`);
      http
        .get(
          { host: url.hostname, port: url.port, path: url.pathname, headers: { Host: "evil.example" } },
          (response) => {
            response.resume();
            resolve(response.statusCode ?? 0);
          },
        )
        .on("error", reject);
    });
    expect(wrongHost).toBe(403);
    expect(stackText()).toBe(before);
  });

  it("lists what the edits will do, from the stack as it was at start", async () => {
    const { status, json } = await call("GET", "/api/changes");
    expect(status).toBe(200);
    expect(json.ok).toBe(true);
    const created = (json.create as { name: string; type: string }[]).map(
      (change) => `${change.type} ${change.name}`,
    );
    expect(created).toContain("hcloud:index/server:Server worker-2-server");
    expect(created.some((name) => name.includes("team-c"))).toBe(true);
    expect(json.summary).toMatch(/^Plan: \d+ to create, \d+ to update, \d+ to replace, \d+ to delete$/);
    // The same words as plan --diff: what the new node will be.
    expect(json.notes).toContainEqual(expect.stringMatching(/^worker-2 is new: a \w+ in \w+ booting /));
    // Every edit above wrote atomically: no temp file is left behind.
    expect(readdirSync(project.dir).sort()).toEqual(["Pulumi.dev.yaml", "Pulumi.yaml"]);
    expect(parseDocument(stackText()).errors).toEqual([]);
  });

  it("reports the deploy buttons as unavailable without the Pulumi CLI", async () => {
    const { json } = await call("GET", "/api/deploy");
    expect(json).toEqual({ available: false, reason: "no Pulumi CLI in this test" });
    expect((await call("POST", "/api/deploy", { action: "up" })).status).toBe(409);
  });
});
