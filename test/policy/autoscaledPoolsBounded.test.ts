import { autoscaledPoolsBounded } from "../../policy/policies/autoscaledPoolsBounded";
import { HELM_RELEASE_TYPE } from "../../policy/policies/helmReleasesPinned";
import { runResource } from "./helpers";

const SECRETS = {
  HCLOUD_TOKEN: { name: "hcloud", key: "token" },
  HCLOUD_CLUSTER_CONFIG: { name: "cluster-autoscaler-hetzner", key: "cluster-config" },
};

function release(values: Record<string, unknown>, chart = "cluster-autoscaler") {
  return runResource(autoscaledPoolsBounded, HELM_RELEASE_TYPE, "cluster-autoscaler", {
    name: "cluster-autoscaler",
    chart,
    version: "9.59.0",
    values: { extraEnvSecrets: SECRETS, ...values },
  });
}

const group = (minSize: number, maxSize: number) => ({
  name: "prod-burst",
  minSize,
  maxSize,
  instanceType: "cpx42",
  region: "fsn1",
});

describe("autoscaled-pools-bounded", () => {
  it("accepts node groups within one placement group, credentials from Secrets", async () => {
    expect(await release({ autoscalingGroups: [group(0, 5), group(10, 10)] })).toEqual([]);
  });

  it.each([
    [3, 2],
    [0, 11],
    [-1, 2],
  ])("refuses a group with min %d and max %d", async (min, max) => {
    const violations = await release({ autoscalingGroups: [group(min, max)] });
    expect(violations.map((violation) => violation.message)).toEqual([
      `Helm release "cluster-autoscaler" gives node group "prod-burst" min ${min} and max ${max}: it must keep 0 <= min <= max <= 10 (one spread placement group per pool).`,
    ]);
  });

  it("refuses credentials in plain environment values, and credentials from no Secret", async () => {
    const violations = await release({
      autoscalingGroups: [group(0, 1)],
      extraEnv: { HCLOUD_TOKEN: "plain", HCLOUD_CLOUD_INIT: "I2Nsb3VkLWNvbmZpZw==" },
      extraEnvSecrets: { HCLOUD_TOKEN: SECRETS.HCLOUD_TOKEN },
    });
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining(
        "sets HCLOUD_TOKEN, HCLOUD_CLOUD_INIT in extraEnv, a plain value of the Deployment",
      ),
      'Helm release "cluster-autoscaler" reads no HCLOUD_CLUSTER_CONFIG from a Secret (extraEnvSecrets.HCLOUD_CLUSTER_CONFIG).',
    ]);
  });

  it("leaves other charts alone", async () => {
    expect(await release({ extraEnv: { HCLOUD_TOKEN: "x" }, extraEnvSecrets: {} }, "traefik")).toEqual([]);
  });
});
