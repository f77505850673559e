import * as path from "node:path";
import type { PolicyPackArgs } from "@pulumi/policy";
import { policies } from "../../policy/policies";

const POLICY_DIR = path.resolve(__dirname, "../../policy");

const NAMES = [
  "no-public-cluster-ports",
  "servers-private-and-firewalled",
  "node-pools-uniform",
  "tenant-namespaces-isolated",
  "platform-namespaces-isolated",
  "tenant-hostnames-enforced",
  "platform-priority-reserved",
  "pod-security-default",
  "secrets-stay-secret",
  "helm-releases-pinned",
  "autoscaled-pools-bounded",
];

describe("the hetzner-k8s policy pack", () => {
  it("has the eleven policies, each mandatory, kebab-case and described", () => {
    expect(policies.map((policy) => policy.name)).toEqual(NAMES);
    for (const policy of policies) {
      expect(policy.enforcementLevel).toBe("mandatory");
      expect(policy.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(policy.description.length).toBeGreaterThan(40);
    }
  });

  it("index.ts registers exactly these policies as the mandatory pack hetzner-k8s", async () => {
    // A real PolicyPack starts a gRPC server for the Pulumi engine; record what index.ts passes instead,
    // replacing @pulumi/policy as index.ts resolves it (policy/node_modules if installed, else the root's).
    const PolicyPack = jest.fn((_name: string, _args: PolicyPackArgs) => undefined);
    const sdkPath = require.resolve("@pulumi/policy", { paths: [POLICY_DIR] });
    jest.doMock(sdkPath, () => ({ ...jest.requireActual<object>(sdkPath), PolicyPack }));
    await jest.isolateModulesAsync(async () => {
      await import("../../policy/index");
    });
    jest.dontMock(sdkPath);

    expect(PolicyPack).toHaveBeenCalledTimes(1);
    const [name, args] = PolicyPack.mock.calls[0];
    expect(name).toBe("hetzner-k8s");
    expect(args.enforcementLevel).toBe("mandatory");
    expect(args.policies.map((policy) => [policy.name, policy.enforcementLevel])).toEqual(
      NAMES.map((policyName) => [policyName, "mandatory"]),
    );
  });
});
