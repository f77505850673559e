import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { startConsoleServer, type ConsoleServer } from "../../src/console/server";
import type { StackOutputsReader } from "../../src/console/knownDeployment";
import { DEV_DEPLOYMENT_OUTPUT, DEV_NODES_OUTPUT, tempProject } from "./helpers";
import { liveNode, nodeList, startKubeStandIn, STAND_IN_TOKEN, type KubeStandIn } from "./kubeStandIn";

jest.setTimeout(60_000);

/** Recorded responses of the three reads the console makes: nodes, node metrics and the tenants' resource quotas. */
const TOKEN = STAND_IN_TOKEN;

const RECORDED: Record<string, unknown> = {
  "/api/v1/nodes": {
    kind: "NodeList",
    apiVersion: "v1",
    items: [
      {
        metadata: { name: "dev-cp-1", labels: { "hetzner-k8s.io/role": "control-plane" } },
        status: {
          allocatable: { cpu: "2", memory: "3900Mi" },
          conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }],
          nodeInfo: { kubeletVersion: "v1.33.5+k3s1" },
        },
      },
      {
        metadata: { name: "dev-worker-1", labels: { "hetzner-k8s.io/role": "worker" } },
        status: {
          allocatable: { cpu: "4", memory: "7900Mi" },
          conditions: [{ type: "Ready", status: "False", reason: "KubeletNotReady" }],
          nodeInfo: { kubeletVersion: "v1.33.5+k3s1" },
        },
      },
    ],
  },
  "/apis/metrics.k8s.io/v1beta1/nodes": {
    kind: "NodeMetricsList",
    apiVersion: "metrics.k8s.io/v1beta1",
    items: [{ metadata: { name: "dev-cp-1" }, usage: { cpu: "500000000n", memory: "1950Mi" } }],
  },
  "/api/v1/resourcequotas": {
    kind: "ResourceQuotaList",
    apiVersion: "v1",
    items: [
      {
        metadata: {
          name: "tenant-quota",
          namespace: "team-a",
          labels: { "hetzner-k8s.io/tenant": "team-a" },
        },
        status: {
          hard: { "requests.cpu": "2", "requests.memory": "4Gi", pods: "50" },
          used: { "requests.cpu": "750m", "requests.memory": "1Gi", pods: "7" },
        },
      },
    ],
  },
};

describe("console live status", () => {
  let standIn: KubeStandIn;
  let apiUrl: string;

  beforeAll(async () => {
    standIn = await startKubeStandIn(RECORDED);
    apiUrl = standIn.url;
  });
  afterAll(() => standIn.close());

  const kubeconfig = (server: string) => standIn.kubeconfig(server);

  async function withConsole<T>(
    source: Parameters<typeof startConsoleServer>[0]["kubeconfig"],
    body: (server: ConsoleServer) => Promise<T>,
    stackOutputs: StackOutputsReader = () =>
      Promise.resolve({ ok: false, reason: "no Pulumi CLI in this test" }),
  ): Promise<T> {
    const server = await startConsoleServer({
      stackOutputs,
      stack: "dev",
      projectDir: tempProject().dir,
      port: 0,
      kubeconfig: source,
      livePollMs: 100,
      deployAvailability: { available: false, reason: "test" },
    });
    try {
      return await body(server);
    } finally {
      await server.close();
    }
  }

  async function liveUntil(
    server: ConsoleServer,
    done: (live: Record<string, unknown>) => boolean,
  ): Promise<{ live: Record<string, unknown>; text: string }> {
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const text = await (await fetch(`${server.url}/api/live`)).text();
      const live = JSON.parse(text) as Record<string, unknown>;
      if (done(live)) return { live, text };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("the live status never settled");
  }

  it("reports node readiness, usage and tenant quota usage from the Kubernetes API", async () => {
    await withConsole({ kind: "file", file: kubeconfig(apiUrl) }, async (server) => {
      const { live, text } = await liveUntil(server, (status) => status.connected === true);
      expect(live.nodes).toEqual([
        expect.objectContaining({
          name: "dev-cp-1",
          ready: true,
          status: "Ready",
          cpu: { usedCores: 0.5, capacityCores: 2 },
        }),
        expect.objectContaining({ name: "dev-worker-1", ready: false, status: "KubeletNotReady" }),
      ]);
      expect(live.metrics).toEqual({ available: true });
      expect(live.quotas).toEqual([
        {
          tenant: "team-a",
          namespace: "team-a",
          name: "tenant-quota",
          hard: { "requests.cpu": "2", "requests.memory": "4Gi", pods: "50" },
          used: { "requests.cpu": "750m", "requests.memory": "1Gi", pods: "7" },
        },
      ]);
      // The token stays on the server.
      expect(text).not.toContain(TOKEN);
      expect(standIn.seen).toContain("/api/v1/resourcequotas?labelSelector=hetzner-k8s.io%2Ftenant");
    });
  });

  it("lists live nodes the stack does not know, and kubelets off the deployed k3s version", async () => {
    const recorded = RECORDED["/api/v1/nodes"];
    RECORDED["/api/v1/nodes"] = nodeList([
      liveNode("dev-cp-1", "v1.35.6+k3s1"),
      liveNode("dev-cp-2", "v1.35.6+k3s1"),
      liveNode("dev-cp-3", "v1.35.6+k3s1"),
      liveNode("dev-worker-1", "v1.35.5+k3s1"),
      // Joined by hand: no entry in the stack file, none in the outputs.
      liveNode("dev-stray", "v1.35.6+k3s1"),
    ]);
    try {
      await withConsole(
        { kind: "file", file: kubeconfig(apiUrl) },
        async (server) => {
          const { live } = await liveUntil(server, (status) => status.connected === true);
          expect(live.comparison).toEqual({
            unknownNodes: [{ name: "dev-stray", status: "Ready", kubeletVersion: "v1.35.6+k3s1" }],
            expectedK3sVersion: "v1.35.6+k3s1",
            expectedFrom: "the stack's outputs (pulumi stack output)",
            versionMismatches: [{ name: "dev-worker-1", kubeletVersion: "v1.35.5+k3s1" }],
            kubeletVersions: ["v1.35.5+k3s1", "v1.35.6+k3s1"],
          });
        },
        () =>
          Promise.resolve({
            ok: true,
            outputs: { nodes: DEV_NODES_OUTPUT, deployment: DEV_DEPLOYMENT_OUTPUT },
          }),
      );
    } finally {
      RECORDED["/api/v1/nodes"] = recorded;
    }
  });

  it("reports not connected, with the reason, when there is no kubeconfig", async () => {
    await withConsole(
      { kind: "none", reason: "no kubeconfig: set KUBECONFIG or pass --kubeconfig" },
      async (server) => {
        const { live } = await liveUntil(
          server,
          (status) => status.connected === false && !String(status.reason).startsWith("checking"),
        );
        expect(live).toMatchObject({ connected: false, reason: expect.stringContaining("no kubeconfig") });
      },
    );
  });

  it("reports not connected, with the reason, when the API server is unreachable", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await withConsole({ kind: "file", file: kubeconfig(`https://127.0.0.1:${port}`) }, async (server) => {
      const { live } = await liveUntil(
        server,
        (status) => status.connected === false && !String(status.reason).startsWith("checking"),
      );
      expect(String(live.reason)).toMatch(/not reachable.*ECONNREFUSED/);
    });
  });

  it("reports not connected when the kubeconfig file is missing", async () => {
    await withConsole({ kind: "file", file: "/nonexistent/kubeconfig" }, async (server) => {
      const { live } = await liveUntil(
        server,
        (status) => status.connected === false && !String(status.reason).startsWith("checking"),
      );
      expect(String(live.reason)).toContain("cannot read the kubeconfig");
    });
  });
});
