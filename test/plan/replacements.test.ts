import * as fs from "node:fs";
import * as path from "node:path";
import type { Plan } from "../../src/plan/evaluate";
import {
  KUBERNETES_IDENTITY,
  KUBERNETES_KINDS_WITH_OWN_RULES,
  REPLACED_ON,
  REPLACEMENT_RULES,
  replacedOn,
  replacementRule,
  type RuleSource,
} from "../../src/plan/replacements";
import { PROJECT_DIR, planStack } from "../helpers/plan";

/** What was read in each provider's source, one fixture per provider (see its `wraps` and `notes`). */
interface ProviderFixture {
  package: string;
  version: string;
  wraps: { repo: string; ref: string; evidence: string };
  identity?: { replacedOn: string[]; source: RuleSource };
  kindsWithOwnRules?: string[];
  resources: Record<string, { replacedOn: string[]; source: RuleSource; notes: string[] }>;
}

const FIXTURE_DIR = path.join(PROJECT_DIR, "test/fixtures/provider-replacements");
const fixtures: ProviderFixture[] = fs
  .readdirSync(FIXTURE_DIR)
  .filter((file) => file.endsWith(".json"))
  .sort()
  .map((file) => JSON.parse(fs.readFileSync(path.join(FIXTURE_DIR, file), "utf8")) as ProviderFixture);
const fixtureOf = (pkg: string): ProviderFixture => {
  const found = fixtures.find((fixture) => fixture.package === pkg);
  if (!found) throw new Error(`no fixture for ${pkg}`);
  return found;
};

/** As the plan's diff reads a rule: a path is forced when it is a listed path or lies below one. */
function forces(type: string, inputPath: string): boolean {
  return replacedOn(type).some(
    (prefix) =>
      inputPath === prefix || inputPath.startsWith(`${prefix}.`) || inputPath.startsWith(`${prefix}[`),
  );
}

const COMPONENT = /^hetzner-k8s:/;

describe("every resource type the program declares has a rule", () => {
  const plans: Partial<Record<"dev" | "prod", Plan>> = {};
  beforeAll(async () => {
    plans.dev = await planStack("dev");
    plans.prod = await planStack("prod");
  });
  const typesOf = (stack: "dev" | "prod"): string[] => {
    const plan = plans[stack];
    if (!plan) throw new Error(`no ${stack} plan`);
    return [...new Set(plan.resources.map((resource) => resource.type))].sort();
  };

  it.each(["dev", "prod"] as const)(
    "in the %s stack, so that no type silently defaults to an update",
    (stack) => {
      const types = typesOf(stack);
      expect(types.length).toBeGreaterThan(20);
      expect(types.filter((type) => !replacementRule(type))).toEqual([]);
      // Every type a provider diffs is listed by name, not derived from a prefix.
      expect(types.filter((type) => !COMPONENT.test(type) && !(type in REPLACEMENT_RULES))).toEqual([]);
    },
  );

  it.each(["dev", "prod"] as const)(
    "in the %s stack, the program's own components have no inputs to replace on",
    (stack) => {
      const plan = plans[stack];
      const components = (plan?.resources ?? []).filter((resource) => COMPONENT.test(resource.type));
      expect(components.length).toBeGreaterThan(0);
      for (const component of components) {
        expect(component.inputs).toEqual({});
        expect(replacedOn(component.type)).toEqual([]);
      }
    },
  );

  it("and a type nobody has read the provider for has none", () => {
    expect(replacementRule("hcloud:index/floatingIp:FloatingIp")).toBeUndefined();
    // pulumi-kubernetes has fields of its own for these kinds, so the identity alone would be wrong.
    expect(replacementRule("kubernetes:apps/v1:StatefulSet")).toBeUndefined();
    expect(replacementRule("kubernetes:batch/v1:Job")).toBeUndefined();
    // A kind with no entry in the provider's table replaces on its identity only.
    expect(replacementRule("kubernetes:policy/v1:PodDisruptionBudget")?.paths).toEqual(KUBERNETES_IDENTITY);
    expect(replacementRule("kubernetes:core/v1:ConfigMapPatch")?.paths).toEqual(KUBERNETES_IDENTITY);
  });
});

describe("the table is the one recorded from the providers' sources", () => {
  const dependencies = (
    JSON.parse(fs.readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as {
      dependencies: Record<string, string>;
    }
  ).dependencies;

  it.each(fixtures.map((fixture) => [fixture.package, fixture] as const))(
    "%s: the fixture was read for the version package.json pins",
    (pkg, fixture) => {
      expect(dependencies[pkg]).toBe(fixture.version);
    },
  );

  it("every rule matches its fixture, paths and source", () => {
    const recorded = Object.fromEntries(fixtures.flatMap((fixture) => Object.entries(fixture.resources)));
    expect(Object.keys(REPLACEMENT_RULES).sort()).toEqual(Object.keys(recorded).sort());
    for (const [type, entry] of Object.entries(recorded)) {
      expect([type, replacedOn(type).sort()]).toEqual([type, [...entry.replacedOn].sort()]);
      expect([type, REPLACEMENT_RULES[type].source]).toEqual([type, entry.source]);
      expect([type, entry.notes.length]).not.toEqual([type, 0]);
    }
    expect(REPLACED_ON["hcloud:index/server:Server"]).toEqual(replacedOn("hcloud:index/server:Server"));
  });

  it("the Kubernetes identity and the kinds with rules of their own match the fixture", () => {
    const kubernetes = fixtureOf("@pulumi/kubernetes");
    expect(KUBERNETES_IDENTITY).toEqual(kubernetes.identity?.replacedOn);
    expect(KUBERNETES_KINDS_WITH_OWN_RULES).toEqual(kubernetes.kindsWithOwnRules);
  });
});

/** The input names of a resource's Args interface in the installed SDK that declares its type token. */
function sdkInputs(pkg: string, type: string): string[] {
  const root = path.dirname(require.resolve(`${pkg}/package.json`));
  const name = type.split(":")[2];
  const declaring = (dir: string): string | undefined => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory() && entry.name !== "node_modules" && entry.name !== "types") {
        const found = declaring(file);
        if (found) return found;
      } else if (entry.name.endsWith(".js") && fs.readFileSync(file, "utf8").includes(`'${type}'`)) {
        return file;
      }
    }
    return undefined;
  };
  const js = declaring(root);
  if (!js) throw new Error(`${pkg} declares no ${type}`);
  const dts = fs.readFileSync(js.replace(/\.js$/, ".d.ts"), "utf8");
  const body = new RegExp(`export interface ${name}Args \\{([\\s\\S]*?)\\n\\}`).exec(dts)?.[1] ?? "";
  return [...body.matchAll(/^ {4}(\w+)\??:/gm)].map((match) => match[1]);
}

describe("the paths are inputs the installed SDKs have", () => {
  const bridged = fixtures.filter((fixture) => fixture.package !== "@pulumi/kubernetes");
  const cases = bridged.flatMap((fixture) =>
    Object.keys(fixture.resources).map((type) => [type, fixture.package] as const),
  );

  it.each(cases)("%s", (type, pkg) => {
    const inputs = sdkInputs(pkg, type);
    expect(inputs.length).toBeGreaterThan(0);
    const roots = replacedOn(type).map((entry) => entry.split(/[.[]/)[0]);
    expect(roots.filter((root) => !inputs.includes(root))).toEqual([]);
  });
});

describe("what the providers replace on", () => {
  const server = "hcloud:index/server:Server";
  const service = "hcloud:index/loadBalancerService:LoadBalancerService";

  it("a server's private network and IP are updated in place, its location and image replace it", () => {
    expect(forces(server, "networks")).toBe(false);
    expect(forces(server, "networks[0].ip")).toBe(false);
    expect(forces(server, "networks[0].aliasIps[0]")).toBe(false);
    expect(forces(server, "datacenter")).toBe(false);
    expect(forces(server, "serverType")).toBe(false);
    expect(forces(server, "placementGroupId")).toBe(false);
    for (const input of ["location", "image", "userData", "sshKeys[0]"])
      expect(forces(server, input)).toBe(true);
  });

  it("a load balancer service's protocol replaces it, its health check's protocol does not", () => {
    expect(forces(service, "protocol")).toBe(true);
    expect(forces(service, "listenPort")).toBe(true);
    expect(forces(service, "healthCheck.protocol")).toBe(false);
    expect(forces(service, "destinationPort")).toBe(false);
  });

  it("other Hetzner facts that differ from a guess", () => {
    expect(forces("hcloud:index/volume:Volume", "format")).toBe(false);
    expect(forces("hcloud:index/volume:Volume", "size")).toBe(false);
    expect(forces("hcloud:index/loadBalancerTarget:LoadBalancerTarget", "type")).toBe(false);
    expect(forces("hcloud:index/loadBalancerTarget:LoadBalancerTarget", "labelSelector")).toBe(true);
    expect(forces("hcloud:index/loadBalancerTarget:LoadBalancerTarget", "usePrivateIp")).toBe(false);
    expect(replacedOn("hcloud:index/placementGroup:PlacementGroup")).toEqual([]);
    expect(replacedOn("hcloud:index/firewall:Firewall")).toEqual([]);
    expect(forces("hcloud:index/networkSubnet:NetworkSubnet", "vswitchId")).toBe(true);
  });

  it("every input of a random password and of a TLS key replaces it", () => {
    const password = "random:index/randomPassword:RandomPassword";
    expect(replacedOn(password).sort()).toEqual(sdkInputs("@pulumi/random", password).sort());
    const key = "tls:index/privateKey:PrivateKey";
    expect(replacedOn(key).sort()).toEqual(sdkInputs("@pulumi/tls", key).sort());
  });

  it("a remote command replaces on its triggers only", () => {
    expect(forces("command:remote:Command", "triggers[0]")).toBe(true);
    expect(forces("command:remote:Command", "create")).toBe(false);
    expect(forces("command:remote:Command", "connection.host")).toBe(false);
  });

  it("a Kubernetes object replaces on its name and namespace, plus the fields pulumi-kubernetes lists for its kind", () => {
    expect(replacedOn("kubernetes:scheduling.k8s.io/v1:PriorityClass")).toEqual(KUBERNETES_IDENTITY);
    expect(replacedOn("kubernetes:core/v1:NodePatch")).toEqual(KUBERNETES_IDENTITY);
    expect(forces("kubernetes:core/v1:Namespace", "apiVersion")).toBe(false);
    expect(forces("kubernetes:apps/v1:Deployment", "spec.selector.matchLabels.app")).toBe(true);
    expect(forces("kubernetes:apps/v1:Deployment", "spec.template.spec.containers[0].image")).toBe(false);
    expect(forces("kubernetes:core/v1:ConfigMap", "data.config.json")).toBe(true);
    expect(forces("kubernetes:core/v1:Secret", "type")).toBe(true);
    expect(forces("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "roleRef.name")).toBe(true);
    expect(forces("kubernetes:rbac.authorization.k8s.io/v1:RoleBinding", "subjects[0].name")).toBe(false);
    expect(forces("kubernetes:storage.k8s.io/v1:StorageClass", "provisioner")).toBe(true);
    expect(forces("kubernetes:core/v1:ResourceQuota", "spec.scopes[0]")).toBe(true);
    expect(forces("kubernetes:core/v1:ResourceQuota", "spec.hard.pods")).toBe(false);
  });

  it("a Helm release replaces on its name and namespace, the Kubernetes provider on its cluster identifier", () => {
    expect(replacedOn("kubernetes:helm.sh/v3:Release")).toEqual(["name", "namespace"]);
    expect(forces("kubernetes:helm.sh/v3:Release", "version")).toBe(false);
    expect(forces("kubernetes:helm.sh/v3:Release", "values.crds.enabled")).toBe(false);
    expect(replacedOn("pulumi:providers:kubernetes")).toEqual(["clusterIdentifier"]);
  });
});
