import { kubeconfigRenewal } from "../../src/model/kubeconfig";
import { VERSIONS } from "../../src/versions";
import { bootstrapLevels, COMMAND_TYPE, createCommands } from "../../src/plan/bootstrapPath";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { readNodeScript, SCRIPTS_DIR, shellQuote } from "../../src/remote/remoteScript";
import type { Plan, PlannedResource } from "../../src/plan/evaluate";
import { addWorkers, planStack, resourceNamed, resourcesOfType, TYPES } from "../helpers/plan";

function command(plan: Plan, name: string): PlannedResource {
  return resourceNamed(plan, COMMAND_TYPE, name);
}

describe("k3s bootstrap graph", () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await planStack("dev", (config) => addWorkers(config, 3, 14));
  });

  it("opens one SSH session per node on its own server on create; the kubeconfig and every node's taints go through the initial server", () => {
    const sessionsPerHost = new Map<string, string[]>();
    for (const resource of createCommands(plan)) {
      const hosts = resource.dependencies.filter((urn) => urn.includes("hcloud:index/server:Server"));
      expect([resource.name, hosts.length]).toEqual([resource.name, 1]);
      const host = hosts[0].split("::").at(-1) ?? "";
      sessionsPerHost.set(host, [...(sessionsPerHost.get(host) ?? []), resource.name]);
    }
    const nodes = ["cp-1", "cp-2", "cp-3", "worker-1", "extra-1", "extra-2", "extra-3"];
    expect(Object.fromEntries([...sessionsPerHost].map(([host, names]) => [host, names.sort()]))).toEqual({
      "cp-1-server": ["cp-1-bootstrap", "kubeconfig", ...nodes.map((node) => `${node}-taints`)].sort(),
      ...Object.fromEntries(
        nodes.filter((node) => node !== "cp-1").map((node) => [`${node}-server`, [`${node}-bootstrap`]]),
      ),
      // worker-1 has a volume: its own server also mounts it (and again when it grows).
      "worker-1-server": ["worker-1-bootstrap", "worker-1-prepare-volume"],
    });
  });

  it("joins every other node after the first server, and no worker after another worker", () => {
    const first = command(plan, "cp-1-bootstrap");
    const workers = ["worker-1", "extra-1", "extra-2", "extra-3"].map((name) =>
      command(plan, `${name}-bootstrap`),
    );
    for (const name of ["cp-2", "cp-3", "worker-1", "extra-1", "extra-2", "extra-3"]) {
      expect(command(plan, `${name}-bootstrap`).dependencies).toContain(first.urn);
    }
    for (const worker of workers) {
      for (const other of workers) expect(worker.dependencies).not.toContain(other.urn);
    }
  });

  it("joins through the API load balancer, after its targets and services exist", () => {
    const target = resourceNamed(plan, TYPES.loadBalancerTarget, "lb-api-targets");
    const joining = command(plan, "worker-1-bootstrap");
    // dependsOn a component reaches its children.
    expect(joining.dependencies).toEqual(
      expect.arrayContaining([expect.stringContaining("ClusterLoadBalancer")]),
    );
    expect(target.inputs.labelSelector).toBe("cluster=dev,role=control-plane");
    expect(joining.inputs.create).toContain("export K3S_CONFIG_YAML='");
    expect(joining.inputs.create).toContain("server: https://10.0.1.2:6443");
  });

  it("reaches a ready cluster in a number of sequential SSH steps that does not grow with the nodes", async () => {
    const small = bootstrapLevels(await planStack("dev"));
    const large = bootstrapLevels(
      await planStack("dev", (config) => {
        addWorkers(config, 40, 14);
        config.loadBalancerType = "lb21"; // 44 ingress targets: more than lb11 takes
      }),
    );
    // The initial server; every other node and the kubeconfig. Nodes register with their taints, so the
    // taints commands that follow are not on the path to a ready cluster.
    expect(small.map((level) => level.map((resource) => resource.name).sort())).toEqual([
      ["cp-1-bootstrap"],
      ["cp-2-bootstrap", "cp-3-bootstrap", "kubeconfig", "worker-1-bootstrap"],
    ]);
    expect(large.length).toBe(small.length);
    expect(large.map((level) => level.length)).toEqual([1, 43 + 1]);
  });

  it("joins extra servers one at a time on k3s versions without the concurrent join fix", async () => {
    const older = await planStack("dev", (config) => {
      config.k3sVersion = "v1.33.4+k3s1";
    });
    expect(command(older, "cp-3-bootstrap").dependencies).toContain(command(older, "cp-2-bootstrap").urn);
    expect(command(older, "worker-1-bootstrap").dependencies).not.toContain(
      command(older, "cp-2-bootstrap").urn,
    );
    // cp-1, then cp-2 and the workers, then cp-3.
    expect(bootstrapLevels(older).map((level) => level.map((resource) => resource.name).sort())).toEqual([
      ["cp-1-bootstrap"],
      ["cp-2-bootstrap", "kubeconfig", "worker-1-bootstrap"],
      ["cp-3-bootstrap"],
    ]);
  });

  it("keeps the token, the runtime addresses and the kubeconfig secret", () => {
    for (const resource of resourcesOfType(plan, COMMAND_TYPE).filter(
      (entry) => entry.inputs.stdin !== undefined,
    )) {
      expect(resource.secretInputs).toContain("stdin");
      expect(resource.inputs.stdin).toBe("[secret]");
    }
    const kubeconfig = command(plan, "kubeconfig");
    expect(kubeconfig.inputs.logging).toBe("stderr");
    expect(kubeconfig.options.additionalSecretOutputs).toContain("stdout");
    expect(plan.outputs.kubeconfig).toMatchObject({ secret: true, value: "[secret]" });
    expect(JSON.stringify(plan.resources)).not.toMatch(/K3S_TOKEN=/);
  });

  it("generates the cluster token with random, never in plain text", () => {
    const [token] = resourcesOfType(plan, "random:index/randomPassword:RandomPassword");
    expect(token.inputs).toMatchObject({ length: 48, special: false });
  });

  it("never re-runs a bootstrap: later changes roll through the reconfigure commands, servers first", () => {
    const bootstrap = command(plan, "cp-2-bootstrap");
    // A new SSH key changes the connection; it must not re-run the original bootstrap on every node.
    expect(bootstrap.options.ignoreChanges).toEqual(
      expect.arrayContaining(["create", "stdin", "connection"]),
    );
    const reconfigure = command(plan, "cp-2-reconfigure");
    expect(reconfigure.inputs.create).toBeUndefined();
    expect(reconfigure.inputs.update).toContain(`export K3S_VERSION='${VERSIONS.k3s}'`);
    expect(reconfigure.dependencies).toEqual(
      expect.arrayContaining([bootstrap.urn, command(plan, "cp-1-reconfigure").urn]),
    );
    expect(command(plan, "worker-1-reconfigure").dependencies).toContain(
      command(plan, "cp-3-reconfigure").urn,
    );
  });

  it("drains a removed node from another control-plane node before its server is destroyed", () => {
    const drain = command(plan, "worker-1-drain");
    const server = resourceNamed(plan, TYPES.server, "worker-1-server");
    expect(drain.inputs.create).toBeUndefined();
    expect(drain.inputs.delete).toContain("export NODE_NAME='dev-worker-1'");
    expect(drain.inputs.delete).toContain("export DRAIN_TIMEOUT='600'");
    expect(drain.dependencies).toContain(server.urn);
    expect(drain.dependencies).toContain(command(plan, "worker-1-bootstrap").urn);
    // The volume is detached only after the drain, so no pod still writes to it.
    expect(drain.dependencies).toContain(
      resourceNamed(plan, TYPES.volumeAttachment, "worker-1-volume-attachment").urn,
    );
  });

  it("skips every drain when the whole cluster goes (pulumi destroy deletes the network too)", () => {
    const [network] = resourcesOfType(plan, TYPES.network);
    const drains = plan.resources.filter((resource) => resource.name.endsWith("-drain"));
    expect(drains.map((drain) => drain.name).sort()).toEqual(
      ["cp-1", "cp-2", "cp-3", "worker-1", "extra-1", "extra-2", "extra-3"]
        .map((node) => `${node}-drain`)
        .sort(),
    );
    for (const drain of drains)
      expect([drain.name, drain.options.deletedWith]).toEqual([drain.name, network.urn]);
    // Nothing else is skipped on destroy: the other commands delete nothing, the servers must go.
    const skipped = plan.resources.filter((resource) => resource.options.deletedWith !== null);
    expect(skipped).toEqual(drains);
  });

  it.each([
    [
      "authentication config (anonymous requests only to /livez and /readyz)",
      "k3s-authentication-config.yaml",
      "K3S_AUTHENTICATION_CONFIG_YAML",
      "authentication-config=/etc/rancher/k3s/authentication-config.yaml",
    ],
    [
      "Pod Security admission configuration",
      "k3s-pod-security.yaml",
      "K3S_POD_SECURITY_YAML",
      "admission-control-config-file=/etc/rancher/k3s/pod-security.yaml",
    ],
  ])(
    "gives every server the %s its config.yaml names, in the bootstrap and every reconfiguration",
    (_, source, variable, argument) => {
      const file = readFileSync(path.join(SCRIPTS_DIR, source), "utf8");
      const scriptOf = (name: string, kind: string) =>
        String(command(plan, `${name}-${kind}`).inputs[kind === "bootstrap" ? "create" : "update"]);
      for (const name of ["cp-1", "cp-2", "cp-3"]) {
        for (const kind of ["bootstrap", "reconfigure"]) {
          const script = scriptOf(name, kind);
          expect([
            name,
            kind,
            script.includes(`export ${variable}=${shellQuote(file)}`),
            script.includes(argument),
          ]).toEqual([name, kind, true, true]);
        }
      }
      // The path config.yaml names is the one install-k3s.sh writes the variable to.
      const written = argument.slice(argument.lastIndexOf("/") + 1);
      expect(readNodeScript("install-k3s")).toMatch(
        new RegExp(`write_server_file ${written.replace(".", "\\.")} ${variable} `),
      );
      for (const name of ["worker-1", "extra-1"]) {
        for (const kind of ["bootstrap", "reconfigure"]) {
          const script = scriptOf(name, kind);
          expect([name, kind, script.includes(`export ${variable}=`), script.includes(argument)]).toEqual([
            name,
            kind,
            false,
            false,
          ]);
        }
      }
    },
  );

  it("reads the admin kubeconfig again each quarter, from the initial server", () => {
    const kubeconfig = command(plan, "kubeconfig");
    expect(kubeconfig.inputs.triggers).toEqual([kubeconfigRenewal(new Date())]);
    expect(kubeconfig.inputs.update).toBeUndefined();
  });

  it("skips the drain when drainOnRemoval is off", async () => {
    const off = await planStack("dev", (config) => {
      config.drainOnRemoval = false;
    });
    expect(command(off, "worker-1-drain").inputs.delete).not.toContain("kubectl");
  });
});

describe("node labels and taints", () => {
  let plan: Plan;
  let publicNodes: Plan;
  beforeAll(async () => {
    plan = await planStack("prod");
    publicNodes = await planStack("prod", (config) => {
      config.privateNodes = false;
    });
  });

  it("registers them with the bootstrap, keeps them out of the rolling reconfiguration, and patches only the labels", () => {
    const bootstrap = command(plan, "db-1-bootstrap");
    const reconfigure = command(plan, "db-1-reconfigure");
    expect(bootstrap.inputs.create).toContain("dedicated=databases:NoSchedule");
    expect(reconfigure.inputs.update).not.toContain("node-taint");
    const patch = resourceNamed(plan, "kubernetes:core/v1:NodePatch", "db-1");
    expect(patch.inputs).toMatchObject({
      metadata: {
        name: "prod-db-1",
        labels: expect.objectContaining({ "node.kubernetes.io/pool": "databases" }),
      },
    });
    // The taint list is one atomic field: a patch would take it over whole, so no patch sets it.
    for (const entry of resourcesOfType(plan, "kubernetes:core/v1:NodePatch"))
      expect([entry.name, entry.inputs.spec]).toEqual([entry.name, undefined]);
    expect(patch.dependencies).toContain(bootstrap.urn);
  });

  it("keeps each node's taints with apply-node-taints.sh on the initial server, once the node has joined", () => {
    const initialBootstrap = command(plan, "cp-1-bootstrap");
    const gateway = resourceNamed(plan, TYPES.server, "gateway-server");
    const nodes = resourcesOfType(plan, TYPES.server)
      .filter((server) => server.parent?.includes("infra:NodeServer"))
      .map((server) => server.name.replace(/-server$/, ""));
    expect(nodes.length).toBeGreaterThan(1);
    for (const node of nodes) {
      const taints = command(plan, `${node}-taints`);
      const bootstrap = command(plan, `${node}-bootstrap`);
      // Under the node's NodeBootstrap component, as the bootstrap is.
      expect(taints.parent).toBe(bootstrap.parent);
      expect(taints.parent).toMatch(new RegExp(`hetzner-k8s:k3s:NodeBootstrap::${node}$`));
      expect(taints.dependencies).toEqual(expect.arrayContaining([initialBootstrap.urn, bootstrap.urn]));
      // On the initial server, through the gateway to its private address (the shipped prod's private nodes;
      // test/program/privateNodes.test.ts follows the connections); with public nodes, at its public address.
      const serversOf = (entry: PlannedResource) =>
        entry.dependencies.filter((urn) => urn.includes(TYPES.server));
      expect(serversOf(taints)).toEqual([gateway.urn]);
      expect(serversOf(command(publicNodes, `${node}-taints`))).toEqual([
        resourceNamed(publicNodes, TYPES.server, "cp-1-server").urn,
      ]);
      // Create and update run the same script; a taint edit re-runs it.
      expect(taints.inputs.update).toBe(taints.inputs.create);
      expect(taints.inputs.create).toContain(`export NODE_NAME='prod-${node}'`);
      expect(taints.inputs.create).toContain("<<'__HETZNER_K8S_APPLY_NODE_TAINTS__'");
      expect(taints.inputs.create).toContain(readNodeScript("apply-node-taints"));
      expect(taints.inputs.delete).toBeUndefined();
    }
    expect(command(plan, "db-1-taints").inputs.create).toContain(
      "export NODE_TAINTS='dedicated=databases:NoSchedule'",
    );
    expect(command(plan, "cp-1-taints").inputs.create).toContain("export NODE_TAINTS=''");
  });
});

describe("changes that must not replace servers", () => {
  it("changing the k3s version or a k3s setting changes no server input", async () => {
    const before = await planStack("dev");
    const after = await planStack("dev", (config) => {
      config.k3sVersion = "v1.34.1+k3s1";
      config.flannelBackend = "wireguard-native";
    });
    const servers = (plan: Plan) => resourcesOfType(plan, TYPES.server).map((server) => server.inputs);
    expect(servers(after)).toEqual(servers(before));
    expect(command(after, "cp-1-reconfigure").inputs.update).toContain("v1.34.1+k3s1");
    expect(command(after, "cp-1-reconfigure").inputs.update).toContain("flannel-backend: wireguard-native");
  });
});

describe("volume commands and the path to a ready cluster", () => {
  it("keeps two sequential SSH steps with a volume on every node; the volume commands follow their bootstraps", async () => {
    const plan = await planStack("dev", (config) => {
      for (const node of config.nodes) node.volumeSizeGb = 30;
    });
    expect(bootstrapLevels(plan).map((level) => level.map((resource) => resource.name).sort())).toEqual([
      ["cp-1-bootstrap"],
      ["cp-2-bootstrap", "cp-3-bootstrap", "kubeconfig", "worker-1-bootstrap"],
    ]);
    for (const node of ["cp-1", "cp-2", "cp-3", "worker-1"]) {
      const prepare = command(plan, `${node}-prepare-volume`);
      // A new node's bootstrap prepares its volume itself; this command runs after it, not on the path.
      expect(createCommands(plan)).toContain(prepare);
      expect(prepare.dependencies).toContain(command(plan, `${node}-bootstrap`).urn);
    }
  });

  it("keeps two sequential SSH steps when a volume is added to an existing node", async () => {
    const plan = await planStack("dev", (config) => {
      const node = config.nodes.find((entry) => entry.name === "cp-3");
      if (node) node.volumeSizeGb = 10;
    });
    expect(bootstrapLevels(plan)).toHaveLength(2);
    expect(command(plan, "cp-3-prepare-volume").inputs.create).toBeDefined();
  });
});
