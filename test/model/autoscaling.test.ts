import { gunzipSync } from "node:zlib";
import { parse } from "yaml";
import {
  AUTOSCALED_LABEL,
  autoscaledUserData,
  clusterConfig,
  clusterConfigDigest,
  JOIN_PATHS,
  USER_DATA_LIMIT_BYTES,
  type AutoscalingModel,
} from "../../src/model/autoscaling";
import type { StackConfig } from "../../src/config/schema";
import { buildClusterModel } from "../../src/model/cluster";
import { AUTOSCALER_RELEASE, AUTOSCALER_SECRET } from "../../src/model/platform/autoscaler";
import { buildPool } from "../../src/model/pool";
import { computeCost } from "../../src/model/cost";
import { readNodeScript } from "../../src/remote/remoteScript";
import { CHARTS } from "../../src/versions";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";
import { platformOf } from "../helpers/platformModel";

/** The prod stack's autoscaled pool (burst, 0 to 5 cpx42 in 10.0.2.0/24): its model, user data and release. */

/** As the program reads them (autoscaledJoin.ts): each with scripts/prelude.sh in front. */
const scripts = {
  prepareNode: readNodeScript("prepare-node"),
  installK3s: readNodeScript("install-k3s"),
  joinNode: readNodeScript("join-autoscaled-node"),
};
/** As long as a real one: K10, the CA's SHA-256, ::node:, 48 characters of password. */
const TOKEN = `K10${"f".repeat(64)}::node:${"p".repeat(48)}`;

const config = shippedConfig("prod");
const cluster = buildClusterModel(config);
const autoscaling: AutoscalingModel = cluster.autoscaling;
const [burst] = autoscaling.pools;

interface CloudConfig {
  write_files: { path: string; content: string; permissions: string; encoding?: string }[];
  runcmd: string[][];
}

describe("the prod stack's autoscaled pool", () => {
  it("joins as a k3s agent of the cluster with the pool's labels and taints, but no name or address yet", () => {
    expect(burst).toMatchObject({
      name: "burst",
      nodeGroup: "prod-burst",
      min: 0,
      max: 5,
      serverType: "cpx42",
    });
    expect(burst.k3sConfig).toEqual({
      server: cluster.k3s.apiPrivateUrl,
      "token-file": "/etc/rancher/k3s/token",
      "kubelet-arg": expect.arrayContaining(["cloud-provider=external"]) as unknown,
      "kube-proxy-arg": ["metrics-bind-address=0.0.0.0:10249"],
      "node-label": [
        "node.kubernetes.io/pool=burst",
        "hetzner-k8s.io/role=worker",
        "hetzner-k8s.io/pool=burst",
        `${AUTOSCALED_LABEL}=true`,
      ],
    });
    // The same kubelet reservations as every worker the program creates.
    const worker = cluster.k3s.nodes.find((node) => node.name === "worker-1");
    expect(burst.k3sConfig["kubelet-arg"]).toEqual(worker?.config["kubelet-arg"]);
  });

  it("boots user data within Hetzner's limit that writes the scripts the program runs, unchanged", () => {
    const userData = autoscaledUserData(autoscaling, burst, scripts, TOKEN);
    expect(Buffer.byteLength(userData)).toBeLessThanOrEqual(USER_DATA_LIMIT_BYTES);
    const document = parse(userData) as CloudConfig;
    const file = (name: string) => document.write_files.find((entry) => entry.path === name);
    for (const [name, text] of [
      ["prepare-node", scripts.prepareNode],
      ["install-k3s", scripts.installK3s],
      ["join-autoscaled-node", scripts.joinNode],
    ]) {
      const entry = file(`${JOIN_PATHS.scripts}/${name}.sh`);
      expect(entry).toMatchObject({ encoding: "gz+b64", permissions: "0755" });
      expect(gunzipSync(Buffer.from(entry?.content ?? "", "base64")).toString("utf8")).toBe(text);
    }
    expect(file(JOIN_PATHS.env)).toEqual({
      path: JOIN_PATHS.env,
      permissions: "0600",
      content: `K3S_VERSION=${config.k3sVersion}\nNODE_SUBNET=10.0.2.0/24\nK3S_TOKEN=${TOKEN}\n`,
    });
    expect(parse(file(JOIN_PATHS.k3sConfig)?.content ?? "")).toEqual(burst.k3sConfig);
    // The first boot every node has comes first: hardened SSH and unattended upgrades.
    expect(document.write_files[0].path).toBe("/etc/ssh/sshd_config.d/60-hetzner-k8s-hardening.conf");
    expect(document.runcmd.at(-1)).toEqual(["systemctl", "start", "--no-block", "hetzner-k8s-join.service"]);
  });

  it("refuses a token that join.env could not hold as it is", () => {
    expect(() => autoscaledUserData(autoscaling, burst, scripts, "a token with spaces")).toThrow(
      /join\.env value of K3S_TOKEN/,
    );
  });

  it("gives the cluster-autoscaler one node config per node group, with the pool's subnet and placement group", () => {
    const json = clusterConfig(autoscaling, cluster.name, (pool) => `user data of ${pool.name}`);
    expect(json).toEqual({
      imagesForArch: { amd64: config.serverImage, arm64: config.serverImage },
      nodeConfigs: {
        "prod-burst": {
          cloudInit: "user data of burst",
          labels: burst.kubernetesLabels,
          taints: [],
          placementGroup: "prod-pool-burst",
          subnetIPRange: "10.0.2.0/24",
        },
      },
    });
  });

  it("installs the cluster-autoscaler for the pool, its config in a Secret, never in the Deployment", () => {
    const platform = platformOf(config);
    const release = platform.releases.find((candidate) => candidate.name === AUTOSCALER_RELEASE);
    expect(release?.chart).toBe(CHARTS.clusterAutoscaler);
    expect(release?.values).toMatchObject({
      cloudProvider: "hetzner",
      autoscalingGroups: [
        { name: "prod-burst", minSize: 0, maxSize: 5, instanceType: "cpx42", region: "fsn1" },
      ],
      extraEnv: { HCLOUD_NETWORK: "prod", HCLOUD_FIREWALL: "prod-nodes", HCLOUD_SSH_KEY: "prod-provisioner" },
      extraEnvSecrets: {
        HCLOUD_TOKEN: { name: "hcloud", key: "token" },
        HCLOUD_CLUSTER_CONFIG: { name: AUTOSCALER_SECRET, key: "cluster-config" },
      },
      nodeSelector: { "node-role.kubernetes.io/control-plane": "true" },
    });
    expect(JSON.stringify(release?.values)).not.toContain("<config>");
    const step = platform.steps.find((candidate) => candidate.name === "autoscaler-config");
    expect(step?.manifests).toEqual([
      expect.objectContaining({ kind: "Secret", stringData: { "cluster-config": "<config>" } }),
    ]);
    expect(release?.after).toEqual(expect.arrayContaining(["autoscaler-config", "hcloud-secret"]));
  });

  it("restarts the cluster-autoscaler when its config changes: a pool's settings or a script, not otherwise", () => {
    // min and max are arguments of the Deployment, which changes by itself; the labels are in the config.
    const digest = (label: string, edited = scripts) => {
      const changed = structuredClone(config);
      const pool = changed.nodePools.find((candidate) => candidate.name === "burst");
      if (pool) pool.labels = { "node.kubernetes.io/pool": label };
      return clusterConfigDigest(buildClusterModel(changed).autoscaling, changed.clusterName, edited);
    };
    expect(digest("burst")).toMatch(/^[0-9a-f]{64}$/);
    expect(digest("burst")).toBe(digest("burst"));
    expect(digest("spare")).not.toBe(digest("burst"));
    expect(digest("burst", { ...scripts, installK3s: `${scripts.installK3s}\n# edited\n` })).not.toBe(
      digest("burst"),
    );
    const values = platformOf(config).releases.find((r) => r.name === AUTOSCALER_RELEASE)?.values as {
      podAnnotations: Record<string, string>;
    };
    expect(values.podAnnotations).toEqual({ "hetzner-k8s.io/cluster-config-sha256": "<digest>" });
  });

  it("counts at its min in the pool accounting and the cost, and shows its max", () => {
    const pool = buildPool(config);
    const atMin = buildPool({ ...config, nodePools: config.nodePools.filter((p) => !p.autoscaling) });
    expect(pool.capacity).toEqual(atMin.capacity);
    // 5 × cpx42 (8 vCPU, 16 GB) less each worker's reserve (0.5 cores, 1 GiB).
    expect((pool.allocatableAtMax?.cpu ?? 0) - pool.allocatable.cpu).toBeCloseTo(5 * 7.5);
    const withMin = structuredClone(config);
    const burstConfig = withMin.nodePools.find((p) => p.name === "burst");
    if (burstConfig?.autoscaling) burstConfig.autoscaling.min = 2;
    const cost = computeCost(withMin);
    // Two servers; the shipped prod's private nodes have no IPv4 of their own (the gateway's is counted once).
    expect(cost.items.filter((item) => item.resource.startsWith("burst (autoscaled"))).toEqual([
      expect.objectContaining({ kind: "server", product: "cpx42" }),
      expect.objectContaining({ kind: "server", product: "cpx42" }),
    ]);
    expect(computeCost(config).autoscaledMaxExtraNet).toBeGreaterThan(0);
    expect(cost.autoscaledMaxExtraNet).toBeLessThan(computeCost(config).autoscaledMaxExtraNet ?? 0);
  });

  it("renders a Secret Kubernetes accepts", () => {
    const platform = platformOf(config);
    const step = platform.steps.find((candidate) => candidate.name === "autoscaler-config");
    expect(step?.manifests).toHaveLength(1);
    for (const manifest of step?.manifests ?? []) expect(() => validateAgainstSchema(manifest)).not.toThrow();
  });
});

describe("autoscaled pools of private nodes", () => {
  // The shipped prod has private nodes; the same stack with public ones is the comparison.
  const privateConfig: StackConfig = { ...config, privateNodes: true };
  const privateCluster = buildClusterModel(privateConfig);
  const publicConfig: StackConfig = { ...config, privateNodes: false };
  const publicCluster = buildClusterModel(publicConfig);

  it("asks the cluster-autoscaler for servers without public addresses", () => {
    const release = platformOf(privateConfig).releases.find(
      (candidate) => candidate.name === AUTOSCALER_RELEASE,
    );
    expect(release?.values).toMatchObject({
      extraEnv: { HCLOUD_PUBLIC_IPV4: "false", HCLOUD_PUBLIC_IPV6: "false" },
    });
    const publicRelease = platformOf(publicConfig).releases.find(
      (candidate) => candidate.name === AUTOSCALER_RELEASE,
    );
    expect(publicRelease?.values).toMatchObject({
      extraEnv: { HCLOUD_PUBLIC_IPV4: "true", HCLOUD_PUBLIC_IPV6: "true" },
    });
  });

  it("boots their servers with the nodes' default route through the network's gateway", () => {
    const [pool] = privateCluster.autoscaling.pools;
    const userData = parse(autoscaledUserData(privateCluster.autoscaling, pool, scripts, TOKEN)) as {
      bootcmd?: string[][];
    };
    expect(userData.bootcmd?.[0]?.[2]).toContain("ip route replace default via 10.0.0.1");
    const [publicPool] = publicCluster.autoscaling.pools;
    const publicData = parse(autoscaledUserData(publicCluster.autoscaling, publicPool, scripts, TOKEN)) as {
      bootcmd?: unknown;
    };
    expect(publicData.bootcmd).toBeUndefined();
  });
});
