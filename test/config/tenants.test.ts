import type { RawConfig } from "../../src/config/load";
import { key, parsedAfter, problemsAfter } from "./fixtures";

/**
 * Validation of `hetzner-k8s:tenants` and `hetzner-k8s:overcommit`, against the shipped dev stack:
 *   tenants[0] team-a: namespace team-a, users [alice, bob], requests 2 cores / 4Gi, limits 4 / 8Gi, storage 20Gi
 *   tenants[1] team-b: namespaces [team-b, team-b-staging], users [carol], requests 1 / 2Gi, limits 2 / 4Gi, 10Gi
 * Its pool: 3 × cx23 control plane + 1 × cx33 worker = 10 cores, minus 3 × 1 + 0.5 reserved = 6.5 cores.
 */

type RawTenant = Record<string, unknown>;

function tenantsOf(raw: RawConfig): RawTenant[] {
  const tenants = raw[key("tenants")];
  if (!Array.isArray(tenants)) throw new Error("the dev stack has no tenant list");
  return tenants as RawTenant[];
}

function tenant(raw: RawConfig, index: number): RawTenant {
  const found = tenantsOf(raw)[index];
  if (!found) throw new Error(`the dev stack has no tenants[${index}]`);
  return found;
}

function quotaOf(raw: RawConfig, index: number): RawTenant {
  return tenant(raw, index).quota as RawTenant;
}

/** The problem lines after one change to one tenant of the dev stack. */
function problemsWithTenant(index: number, mutate: (entry: RawTenant) => void): string[] {
  return problemsAfter((raw) => mutate(tenant(raw, index)));
}

const reserved = (path: string, namespace: string) =>
  `hetzner-k8s:tenants${path}: namespace "${namespace}" is reserved for the system and the platform`;

describe("tenant validation", () => {
  it("accepts the tenants of the shipped dev stack", () => {
    expect(problemsAfter(() => undefined)).toEqual([]);
    expect(parsedAfter(() => undefined).tenants.map((entry) => entry.name)).toEqual(["team-a", "team-b"]);
  });

  it("accepts a stack without tenants, absent or empty", () => {
    expect(problemsAfter((raw) => Reflect.deleteProperty(raw, key("tenants")))).toEqual([]);
    expect(problemsAfter((raw) => (raw[key("tenants")] = []))).toEqual([]);
    expect(parsedAfter((raw) => (raw[key("tenants")] = [])).tenants).toEqual([]);
  });

  it("rejects a duplicate tenant name", () => {
    expect(problemsWithTenant(1, (entry) => (entry.name = "team-a"))).toEqual([
      'hetzner-k8s:tenants[1].name: duplicate tenant "team-a" (also tenants[0])',
    ]);
  });

  it("reports both the name and the namespace when a duplicate tenant also takes the default namespace", () => {
    expect(
      problemsWithTenant(1, (entry) => {
        entry.name = "team-a";
        Reflect.deleteProperty(entry, "namespaces");
      }),
    ).toEqual([
      'hetzner-k8s:tenants[1].name: duplicate tenant "team-a" (also tenants[0])',
      'hetzner-k8s:tenants[1].name: namespace "team-a" already belongs to tenant team-a',
    ]);
  });

  it("rejects a namespace that two tenants list", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = ["team-b", "team-a"]))).toEqual([
      'hetzner-k8s:tenants[1].namespaces[1]: namespace "team-a" already belongs to tenant team-a',
    ]);
  });

  it("rejects a tenant whose default namespace (its name) is another tenant's namespace", () => {
    expect(
      problemsAfter((raw) =>
        tenantsOf(raw).push({ name: "team-b-staging", quota: { ...quotaOf(raw, 1), requestsCpu: "100m" } }),
      ),
    ).toEqual(['hetzner-k8s:tenants[2].name: namespace "team-b-staging" already belongs to tenant team-b']);
  });

  it("rejects kube-system as a listed namespace", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = ["kube-system"]))).toEqual([
      reserved("[1].namespaces[0]", "kube-system"),
    ]);
  });

  it("rejects default as a tenant name that doubles as its namespace", () => {
    expect(problemsWithTenant(0, (entry) => (entry.name = "default"))).toEqual([
      reserved("[0].name", "default"),
    ]);
  });

  it("rejects the platform's monitoring namespace at its position in the list", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = ["team-b", "monitoring"]))).toEqual([
      reserved("[1].namespaces[1]", "monitoring"),
    ]);
  });

  it("rejects any namespace with a kube- prefix", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = ["team-b", "kube-tools"]))).toEqual([
      reserved("[1].namespaces[1]", "kube-tools"),
    ]);
  });

  it("rejects any namespace with a cattle- prefix (Rancher's)", () => {
    expect(problemsWithTenant(0, (entry) => (entry.name = "cattle-team"))).toEqual([
      reserved("[0].name", "cattle-team"),
    ]);
  });

  // Rancher, which the platform installs by default, keeps the local cluster's projects in "local".
  it("rejects Rancher's namespace of the local cluster", () => {
    expect(problemsWithTenant(0, (entry) => (entry.name = "local"))).toEqual([reserved("[0].name", "local")]);
  });

  // Every tenant's users' ServiceAccounts and tokens live there.
  it("rejects the users' identity namespace tenant-users", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = ["team-b", "tenant-users"]))).toEqual([
      reserved("[1].namespaces[1]", "tenant-users"),
    ]);
    expect(problemsWithTenant(0, (entry) => (entry.name = "tenant-users"))).toEqual([
      reserved("[0].name", "tenant-users"),
    ]);
  });

  it("accepts a namespace that merely contains a reserved word", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = ["team-b", "my-kube-system"]))).toEqual([]);
  });

  it("rejects a user listed twice, at the second occurrence", () => {
    expect(problemsWithTenant(0, (entry) => (entry.users = ["alice", "bob", "alice"]))).toEqual([
      'hetzner-k8s:tenants[0].users[2]: duplicate user "alice"',
    ]);
  });

  it("accepts the same user name in two tenants", () => {
    expect(problemsWithTenant(1, (entry) => (entry.users = ["alice"]))).toEqual([]);
  });

  it("rejects a user name that is not a DNS label", () => {
    expect(problemsWithTenant(0, (entry) => (entry.users = ["alice", "Bob.Smith"]))).toEqual([
      "hetzner-k8s:tenants[0].users[1]: must be a DNS-1123 label (lower-case letters, digits and '-'), got \"Bob.Smith\"",
    ]);
  });

  it("rejects a namespace that is not a DNS label", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = ["team-b", "team_b_staging"]))).toEqual([
      "hetzner-k8s:tenants[1].namespaces[1]: must be a DNS-1123 label (lower-case letters, digits and '-'), got \"team_b_staging\"",
    ]);
  });

  it("rejects a tenant with an empty namespace list", () => {
    expect(problemsWithTenant(1, (entry) => (entry.namespaces = []))).toEqual([
      "hetzner-k8s:tenants[1].namespaces: must list at least one namespace",
    ]);
  });

  it("rejects a CPU quantity written as a word", () => {
    expect(problemsWithTenant(0, (entry) => ((entry.quota as RawTenant).requestsCpu = "two"))).toEqual([
      'hetzner-k8s:tenants[0].quota.requestsCpu: "two" is not a Kubernetes quantity (e.g. "500m" or "2")',
    ]);
  });

  it("rejects a memory quantity with a unit Kubernetes does not know (GB), once", () => {
    expect(problemsWithTenant(0, (entry) => ((entry.quota as RawTenant).limitsMemory = "8GB"))).toEqual([
      'hetzner-k8s:tenants[0].quota.limitsMemory: "8GB" is not a Kubernetes quantity (e.g. "512Mi" or "8Gi")',
    ]);
    expect(problemsWithTenant(0, (entry) => (entry.limits = { defaultLimitMemory: "1GB" }))).toEqual([
      'hetzner-k8s:tenants[0].limits.defaultLimitMemory: "1GB" is not a Kubernetes quantity (e.g. "512Mi" or "8Gi")',
    ]);
  });

  it("accepts quantities written as YAML numbers", () => {
    const config = parsedAfter((raw) => {
      const quota = quotaOf(raw, 0);
      quota.requestsCpu = 1.5;
      quota.limitsCpu = 3;
    });
    expect(config.tenants[0].quota).toMatchObject({ requestsCpu: "1.5", limitsCpu: "3" });
  });

  it("rejects requestsCpu above limitsCpu", () => {
    expect(problemsWithTenant(0, (entry) => ((entry.quota as RawTenant).requestsCpu = "4500m"))).toEqual([
      "hetzner-k8s:tenants[0].quota.requestsCpu: 4.5 cores is above limitsCpu (4 cores)",
    ]);
  });

  it("accepts requestsCpu equal to limitsCpu", () => {
    expect(problemsWithTenant(1, (entry) => ((entry.quota as RawTenant).requestsCpu = "2000m"))).toEqual([]);
  });

  it("rejects requestsMemory above limitsMemory", () => {
    expect(problemsWithTenant(0, (entry) => ((entry.quota as RawTenant).requestsMemory = "9Gi"))).toEqual([
      "hetzner-k8s:tenants[0].quota.requestsMemory: 9 GiB is above limitsMemory (8 GiB)",
    ]);
  });

  it("rejects a default CPU limit above the container maximum", () => {
    expect(problemsWithTenant(0, (entry) => (entry.limits = { defaultLimitCpu: "3", maxCpu: "2" }))).toEqual([
      "hetzner-k8s:tenants[0].limits.defaultLimitCpu: 3 cores is above maxCpu (2 cores)",
    ]);
  });

  it("rejects a default CPU limit above the default maximum (2 cores)", () => {
    expect(problemsWithTenant(0, (entry) => (entry.limits = { defaultLimitCpu: "2500m" }))).toEqual([
      "hetzner-k8s:tenants[0].limits.defaultLimitCpu: 2.5 cores is above maxCpu (2 cores)",
    ]);
  });

  it("rejects a default memory request above the default memory limit (512Mi)", () => {
    expect(problemsWithTenant(0, (entry) => (entry.limits = { defaultRequestMemory: "1Gi" }))).toEqual([
      "hetzner-k8s:tenants[0].limits.defaultRequestMemory: 1 GiB is above defaultLimitMemory (0.5 GiB)",
    ]);
  });

  it("rejects a priority class that does not exist", () => {
    expect(problemsWithTenant(0, (entry) => (entry.priorityClasses = ["default", "urgent"]))).toEqual([
      'hetzner-k8s:tenants[0].priorityClasses[1]: must be one of "platform-critical", "high", "default", "low", got "urgent"',
    ]);
  });

  it("rejects a Pod Security level other than restricted or baseline", () => {
    expect(problemsWithTenant(1, (entry) => (entry.podSecurity = "privileged"))).toEqual([
      'hetzner-k8s:tenants[1].podSecurity: must be "restricted" or "baseline", got "privileged"',
    ]);
  });

  it("rejects an unknown key in a tenant (a typo)", () => {
    expect(
      problemsWithTenant(0, (entry) => {
        entry.user = entry.users;
        Reflect.deleteProperty(entry, "users");
      }),
    ).toEqual(['hetzner-k8s:tenants[0].user: unknown key, did you mean "users"?']);
  });

  it("rejects an unknown key in a tenant's quota (a typo)", () => {
    expect(problemsWithTenant(1, (entry) => ((entry.quota as RawTenant).loadBalancer = 1))).toEqual([
      'hetzner-k8s:tenants[1].quota.loadBalancer: unknown key, did you mean "loadBalancers"?',
    ]);
  });

  it("requires a quota", () => {
    expect(problemsWithTenant(0, (entry) => Reflect.deleteProperty(entry, "quota"))).toEqual([
      "hetzner-k8s:tenants[0].quota: required: a mapping of quota values (requestsCpu, requestsMemory, ...)",
    ]);
  });

  it("rejects an overcommit below 1", () => {
    expect(problemsAfter((raw) => (raw[key("overcommit")] = { cpu: 0.5 }))).toEqual([
      "hetzner-k8s:overcommit.cpu: must be at least 1 (no undercommit), got 0.5",
    ]);
    expect(problemsAfter((raw) => (raw[key("overcommit")] = { memory: 1, storage: 0.9 }))).toEqual([
      "hetzner-k8s:overcommit.storage: must be at least 1 (no undercommit), got 0.9",
    ]);
  });

  it("rejects an unknown overcommit resource", () => {
    expect(problemsAfter((raw) => (raw[key("overcommit")] = { gpus: 2 }))).toEqual([
      "hetzner-k8s:overcommit.gpus: unknown key (known keys: cpu, memory, storage)",
    ]);
  });
});

describe("tenants against the resource pool", () => {
  /** team-a asks for 3 cores, team-b for 2 cores in each of its 2 namespaces: 7 of the pool's 6.5 cores. */
  const overpromiseCpu = (raw: RawConfig) => {
    quotaOf(raw, 0).requestsCpu = "3";
    quotaOf(raw, 1).requestsCpu = "2";
  };

  it("rejects tenants promised more CPU than the pool has, naming requests.cpu and the figures", () => {
    expect(problemsAfter(overpromiseCpu)).toEqual([
      "hetzner-k8s:tenants: requests.cpu: the tenants are promised 7 cores, but the pool has 6.5 cores × overcommit 1 " +
        "= 6.5 cores (add nodes, lower quotas or raise hetzner-k8s:overcommit.cpu)",
    ]);
  });

  it("accepts the same tenants once overcommit.cpu leaves room", () => {
    expect(
      problemsAfter((raw) => {
        overpromiseCpu(raw);
        raw[key("overcommit")] = { cpu: 1.5 };
      }),
    ).toEqual([]);
  });

  it("names the overcommit figure in use when it is still not enough", () => {
    expect(
      problemsAfter((raw) => {
        quotaOf(raw, 0).requestsCpu = "4";
        quotaOf(raw, 1).requestsCpu = "2";
        quotaOf(raw, 1).limitsCpu = "4";
        tenant(raw, 1).namespaces = ["team-b", "team-b-staging", "team-b-dev"];
        raw[key("overcommit")] = { cpu: 1.2 };
      }),
    ).toEqual([
      "hetzner-k8s:tenants: requests.cpu: the tenants are promised 10 cores, but the pool has 6.5 cores × overcommit 1.2 " +
        "= 7.8 cores (add nodes, lower quotas or raise hetzner-k8s:overcommit.cpu)",
    ]);
  });

  it("counts a tenant's quota once per namespace", () => {
    // team-b asks for 2.5 cores per namespace: with one namespace 2 + 2.5 = 4.5 cores fit into 6.5, with two
    // namespaces 2 + 2 × 2.5 = 7 cores do not.
    const raiseTeamB = (raw: RawConfig) => {
      quotaOf(raw, 1).requestsCpu = "2500m";
      quotaOf(raw, 1).limitsCpu = "4";
    };
    expect(
      problemsAfter((raw) => {
        raiseTeamB(raw);
        tenant(raw, 1).namespaces = ["team-b"];
      }),
    ).toEqual([]);
    expect(problemsAfter(raiseTeamB)).toEqual([
      "hetzner-k8s:tenants: requests.cpu: the tenants are promised 7 cores, but the pool has 6.5 cores × overcommit 1 " +
        "= 6.5 cores (add nodes, lower quotas or raise hetzner-k8s:overcommit.cpu)",
    ]);
  });

  it("checks memory and storage against the pool as well, one line per resource", () => {
    // Memory: 3 × 4 + 8 GB minus 3 × 2 + 1 GiB reserved = 13 GiB; storage: 3 × 40 + 80 + 20 GB minus 4 × 30 = 100 GiB.
    expect(
      problemsAfter((raw) => {
        quotaOf(raw, 0).requestsMemory = "8Gi";
        quotaOf(raw, 0).storage = "70Gi";
      }),
    ).toEqual([]); // 4 + 2 × 2 + 4 = 12 of 13 GiB; 70 + 2 × 10 = 90 of 100 GiB
    expect(
      problemsAfter((raw) => {
        quotaOf(raw, 0).requestsMemory = "6Gi";
        quotaOf(raw, 1).requestsMemory = "4Gi";
        quotaOf(raw, 0).storage = "70Gi";
        quotaOf(raw, 1).storage = "20Gi";
      }),
    ).toEqual([
      "hetzner-k8s:tenants: requests.memory: the tenants are promised 14 GiB, but the pool has 13 GiB × overcommit 1 " +
        "= 13 GiB (add nodes, lower quotas or raise hetzner-k8s:overcommit.memory)",
      "hetzner-k8s:tenants: requests.storage: the tenants are promised 110 GiB, but the pool has 100 GiB × overcommit 1 " +
        "= 100 GiB (add nodes, lower quotas or raise hetzner-k8s:overcommit.storage)",
    ]);
  });

  it("accepts tenants that exactly fill the pool", () => {
    expect(
      problemsAfter((raw) => {
        quotaOf(raw, 0).requestsCpu = "3.5";
        quotaOf(raw, 1).requestsCpu = "1.5";
      }),
    ).toEqual([]);
  });

  // 150m + 2 × 3175m is exactly 6.5 cores, but 6.500000000000001 in binary floating point.
  it("accepts an exact fit written in millicores (float rounding)", () => {
    expect(
      problemsAfter((raw) => {
        quotaOf(raw, 0).requestsCpu = "150m";
        quotaOf(raw, 1).requestsCpu = "3175m";
        quotaOf(raw, 1).limitsCpu = "4";
      }),
    ).toEqual([]);
  });

  it("checks the pool only once every tenant is valid on its own", () => {
    expect(
      problemsAfter((raw) => {
        overpromiseCpu(raw);
        tenant(raw, 0).users = ["alice", "alice"];
      }),
    ).toEqual(['hetzner-k8s:tenants[0].users[1]: duplicate user "alice"']);
  });
});

describe("quantities written differently", () => {
  it("treats 13m and 0.013 as equal when comparing a default with its maximum", () => {
    expect(
      problemsWithTenant(0, (entry) => {
        entry.limits = { defaultRequestCpu: "5m", defaultLimitCpu: "13m", maxCpu: "0.013" };
      }),
    ).toEqual([]);
  });
});

describe("tenant hostnames", () => {
  const withDomain = (raw: RawConfig) => (raw[key("ingressDomain")] = "example.com");
  /** The problems after giving tenants[0] (team-a) and tenants[1] (team-b) these hostnames. */
  const hostnames = (teamA: unknown[], teamB: unknown[] = [], edit?: (raw: RawConfig) => void) =>
    problemsAfter((raw) => {
      edit?.(raw);
      tenant(raw, 0).hostnames = teamA;
      tenant(raw, 1).hostnames = teamB;
    });
  const at = (index: number, hostnameIndex: number, message: string) =>
    `hetzner-k8s:tenants[${index}].hostnames[${hostnameIndex}]: ${message}`;
  const format =
    'must be a lower-case DNS name such as "shop.example.com", or one with a leading wildcard label such as "*.team-a.example.com"';

  it("are none unless listed when the cluster has no domain: the shipped tenants serve no hostname", () => {
    expect(parsedAfter(() => undefined).tenants.map((entry) => entry.hostnames ?? [])).toEqual([[], []]);
  });

  it("default to a zone of the tenant's own under the cluster's domain; a list replaces it", () => {
    const config = parsedAfter((raw) => {
      withDomain(raw);
      tenant(raw, 1).hostnames = ["blog.example.org"];
    });
    expect(config.tenants.map((entry) => entry.hostnames)).toEqual([
      ["*.team-a.example.com"],
      ["blog.example.org"],
    ]);
  });

  it("refuse a list that takes another tenant's default zone", () => {
    const problems = problemsAfter((raw) => {
      withDomain(raw);
      tenant(raw, 1).hostnames = ["*.team-a.example.com"];
    });
    expect(problems).toEqual([at(1, 0, 'hostname "*.team-a.example.com" already belongs to tenant team-a')]);
  });

  it("accept DNS names and names with one leading wildcard label, in and outside the ingress domain", () => {
    expect(
      hostnames(
        ["shop.example.com", "*.team-a.example.com", "team-a.example.com"],
        ["*.b.example.org"],
        withDomain,
      ),
    ).toEqual([]);
    expect(
      parsedAfter((raw) => (tenant(raw, 0).hostnames = ["shop.example.com"])).tenants[0].hostnames,
    ).toEqual(["shop.example.com"]);
  });

  it("reject what is not a hostname, naming the key", () => {
    for (const bad of [
      "Shop.example.com",
      "shop",
      "*.com",
      "a.*.example.com",
      "**.example.com",
      "shop.example.com.",
      "-a.example.com",
      `${"a".repeat(64)}.example.com`,
      "*",
    ])
      expect([bad, hostnames([bad])]).toEqual([bad, [at(0, 0, `${format}, got ${JSON.stringify(bad)}`)]]);
    expect(hostnames(["10.0.1.10"])).toEqual([at(0, 0, 'is an IP address, not a hostname, got "10.0.1.10"')]);
    expect(hostnames([42])).toEqual([at(0, 0, "expected a string, got the number 42")]);
  });

  it("reject a duplicate within a tenant", () => {
    expect(hostnames(["shop.example.com", "shop.example.com"])).toEqual([
      at(0, 1, 'duplicate hostname "shop.example.com"'),
    ]);
  });

  it("reject another tenant's hostname, and a wildcard overlapping it either way", () => {
    expect(hostnames(["shop.example.com"], ["shop.example.com"])).toEqual([
      at(1, 0, 'hostname "shop.example.com" already belongs to tenant team-a'),
    ]);
    expect(hostnames(["shop.example.com"], ["*.example.com"])).toEqual([
      at(1, 0, 'hostname "*.example.com" overlaps "shop.example.com" of tenant team-a'),
    ]);
    expect(hostnames(["*.example.com"], ["blog.example.com", "*.example.com"])).toEqual([
      at(1, 0, 'hostname "blog.example.com" overlaps "*.example.com" of tenant team-a'),
      at(1, 1, 'hostname "*.example.com" already belongs to tenant team-a'),
    ]);
  });

  it("let tenants share a zone at different depths: a wildcard covers exactly one label", () => {
    expect(hostnames(["*.example.com"], ["*.b.example.com", "x.b.example.com", "example.com"])).toEqual([]);
  });

  it("let one tenant list a wildcard and a name under it", () => {
    expect(hostnames(["*.example.com", "shop.example.com"])).toEqual([]);
  });

  it("reject the platform's hostnames in the ingress domain, and a wildcard covering them", () => {
    expect(
      hostnames(["rancher.example.com", "grafana.example.com", "*.example.com"], [], withDomain),
    ).toEqual([
      at(0, 0, '"rancher.example.com" is a hostname of the platform'),
      at(0, 1, '"grafana.example.com" is a hostname of the platform'),
      at(0, 2, '"*.example.com" covers the platform\'s hostname rancher.example.com'),
    ]);
    // Outside the ingress domain those names are anyone's.
    expect(hostnames(["rancher.example.org", "*.other.example.com"], [], withDomain)).toEqual([]);
  });

  it("reject the API hostname", () => {
    expect(
      hostnames(
        ["api.example.com", "*.example.com"],
        [],
        (raw) => (raw[key("apiHostname")] = "api.example.com"),
      ),
    ).toEqual([
      at(0, 0, '"api.example.com" is a hostname of the platform'),
      at(0, 1, '"*.example.com" covers the platform\'s hostname api.example.com'),
    ]);
  });

  it("without an ingress domain, reject the platform's sslip.io names of any address", () => {
    expect(
      hostnames([
        "rancher.203.0.113.80.sslip.io",
        "grafana.198.51.100.7.sslip.io",
        "*.203.0.113.80.sslip.io",
        "shop.203.0.113.80.sslip.io",
      ]),
    ).toEqual([
      at(0, 0, '"rancher.203.0.113.80.sslip.io" is a hostname of the platform'),
      at(0, 1, '"grafana.198.51.100.7.sslip.io" is a hostname of the platform'),
      at(0, 2, '"*.203.0.113.80.sslip.io" covers the platform\'s hostname rancher.203.0.113.80.sslip.io'),
    ]);
    // With a domain the platform lives there, and the sslip.io names are free.
    expect(hostnames(["rancher.203.0.113.80.sslip.io"], [], withDomain)).toEqual([]);
  });
});
