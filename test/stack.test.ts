import { ConfigError } from "../src/config/errors";
import { deploymentOf } from "../src/config/transition";
import { buildClusterModel } from "../src/model/cluster";
import { loadStack, stackFromConfig, tryLoadStack } from "../src/stack";
import { devRaw, key, nodesOf } from "./config/fixtures";

/**
 * The one loader every entry point takes a stack through: its stages in order, each stopping the load with
 * its own problems, and the model it hands on.
 */

type Raw = Record<string, unknown>;

/** The dev stack's tenants, each promised 6 cores in each of its namespaces: more than its pool's 6.5. */
function overpromised(raw: Raw): Raw {
  const tenants = raw[key("tenants")] as { quota: Record<string, unknown> }[];
  for (const tenant of tenants) Object.assign(tenant.quota, { requestsCpu: "6", limitsCpu: "6" });
  return raw;
}

describe("the stack loader", () => {
  it("hands on the validated config and the model built from it", () => {
    const loaded = loadStack({ raw: devRaw() });
    expect(loaded.config.clusterName).toBe("dev");
    expect(loaded.model).toEqual(buildClusterModel(loaded.config));
  });

  it("stops at the config's own rules first, without judging the pool", () => {
    const raw = overpromised(devRaw());
    nodesOf(raw)[0].privateIp = "10.9.9.9";
    const result = tryLoadStack({ raw });
    expect(result).toMatchObject({ ok: false, stage: "config" });
    const messages = result.ok ? [] : result.problems.map((problem) => problem.message);
    expect(messages.some((message) => message.includes("10.9.9.9"))).toBe(true);
    expect(messages.some((message) => message.includes("the tenants are promised"))).toBe(false);
  });

  it("checks the tenants' promise against the model's pool once the config is valid", () => {
    const result = tryLoadStack({ raw: overpromised(devRaw()) });
    expect(result).toMatchObject({
      ok: false,
      stage: "pool",
      problems: [
        {
          path: ["tenants"],
          message: expect.stringMatching(
            /^requests\.cpu: the tenants are promised \d+ cores, but the pool has 6\.5 cores/,
          ),
        },
      ],
    });
    expect(() => loadStack({ raw: overpromised(devRaw()) })).toThrow(ConfigError);
  });

  it("checks the change from the last deployment last, and only with one", () => {
    const deployed = loadStack({ raw: devRaw() }).config;
    const last = deploymentOf(deployed);
    const renamed = devRaw();
    renamed[key("clusterName")] = "other";
    expect(tryLoadStack({ raw: renamed }).ok).toBe(true);
    expect(tryLoadStack({ raw: renamed }, { last })).toMatchObject({
      ok: false,
      stage: "transition",
      problems: [expect.objectContaining({ path: ["clusterName"] })],
    });
  });

  it("takes a parsed config through the same checks after parsing", () => {
    const config = loadStack({ raw: devRaw() }).config;
    expect(stackFromConfig(config).model).toEqual(buildClusterModel(config));
    const greedy = structuredClone(config);
    for (const tenant of greedy.tenants) Object.assign(tenant.quota, { requestsCpu: "6", limitsCpu: "6" });
    expect(() => stackFromConfig(greedy)).toThrow(/the tenants are promised \d+ cores/);
  });
});
