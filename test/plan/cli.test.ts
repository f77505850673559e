import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { VERSIONS } from "../../src/versions";
import { runPlan as runPlanProcess } from "../helpers/cli";
import { PROJECT_DIR } from "../helpers/plan";

const runPlan = (...args: string[]) => runPlanProcess(args);

describe("plan command", () => {
  it("prints a readable summary of the dev stack", () => {
    const { code, stdout, stderr } = runPlan("--stack", "dev");
    // The example stack's documentation range: plannable, and named as what a deployment refuses.
    expect(stderr).toBe(
      "warning: hetzner-k8s:sshAllowedSources[0]: 203.0.113.0/24 is a documentation range (RFC 5737), not a " +
        "public address anyone connects from: put the public address (or range) of your office, VPN or CI " +
        "runners here (pulumi preview and up refuse this)\n",
    );
    expect(code).toBe(0);
    expect(stdout.split("\n")[1]).toBe(
      `k3s ${VERSIONS.k3s} (Kubernetes ${/^v(1\.\d+)\./.exec(VERSIONS.k3s)?.[1]}) on every node`,
    );
    expect(stdout).toMatch(/Nodes \(4\)/);
    expect(stdout).toMatch(/cp-1\s+control-plane\s+server \(cluster-init\)\s+cx23\s+fsn1\s+10\.0\.1\.10/);
    expect(stdout).toMatch(/worker-1\s+worker\s+agent\s+cx33\s+fsn1\s+10\.0\.1\.13\s+20 GB \(retained\)/);
    // The initial server; the other nodes and the kubeconfig; then the nodes' taints, off the path.
    expect(stdout).toContain(
      "Path to a ready cluster: 2 sequential SSH step(s), whatever the number of nodes",
    );
    expect(stdout).toMatch(
      /^ {2}then, in parallel, each node's taints: cp-1-taints, cp-2-taints, cp-3-taints, worker-1-taints$/m,
    );
    expect(stdout).toContain("6443->6443/tcp to [cluster=dev,role=control-plane]");
    expect(stdout).toContain("allow in tcp/22 from 203.0.113.0/24");
    expect(stdout).toContain("Never public: etcd, kubelet");
    expect(stdout).toMatch(/hcloud:index\/server:Server\s+4/);
    expect(stdout).toMatch(/sshPrivateKey\s+\[secret\]/);
  });

  it("lists the nodes in stack-file order, each with its role and k3s role", () => {
    // Pulumi.prod.yaml lists db-1 after the workers, which a table sorted by name would put first.
    const { code, stdout } = runPlan("--stack", "prod");
    expect(code).toBe(0);
    const lines = stdout.split("\n");
    const header = lines.indexOf("Nodes (7) in stack-file order");
    expect(header).toBeGreaterThan(0);
    const rows = lines.slice(header + 2, header + 9).map((line) =>
      line
        .trim()
        .split(/\s{2,}/)
        .slice(0, 3),
    );
    expect(rows).toEqual([
      ["cp-1", "control-plane", "server (cluster-init)"],
      ["cp-2", "control-plane", "server"],
      ["cp-3", "control-plane", "server"],
      ["worker-1", "worker", "agent"],
      ["worker-2", "worker", "agent"],
      ["worker-3", "worker", "agent"],
      ["db-1", "worker", "agent"],
    ]);
  });

  it("prints exactly one JSON document with resources, dependencies and masked outputs", () => {
    const { code, stdout } = runPlan("--stack", "prod", "--json");
    expect(code).toBe(0);
    const plan = JSON.parse(stdout) as {
      stack: string;
      k3s: { version: string; kubernetesMinor: string };
      nodes: { name: string; role: string; k3sRole: string }[];
      warnings: { path: string; message: string }[];
      resources: {
        urn: string;
        type: string;
        name: string;
        parent: string | null;
        dependencies: string[];
        inputs: object;
        secretInputs: string[];
      }[];
      outputs: Record<string, { secret: boolean; value: unknown }>;
    };
    expect(plan.stack).toBe("prod");
    expect(plan.k3s).toEqual({
      version: VERSIONS.k3s,
      kubernetesMinor: expect.stringMatching(/^1\.\d+$/) as unknown,
    });
    expect(VERSIONS.k3s.startsWith(`v${plan.k3s.kubernetesMinor}.`)).toBe(true);
    expect(plan.nodes.map((node) => node.name)).toEqual([
      "cp-1",
      "cp-2",
      "cp-3",
      "worker-1",
      "worker-2",
      "worker-3",
      "db-1",
    ]);
    expect(plan.nodes[0]).toMatchObject({
      name: "cp-1",
      role: "control-plane",
      k3sRole: "server (cluster-init)",
      taints: [],
    });
    expect(plan.nodes[6]).toMatchObject({
      name: "db-1",
      role: "worker",
      k3sRole: "agent",
      labels: expect.objectContaining({ "node.kubernetes.io/pool": "databases" }),
      taints: ["dedicated=databases:NoSchedule"],
    });
    // The warnings stderr shows, as data: the example stack's documentation addresses.
    expect(plan.warnings.map((warning) => warning.path)).toEqual([
      "hetzner-k8s:sshAllowedSources[0]",
      "hetzner-k8s:apiAllowedSources[0]",
      "hetzner-k8s:apiAllowedSources[1]",
    ]);
    expect(plan.warnings[0].message).toMatch(
      /^198\.51\.100\.10\/32 is a documentation range .* \(pulumi preview and up refuse this\)$/,
    );
    const server = plan.resources.find(
      (resource) => resource.type === "hcloud:index/server:Server" && resource.name === "cp-1-server",
    );
    expect(server).toEqual(
      expect.objectContaining({
        urn: "urn:pulumi:prod::hetzner-k8s::hetzner-k8s:infra:HetznerInfrastructure$hetzner-k8s:infra:NodeServer$hcloud:index/server:Server::cp-1-server",
        parent:
          "urn:pulumi:prod::hetzner-k8s::hetzner-k8s:infra:HetznerInfrastructure$hetzner-k8s:infra:NodeServer::cp-1",
        dependencies: expect.arrayContaining([expect.stringContaining("placement-control-plane")]),
        secretInputs: [],
      }),
    );
    const urns = new Set(plan.resources.map((resource) => resource.urn));
    for (const resource of plan.resources) {
      for (const dependency of resource.dependencies) expect(urns).toContain(dependency);
    }
    // Every URN is the engine's: its type part chains the types of all the resource's ancestors.
    const byUrn = new Map(plan.resources.map((resource) => [resource.urn, resource]));
    const chain = (urn: string | null): string[] => {
      const resource = urn === null ? undefined : byUrn.get(urn);
      return resource ? [...chain(resource.parent), resource.type] : [];
    };
    for (const resource of plan.resources) {
      if (resource.parent !== null) expect(urns).toContain(resource.parent);
      expect(resource.urn).toBe(
        `urn:pulumi:prod::hetzner-k8s::${[...chain(resource.parent), resource.type].join("$")}::${resource.name}`,
      );
    }
    expect(urns).toContain(
      "urn:pulumi:prod::hetzner-k8s::hetzner-k8s:tenants:Tenants$hetzner-k8s:tenants:Tenant$kubernetes:core/v1:Namespace::payments",
    );
    expect(plan.outputs.sshPrivateKey).toEqual({ secret: true, known: false, value: "[secret]" });
  });

  it("evaluates another stack file with --config", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-config-"));
    const file = path.join(dir, "Pulumi.other.yaml");
    writeFileSync(
      file,
      readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8").replace(
        "clusterName: dev",
        "clusterName: other",
      ),
    );
    const { code, stdout } = runPlan("--stack", "other", "--config", file);
    expect(code).toBe(0);
    expect(stdout).toContain("other-api (lb11, fsn1)");
  });

  it("exits 2 with one line per problem on stderr and prints no plan for an invalid config", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-invalid-"));
    const file = path.join(dir, "Pulumi.bad.yaml");
    const text = readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")
      .replace("serverType: cx33", "serverType: cx99")
      .replace("privateIp: 10.0.1.12", "privateIp: 10.0.1.11");
    writeFileSync(file, text);
    const { code, stdout, stderr } = runPlan("--config", file);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    // A file outside the working directory is named by its absolute path.
    expect(stderr.trim().split("\n")).toEqual([
      `${file}: hetzner-k8s:nodes[3].serverType: unknown server type "cx99"`,
      `${file}: hetzner-k8s:nodes[2].privateIp: 10.0.1.11 is already taken by nodes[1] (cp-2)`,
    ]);
  });
});

describe("plan command line", () => {
  it("prints its help on --help and exits 0", () => {
    const { code, stdout, stderr } = runPlan("--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: hetzner-k8s plan \[options\]/);
    expect(stdout).toContain("--previous <file>");
    expect(stderr).toBe("");
  });

  it("names an unknown option once and exits 2", () => {
    const { code, stdout, stderr } = runPlan("--bogus");
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe("error: unknown option '--bogus'\n");
  });
});

describe("plan --previous", () => {
  it("refuses a change that would break etcd quorum, with exit code 2", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "plan-previous-"));
    const file = path.join(dir, "Pulumi.next.yaml");
    const text = readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")
      .replace("name: cp-2", "name: cp-4")
      .replace("name: cp-3", "name: cp-5");
    writeFileSync(file, text);
    const { code, stderr } = runPlan(
      "--config",
      file,
      "--previous",
      path.join(PROJECT_DIR, "Pulumi.dev.yaml"),
    );
    expect(code).toBe(2);
    expect(stderr).toContain("hetzner-k8s:nodes: removing control-plane node(s) cp-2, cp-3 at once");
  });

  it("accepts the unchanged stack and says that it checked it", () => {
    const dev = path.join(PROJECT_DIR, "Pulumi.dev.yaml");
    const { code, stderr } = runPlan("--config", dev, "--previous", dev);
    expect(code).toBe(0);
    expect(stderr).toContain(
      "checked against the last deployment Pulumi.dev.yaml: the change passes the checks of pulumi up\n",
    );
  });

  describe("a node that keeps its server of a type Hetzner no longer sells", () => {
    // Deployed when cx32 was still sold: the last deployment's servers exist, so the previous file is valid.
    const file = path.join(mkdtempSync(path.join(tmpdir(), "plan-removed-")), "Pulumi.deployed.yaml");
    writeFileSync(
      file,
      readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8").replace(
        "serverType: cx33",
        "serverType: cx32",
      ),
    );
    const notice =
      'hetzner-k8s:nodes[3].serverType: "cx32" is no longer sold: Hetzner stopped selling it after 2025-12-31 ' +
      "and removed it from its API; this node keeps its running server, but a node replacing it must use " +
      '"cx33" (4 vCPU, 8 GB RAM, 80 GB disk)';

    it("is planned with a warning on stderr that names the successor, not a refusal", () => {
      const { code, stdout, stderr } = runPlan("--config", file, "--previous", file);
      expect(code).toBe(0);
      expect(stdout).toMatch(/worker-1\s+worker\s+agent\s+cx32\s/);
      const warnings = stderr
        .trim()
        .split("\n")
        .filter((line) => line.startsWith("warning: "));
      expect(warnings).toHaveLength(2);
      expect(warnings[0]).toMatch(/^warning: hetzner-k8s:sshAllowedSources\[0\]: .* refuse this\)$/);
      expect(warnings[1]).toBe(`warning: ${notice}`);
    });

    it("carries the warning in --json, with stdout one JSON document", () => {
      const { code, stdout } = runPlan("--config", file, "--previous", file, "--json");
      expect(code).toBe(0);
      const plan = JSON.parse(stdout) as { warnings: { path: string; message: string }[] };
      const colon = notice.indexOf(": ");
      expect(plan.warnings[1]).toEqual({ path: notice.slice(0, colon), message: notice.slice(colon + 2) });
    });

    it("is refused without the last deployment: a new server of the type cannot be ordered", () => {
      const { code, stderr } = runPlan("--config", file);
      expect(code).toBe(2);
      expect(stderr).toContain('hetzner-k8s:nodes[3].serverType: "cx32" is no longer sold');
    });
  });
});

describe("plan --diff", () => {
  const dev = path.join(PROJECT_DIR, "Pulumi.dev.yaml");

  function editedDev(edit: (text: string) => string): string {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "plan-diff-")), "Pulumi.edited.yaml");
    writeFileSync(file, edit(readFileSync(dev, "utf8")));
    return file;
  }

  it("lists what changes between the stack file and an edited one, with a summary line", () => {
    const edited = editedDev((text) => text.replace('requestsCpu: "2"', 'requestsCpu: "3"'));
    const { code, stdout } = runPlan("--stack", "dev", "--diff", edited);
    expect(code).toBe(0);
    expect(stdout).toContain(
      "~ update  kubernetes:core/v1:ResourceQuota  team-a/tenant-quota  (spec.hard.requests.cpu)\n" +
        '        spec.hard.requests.cpu: "2" → "3"\n',
    );
    expect(stdout.trim().split("\n").at(-1)).toBe(
      "Plan: 0 to create, 1 to update, 0 to replace, 0 to delete",
    );
  });

  it("prints the diff as JSON", () => {
    const edited = editedDev((text) => text.replace('requestsCpu: "2"', 'requestsCpu: "3"'));
    const { code, stdout } = runPlan("--stack", "dev", "--diff", edited, "--json");
    expect(code).toBe(0);
    const diff = JSON.parse(stdout) as {
      update: { name: string; paths: string[]; values: unknown[] }[];
      summary: string;
      warnings: { path: string; message: string }[];
    };
    expect(diff.update).toEqual([
      expect.objectContaining({
        name: "team-a/tenant-quota",
        paths: ["spec.hard.requests.cpu"],
        values: [{ path: "spec.hard.requests.cpu", before: "2", after: "3" }],
      }),
    ]);
    expect(diff.summary).toBe("Plan: 0 to create, 1 to update, 0 to replace, 0 to delete");
    expect(diff.warnings).toEqual([
      {
        path: "hetzner-k8s:sshAllowedSources[0]",
        message: expect.stringContaining("203.0.113.0/24") as unknown,
      },
    ]);
  });

  it.each([
    [
      "serverType: cx33",
      "serverType: cx43",
      "hetzner-k8s:nodes[3].serverType: worker-1 is a cx33; Hetzner resizes",
    ],
    [
      "privateIp: 10.0.1.13",
      "privateIp: 10.0.1.14",
      "hetzner-k8s:nodes[3].privateIp: worker-1 was created with 10.0.1.13",
    ],
    ["clusterName: dev", "clusterName: dev2", "hetzner-k8s:clusterName: was dev in the last deployment"],
  ])("refuses a diff that a running cluster cannot take: %s to %s", (from, to, message) => {
    const { code, stderr } = runPlan(
      "--stack",
      "dev",
      "--diff",
      editedDev((text) => text.replace(from, to)),
    );
    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });

  it("refuses a diff that would break etcd quorum", () => {
    const edited = editedDev((text) =>
      text.replace("name: cp-2", "name: cp-4").replace("name: cp-3", "name: cp-5"),
    );
    const { code, stderr } = runPlan("--stack", "dev", "--diff", edited);
    expect(code).toBe(2);
    expect(stderr).toContain("etcd needs 2 to keep quorum");
  });
});

describe("the hetzner-k8s command (package.json bin)", () => {
  /** Runs `npx hetzner-k8s ...` in the project directory, as a user does after `npm ci`. */
  function npx(...args: string[]) {
    const result = spawnSync("npx", ["--offline", "hetzner-k8s", ...args], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
      maxBuffer: 64 * 2 ** 20,
    });
    return { code: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  it("is the package's bin, executable as npm links it", () => {
    const manifest = JSON.parse(readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    };
    const launcher = path.join(PROJECT_DIR, manifest.bin["hetzner-k8s"]);
    // npx runs the file itself: without the executable bit the shell refuses it.
    expect(statSync(launcher).mode & 0o111).toBe(0o111);
  });

  it("lists its commands on --help and exits 0", () => {
    const { code, stdout, stderr } = npx("--help");
    expect(stderr).toBe("");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: hetzner-k8s <command> \[options\]/);
    expect(stdout).toMatch(/^ {2}plan {5}\S/m);
    expect(stdout).toMatch(/^ {2}console {2}\S/m);
  });

  it("runs the plan", () => {
    const { code, stdout } = npx("plan", "--stack", "dev");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Plan for stack "dev"/);
  });

  it("hands the command's options to the command, help included", () => {
    const { code, stdout } = npx("plan", "--help");
    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: hetzner-k8s plan \[options\]/);
    const console = npx("console", "--help");
    expect(console.code).toBe(0);
    expect(console.stdout).toMatch(/^Usage: console \[options\]/);
  });

  it("exits 2 on an unknown command, suggesting the nearest", () => {
    expect(npx("pln")).toEqual({
      code: 2,
      stdout: "",
      stderr: `error: unknown command 'pln' (did you mean "plan"?)\n`,
    });
    expect(npx("deploy")).toEqual({
      code: 2,
      stdout: "",
      stderr: "error: unknown command 'deploy' (the commands are plan, console)\n",
    });
  });

  it("exits 2 without a command, with the usage on stderr", () => {
    const { code, stdout, stderr } = npx();
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toMatch(/^error: missing command\n\nUsage: hetzner-k8s <command>/);
  });
});
