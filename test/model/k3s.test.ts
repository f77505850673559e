import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { parseK3sVersion, supportsConcurrentServerJoins } from "../../src/config/k3sRules";
import { isReservedNamespace } from "../../src/config/tenantRules";
import { SCRIPTS_DIR } from "../../src/remote/remoteScript";
import { SYSTEM_RESERVE } from "../../src/model/pool";
import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { K3S_PATHS, type K3sNodeModel } from "../../src/model/k3s";
import { addWorkers, shippedConfig } from "../helpers/plan";

function k3sNodes(edit?: (config: StackConfig) => void) {
  const config = structuredClone(shippedConfig("dev"));
  edit?.(config);
  return buildClusterModel(config).k3s;
}

function node(nodes: K3sNodeModel[], name: string): K3sNodeModel {
  const found = nodes.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no node ${name}`);
  return found;
}

describe("k3s versions", () => {
  it.each([
    // The fix for k3s issue 12794 shipped in v1.31.13, v1.32.9 and v1.33.5.
    ["v1.31.12+k3s1", false],
    ["v1.31.13+k3s1", true],
    ["v1.32.8+k3s1", false],
    ["v1.32.9+k3s1", true],
    ["v1.33.4+k3s1", false],
    ["v1.33.5+k3s1", true],
    ["v1.34.0+k3s1", true],
    ["v1.30.14+k3s1", false],
  ])("%s joins extra servers concurrently: %s", (text, expected) => {
    const version = parseK3sVersion(text);
    expect(version).toBeDefined();
    expect(supportsConcurrentServerJoins(version as NonNullable<typeof version>)).toBe(expected);
  });

  it("rejects text that is not a k3s release", () => {
    expect(parseK3sVersion("1.33.4")).toBeUndefined();
    expect(parseK3sVersion("v1.33.4-rc1+k3s1")).toBeUndefined();
  });
});

describe("k3s roles and join order", () => {
  it("initializes the cluster on the first control-plane node; the others join through the API load balancer", () => {
    const model = k3sNodes();
    expect(model.nodes.map((entry) => [entry.name, entry.role, entry.initializesCluster])).toEqual([
      ["cp-1", "server", true],
      ["cp-2", "server", false],
      ["cp-3", "server", false],
      ["worker-1", "agent", false],
    ]);
    // Only the bootstrap initializes: there is nothing to join yet.
    expect(node(model.nodes, "cp-1").bootstrapConfig["cluster-init"]).toBe(true);
    expect(node(model.nodes, "cp-1").bootstrapConfig.server).toBeUndefined();
    for (const name of ["cp-2", "cp-3", "worker-1"]) {
      expect(node(model.nodes, name).bootstrapConfig.server).toBe("https://10.0.1.2:6443");
      expect(node(model.nodes, name).bootstrapConfig["cluster-init"]).toBeUndefined();
    }
    // Every later write (the rolling reconfiguration) is the same for every server, the first included.
    for (const entry of model.nodes) {
      expect([entry.name, entry.config.server, entry.config["cluster-init"]]).toEqual([
        entry.name,
        "https://10.0.1.2:6443",
        undefined,
      ]);
    }
  });

  it("moves the drains, the taints and the kubeconfig off a dead first server when its entry moves down, restarting nothing", () => {
    const before = k3sNodes();
    const after = k3sNodes((config) => {
      const [first, ...rest] = config.nodes;
      config.nodes = [
        ...rest.filter((entry) => entry.role === "control-plane"),
        first,
        ...rest.filter((entry) => entry.role === "worker"),
      ];
    });
    expect(after.nodes.find((entry) => entry.initializesCluster)?.name).toBe("cp-2");
    expect(node(after.nodes, "worker-1").drainFrom).toBe("cp-2");
    expect(node(after.nodes, "cp-1").drainFrom).toBe("cp-2");
    for (const entry of before.nodes) {
      expect([entry.name, node(after.nodes, entry.name).config]).toEqual([entry.name, entry.config]);
    }
  });

  it("restarts no other node when the first control-plane node is removed or replaced", () => {
    const before = k3sNodes();
    const after = k3sNodes((config) => {
      config.nodes = config.nodes.filter((entry) => entry.name !== "cp-1");
      config.nodes.push({ ...config.nodes[0], name: "cp-4", privateIp: "10.0.1.20" });
    });
    expect(node(after.nodes, "cp-2").initializesCluster).toBe(true);
    for (const name of ["cp-2", "cp-3", "worker-1"]) {
      expect([name, node(after.nodes, name).config]).toEqual([name, node(before.nodes, name).config]);
    }
    // The new server joins like any other.
    expect(node(after.nodes, "cp-4").bootstrapConfig.server).toBe("https://10.0.1.2:6443");
  });

  it("joins every node as soon as the first server is up on versions with the concurrent join fix", () => {
    const model = k3sNodes((config) => addWorkers(config, 5, 14));
    expect(model.concurrentServerJoins).toBe(true);
    for (const entry of model.nodes.filter((candidate) => !candidate.initializesCluster)) {
      expect([entry.name, entry.joinsAfter]).toEqual([entry.name, ["cp-1"]]);
    }
  });

  it("joins extra servers one after another on older versions, workers still in parallel", () => {
    const model = k3sNodes((config) => {
      config.k3sVersion = "v1.32.7+k3s1";
    });
    expect(model.concurrentServerJoins).toBe(false);
    expect(node(model.nodes, "cp-2").joinsAfter).toEqual(["cp-1"]);
    expect(node(model.nodes, "cp-3").joinsAfter).toEqual(["cp-2"]);
    expect(node(model.nodes, "worker-1").joinsAfter).toEqual(["cp-1"]);
  });

  it("rolls changes one node at a time, servers before agents", () => {
    const model = k3sNodes((config) => {
      config.nodes.unshift({
        name: "early-worker",
        role: "worker",
        serverType: "cx23",
        privateIp: "10.0.1.30",
      });
    });
    const chain = model.nodes.map((entry) => [entry.name, entry.rollsAfter]);
    expect(chain).toEqual([
      ["early-worker", "cp-3"],
      ["cp-1", undefined],
      ["cp-2", "cp-1"],
      ["cp-3", "cp-2"],
      ["worker-1", "early-worker"],
    ]);
  });

  it("drains a removed node from another control-plane node", () => {
    const model = k3sNodes();
    expect(node(model.nodes, "cp-1").drainFrom).toBe("cp-2");
    expect(node(model.nodes, "cp-2").drainFrom).toBe("cp-1");
    expect(node(model.nodes, "worker-1").drainFrom).toBe("cp-1");
  });
});

describe("k3s settings", () => {
  it("reserves for the system and k3s exactly what the pool keeps back on each role", () => {
    const reserved = (text: string) => {
      const cpu = Number(/cpu=(\d+)m/.exec(text)?.[1]) / 1000;
      const memory = Number(/memory=(\d+)Mi/.exec(text)?.[1]) * 2 ** 20;
      return { cpu, memory };
    };
    for (const [name, role] of [
      ["cp-1", "control-plane"],
      ["worker-1", "worker"],
    ] as const) {
      const args = node(k3sNodes().nodes, name).config["kubelet-arg"] as string[];
      const parts = ["system-reserved=", "kube-reserved="].map((flag) =>
        reserved(args.find((arg) => arg.startsWith(flag)) ?? ""),
      );
      expect({
        cpu: parts[0].cpu + parts[1].cpu,
        memory: parts[0].memory + parts[1].memory,
      }).toEqual({ cpu: SYSTEM_RESERVE[role].cpu, memory: SYSTEM_RESERVE[role].memory });
    }
  });

  it("configures servers for the private network, external cloud provider, encryption, audit and metrics", () => {
    const { config } = node(k3sNodes().nodes, "cp-2");
    expect(config).toMatchObject({
      "node-name": "dev-cp-2",
      "node-ip": "10.0.1.11",
      "advertise-address": "10.0.1.11",
      "token-file": "/etc/rancher/k3s/token",
      "tls-san": ["10.0.1.2"],
      "cluster-cidr": "10.42.0.0/16",
      "service-cidr": "10.43.0.0/16",
      "flannel-backend": "vxlan",
      disable: ["servicelb", "local-storage", "traefik"],
      "disable-cloud-controller": true,
      "kubelet-arg": [
        "cloud-provider=external",
        "system-reserved=cpu=250m,memory=512Mi",
        "kube-reserved=cpu=750m,memory=1536Mi",
      ],
      "secrets-encryption": true,
      "etcd-expose-metrics": true,
      "kube-controller-manager-arg": ["bind-address=0.0.0.0"],
      "kube-scheduler-arg": ["bind-address=0.0.0.0"],
      "kube-proxy-arg": ["metrics-bind-address=0.0.0.0:10249"],
      "etcd-snapshot-schedule-cron": "0 */6 * * *",
      "etcd-snapshot-retention": 28,
    });
    expect(config["kube-apiserver-arg"]).toEqual(
      expect.arrayContaining([
        "authentication-config=/etc/rancher/k3s/authentication-config.yaml",
        "audit-policy-file=/etc/rancher/k3s/audit-policy.yaml",
        "audit-log-path=/var/log/kubernetes/audit/audit.log",
      ]),
    );
    // Network policies stay enforced by k3s's embedded controller.
    expect(config["disable-network-policy"]).toBeUndefined();
  });

  it.each(["v1.35.6+k3s1", "v1.33.6+k3s1"])(
    "names the Pod Security admission configuration on every server and on no agent (%s)",
    (k3sVersion) => {
      const model = k3sNodes((config) => {
        config.k3sVersion = k3sVersion;
      });
      const arg = `admission-control-config-file=${K3S_PATHS.podSecurity}`;
      for (const entry of model.nodes) {
        const apiArgs = [entry.config["kube-apiserver-arg"], entry.bootstrapConfig["kube-apiserver-arg"]];
        expect([entry.name, ...apiArgs]).toEqual(
          entry.role === "server"
            ? [entry.name, expect.arrayContaining([arg]), expect.arrayContaining([arg])]
            : [entry.name, undefined, undefined],
        );
      }
    },
  );

  it("ships a Pod Security configuration that enforces, audits and warns restricted where no label says otherwise", () => {
    const file = parse(readFileSync(path.join(SCRIPTS_DIR, "k3s-pod-security.yaml"), "utf8")) as {
      apiVersion: string;
      kind: string;
      plugins: { name: string; configuration: Record<string, unknown> }[];
    };
    expect([file.apiVersion, file.kind]).toEqual(["apiserver.config.k8s.io/v1", "AdmissionConfiguration"]);
    expect(file.plugins.map((plugin) => plugin.name)).toEqual(["PodSecurity"]);
    const { configuration } = file.plugins[0];
    expect(configuration).toMatchObject({
      apiVersion: "pod-security.admission.config.k8s.io/v1",
      kind: "PodSecurityConfiguration",
      defaults: {
        enforce: "restricted",
        "enforce-version": "latest",
        audit: "restricted",
        "audit-version": "latest",
        warn: "restricted",
        "warn-version": "latest",
      },
      // Nobody and no runtime class escapes the defaults; only named system namespaces do.
      exemptions: { usernames: [], runtimeClasses: [] },
    });
    const { namespaces } = configuration.exemptions as { namespaces: string[] };
    expect(namespaces).toContain("kube-system");
    // No tenant can ever own an exempt namespace.
    for (const namespace of namespaces)
      expect([namespace, isReservedNamespace(namespace)]).toEqual([namespace, true]);
  });

  it("keeps server-only settings off agents", () => {
    const { config } = node(k3sNodes().nodes, "worker-1");
    expect(config["secrets-encryption"]).toBeUndefined();
    expect(config["cluster-init"]).toBeUndefined();
    expect(config["node-ip"]).toBe("10.0.1.13");
  });

  it("passes labels and taints from config, and the encrypted flannel backend when asked", () => {
    const model = k3sNodes((config) => {
      config.flannelBackend = "wireguard-native";
      config.nodes[3].labels = { "node.kubernetes.io/pool": "db" };
      config.nodes[3].taints = [{ key: "dedicated", value: "db", effect: "NoSchedule" }];
    });
    const { config, registration } = node(model.nodes, "worker-1");
    // Taints at registration, so nothing lands on the node first; labels only through the NodePatch,
    // which could not remove a label that k3s's field manager co-owns from registration.
    expect(registration).toEqual({ "node-taint": ["dedicated=db:NoSchedule"] });
    expect(config["node-label"]).toBeUndefined();
    // The same taints, kept current after registration by apply-node-taints.sh.
    expect(node(model.nodes, "worker-1").taints).toEqual(["dedicated=db:NoSchedule"]);
    expect(node(model.nodes, "cp-1").taints).toEqual([]);
    expect(node(model.nodes, "cp-1").config["flannel-backend"]).toBe("wireguard-native");
  });

  it("writes each taint as key[=value]:Effect, the value left out when there is none", () => {
    const model = k3sNodes((config) => {
      config.nodes[3].taints = [
        { key: "dedicated", value: "db", effect: "NoSchedule" },
        { key: "example.com/spot", effect: "PreferNoSchedule" },
      ];
    });
    expect(node(model.nodes, "worker-1").taints).toEqual([
      "dedicated=db:NoSchedule",
      "example.com/spot:PreferNoSchedule",
    ]);
    expect(node(model.nodes, "worker-1").registration["node-taint"]).toEqual(
      node(model.nodes, "worker-1").taints,
    );
  });

  it("sends snapshots to S3-compatible storage when a bucket is configured, without credentials in the file", () => {
    const model = k3sNodes((config) => {
      config.etcdS3Bucket = "snapshots";
      config.etcdS3Endpoint = "fsn1.your-objectstorage.com";
      config.etcdS3Folder = "dev";
      config.etcdS3AccessKey = "AKIA";
      config.etcdS3SecretKey = "s3cr3t";
    });
    const { config } = node(model.nodes, "cp-1");
    expect(config).toMatchObject({
      "etcd-s3": true,
      "etcd-s3-endpoint": "fsn1.your-objectstorage.com",
      "etcd-s3-bucket": "snapshots",
      "etcd-s3-folder": "dev",
    });
    expect(JSON.stringify(config)).not.toMatch(/AKIA|s3cr3t/);
  });
});
