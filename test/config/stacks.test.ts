import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { ConfigError } from "../../src/config/errors";
import { parseStackConfig } from "../../src/config/load";
import { VERSIONS } from "../../src/versions";
import { ENCRYPTED_PLACEHOLDER, readStackConfig, readStackFile } from "../../src/plan/stackFile";
import { loadStack } from "../../src/stack";
import { DEV_STACK, PROD_STACK, PROJECT_DIR, key, problemsOf } from "./fixtures";

describe("shipped stacks", () => {
  it("dev parses without problems and gets the defaults", () => {
    const config = loadStack({ raw: readStackConfig(DEV_STACK, PROJECT_DIR) }).config;
    expect(config).toMatchObject({
      clusterName: "dev",
      location: "fsn1",
      networkCidr: "10.0.0.0/16",
      nodeSubnetCidr: "10.0.1.0/24",
      podCidr: "10.42.0.0/16",
      serviceCidr: "10.43.0.0/16",
      apiExposure: "load-balancer",
      loadBalancerType: "lb11",
      ingressEnabled: true,
      serverImage: VERSIONS.serverImage,
      sshPublicKeys: [],
    });
    expect(config.nodes.map((node) => [node.name, node.role, node.privateIp])).toEqual([
      ["cp-1", "control-plane", "10.0.1.10"],
      ["cp-2", "control-plane", "10.0.1.11"],
      ["cp-3", "control-plane", "10.0.1.12"],
      ["worker-1", "worker", "10.0.1.13"],
    ]);
  });

  it("prod parses without problems and keeps its overrides", () => {
    const raw = readStackConfig(PROD_STACK, PROJECT_DIR);
    expect(problemsOf(raw)).toEqual([]);
    const config = loadStack({ raw }).config;
    expect(config).toMatchObject({
      clusterName: "prod",
      apiExposure: "firewalled",
      loadBalancerType: "lb21",
    });
    expect(config.apiAllowedSources).toEqual(["198.51.100.10/32", "198.51.100.64/27"]);
    expect(config.nodes).toHaveLength(7);
    expect(config.nodes.slice(0, 4).map((node) => node.location)).toEqual([
      undefined,
      "nbg1",
      "hel1",
      undefined,
    ]);
    expect(config.nodes[6].taints).toEqual([{ key: "dedicated", value: "databases", effect: "NoSchedule" }]);
    // The pool is there to grow into: it adds no node yet; the autoscaled one adds none of the stack's.
    expect(config.nodePools.map((pool) => [pool.name, pool.count, pool.autoscaling, pool.ipRange])).toEqual([
      ["app", 0, undefined, "10.0.1.64/27"],
      ["burst", undefined, { min: 0, max: 5 }, "10.0.2.0/24"],
    ]);
  });

  it.each([DEV_STACK, PROD_STACK])(
    "%s gives the same config with or without Pulumi.yaml defaults",
    (file) => {
      expect(parseStackConfig(readStackFile(file))).toEqual(
        parseStackConfig(readStackConfig(file, PROJECT_DIR)),
      );
    },
  );
});

describe("readStackConfig", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), "stack-config-"));
    copyFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), path.join(dir, "Pulumi.yaml"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function stack(text: string): string {
    const file = path.join(dir, "Pulumi.test.yaml");
    writeFileSync(file, text);
    return file;
  }

  it("takes Pulumi.yaml defaults and lets the stack file override them", () => {
    const raw = readStackConfig(stack("config:\n  hetzner-k8s:podCidr: 10.96.0.0/16\n"));
    expect(raw[key("podCidr")]).toBe("10.96.0.0/16");
    expect(raw[key("serviceCidr")]).toBe("10.43.0.0/16");
    expect(raw[key("clusterName")]).toBeUndefined();
  });

  it("namespaces bare keys and masks encrypted values", () => {
    const raw = readStackConfig(stack("config:\n  clusterName: x\n  hcloud:token:\n    secure: v1:abc\n"));
    expect(raw[key("clusterName")]).toBe("x");
    expect(raw["hcloud:token"]).toBe(ENCRYPTED_PLACEHOLDER);
  });

  it("refuses an empty stack file, naming it", () => {
    const file = stack("");
    expect(() => readStackConfig(file)).toThrow(
      new ConfigError([{ path: [], message: "the file is empty" }], file),
    );
  });
});
