import type { StackConfig } from "../../src/config/schema";
import type { TenantConfig } from "../../src/config/tenantSchema";
import { HOSTNAME_POLICY_KINDS, hostnamePolicyName } from "../../src/model/tenants";
import { editedConfig } from "../helpers/plan";
import { Kubectl, type KubectlResult } from "./harness/kubectl";
import { kubernetesLayersProgram } from "./harness/program";
import { changes, RealStack } from "./harness/stack";
import { waitFor } from "./harness/workloads";

/**
 * Tenants' hostnames against a real API server: the admission policy each tenant gets compiles on it,
 * and decides, for a tenant user through its own kubeconfig, which Ingresses are admitted. Certificates
 * are refused by the same policy, but cert-manager's definition is not installed in this tier (see the
 * model tests for their rules). The stack has tenants of its own and goes at the end.
 */

const admin = Kubectl.admin();
const DOMAIN = "apps.example.com";
const SHOP = "hn-shop";
const BLOG = "hn-blog";
const BARE = "hn-bare";

function tenant(base: TenantConfig, name: string, user: string, hostnames?: string[]): TenantConfig {
  return {
    ...structuredClone(base),
    name,
    namespaces: [name],
    users: [user],
    hostnames,
    allowDeletion: true,
  };
}

function config(): StackConfig {
  return editedConfig("dev", (edited) => {
    edited.ingressDomain = DOMAIN;
    const base = edited.tenants[1];
    edited.tenants = [
      tenant(base, SHOP, "sam", ["shop.example.com", `*.shop.${DOMAIN}`]),
      tenant(base, BLOG, "bea", ["blog.example.com"]),
      // An empty list (no list at all gets *.<tenant>.<ingressDomain>): nothing to serve.
      tenant(base, BARE, "nik", []),
    ];
  });
}

interface Rule {
  host?: string;
  http?: object;
}

/** An Ingress of the rules' hosts (none: a catch-all rule), with TLS for the given hosts. */
function ingress(
  name: string,
  hosts: (string | undefined)[],
  tlsHosts?: string[],
  extra: object = {},
): object {
  const paths = [
    {
      path: "/",
      pathType: "Prefix",
      backend: { service: { name: "web", port: { number: 80 } } },
    },
  ];
  const rules = hosts.map((host): Rule => ({ ...(host && { host }), http: { paths } }));
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name },
    spec: {
      ingressClassName: "traefik",
      rules,
      ...(tlsHosts && { tls: [{ hosts: tlsHosts, secretName: `${name}-tls` }] }),
      ...extra,
    },
  };
}

let stack: RealStack;
let kubeconfigs: Record<string, string>;
const user = (name: string) => Kubectl.fromKubeconfig(name, kubeconfigs[name]);

function refusal(result: KubectlResult, tenantName: string): string {
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain(
    `ValidatingAdmissionPolicy '${hostnamePolicyName(tenantName, "ingresses")}'`,
  );
  return result.stderr;
}

beforeAll(async () => {
  stack = await RealStack.create("hostnames");
  const result = await stack.up(kubernetesLayersProgram(config()));
  kubeconfigs = result.outputs.tenantKubeconfigs as Record<string, string>;
  // The API server loads new policies asynchronously: wait until it refuses a foreign host (a server-side
  // dry run goes through admission and stores nothing).
  const sam = user(`${SHOP}/sam`);
  await waitFor("the hostname policy to be in effect", () => {
    const result = sam.run(
      ["create", "-n", SHOP, "--dry-run=server", "-f", "-"],
      JSON.stringify(ingress("probe", [`rancher.${DOMAIN}`])),
    );
    return result.status !== 0 && result.stderr.includes("ValidatingAdmissionPolicy");
  });
});

afterAll(async () => {
  await stack?.remove();
});

describe("each tenant's hostname policies", () => {
  interface LivePolicy {
    metadata: { generation: number };
    spec: { failurePolicy: string };
    status?: { observedGeneration?: number; typeChecking?: { expressionWarnings?: unknown[] } };
  }

  it("are live, bound to the tenant's namespaces, and type-check without a warning", async () => {
    for (const name of [SHOP, BLOG, BARE])
      for (const kind of HOSTNAME_POLICY_KINDS) {
        const policyName = hostnamePolicyName(name, kind);
        const binding = admin.json<{ spec: Record<string, unknown> }>([
          "get",
          "validatingadmissionpolicybindings",
          policyName,
        ]);
        expect(binding.spec).toMatchObject({
          policyName,
          validationActions: ["Deny"],
          matchResources: { namespaceSelector: { matchLabels: { "hetzner-k8s.io/tenant": name } } },
        });
        // The API server's own type check of every expression, against the schema of the kind it
        // governs (Ingress; a Certificate's has no schema here, as cert-manager is not installed).
        const policy = () => admin.json<LivePolicy>(["get", "validatingadmissionpolicies", policyName]);
        await waitFor(`the type check of ${policyName}`, () => {
          const live = policy();
          return live.status?.observedGeneration === live.metadata.generation;
        });
        const live = policy();
        expect(live.spec.failurePolicy).toBe("Fail");
        expect([policyName, live.status?.typeChecking?.expressionWarnings ?? []]).toEqual([policyName, []]);
      }
  });
});

describe("a tenant user, through its own kubeconfig", () => {
  it("serves its own hostnames, with TLS, and names one label under its wildcard", () => {
    const sam = user(`${SHOP}/sam`);
    sam.ok(
      ["create", "-n", SHOP, "-f", "-"],
      JSON.stringify(ingress("shop", ["shop.example.com"], ["shop.example.com"])),
    );
    sam.ok(
      ["create", "-n", SHOP, "-f", "-"],
      JSON.stringify(
        ingress(
          "apps",
          [`api.shop.${DOMAIN}`, `*.shop.${DOMAIN}`],
          [`api.shop.${DOMAIN}`, `*.shop.${DOMAIN}`],
        ),
      ),
    );
    expect(admin.json<{ items: unknown[] }>(["-n", SHOP, "get", "ingresses"]).items).toHaveLength(2);
  });

  it("is refused a platform hostname, with the policy's message", () => {
    const sam = user(`${SHOP}/sam`);
    for (const host of [`rancher.${DOMAIN}`, `grafana.${DOMAIN}`]) {
      const stderr = refusal(sam.create(ingress("platform", [host]), SHOP), SHOP);
      expect(stderr).toContain(
        `tenant ${SHOP}: Ingress host ${host}: not one of its hostnames (shop.example.com, *.shop.${DOMAIN})`,
      );
    }
  });

  it("is refused another tenant's hostname, and the other tenant its", () => {
    const stderr = refusal(user(`${SHOP}/sam`).create(ingress("blog", ["blog.example.com"]), SHOP), SHOP);
    expect(stderr).toContain("Ingress host blog.example.com: not one of its hostnames");
    const bea = user(`${BLOG}/bea`);
    refusal(bea.create(ingress("shop", ["shop.example.com"]), BLOG), BLOG);
    bea.ok(["create", "-n", BLOG, "-f", "-"], JSON.stringify(ingress("blog", ["blog.example.com"])));
  });

  it("is refused a catch-all: a rule without a host, or a default backend", () => {
    const sam = user(`${SHOP}/sam`);
    const hostless = refusal(sam.create(ingress("catch-all", [undefined]), SHOP), SHOP);
    expect(hostless).toContain(`tenant ${SHOP}: every rule of an Ingress needs a host`);
    const mixed = refusal(sam.create(ingress("mixed", ["shop.example.com", undefined]), SHOP), SHOP);
    expect(mixed).toContain("every rule of an Ingress needs a host");
    const backend = { defaultBackend: { service: { name: "web", port: { number: 80 } } } };
    const defaulted = refusal(
      sam.create(ingress("default", ["shop.example.com"], undefined, backend), SHOP),
      SHOP,
    );
    expect(defaulted).toContain(`tenant ${SHOP}: an Ingress may not set spec.defaultBackend`);
  });

  it("is refused a TLS host outside its list, and a TLS entry without hosts", () => {
    const sam = user(`${SHOP}/sam`);
    const foreign = refusal(
      sam.create(ingress("tls", ["shop.example.com"], ["shop.example.com", `rancher.${DOMAIN}`]), SHOP),
      SHOP,
    );
    expect(foreign).toContain(`tenant ${SHOP}: Ingress TLS host rancher.${DOMAIN}: not one of its hostnames`);
    const empty = refusal(sam.create(ingress("tls-empty", ["shop.example.com"], []), SHOP), SHOP);
    expect(empty).toContain("every spec.tls entry of an Ingress must list its hosts");
  });

  it("is refused two labels under its wildcard, and the wildcard's own zone", () => {
    const sam = user(`${SHOP}/sam`);
    for (const host of [`a.b.shop.${DOMAIN}`, `shop.${DOMAIN}`, `*.${DOMAIN}`])
      expect(refusal(sam.create(ingress("deep", [host]), SHOP), SHOP)).toContain(`Ingress host ${host}:`);
  });

  it("cannot move an admitted Ingress to a foreign host", () => {
    const sam = user(`${SHOP}/sam`);
    const patch = JSON.stringify([{ op: "replace", path: "/spec/rules/0/host", value: "blog.example.com" }]);
    const result = sam.run(["-n", SHOP, "patch", "ingress", "shop", "--type=json", "-p", patch]);
    expect(refusal(result, SHOP)).toContain("Ingress host blog.example.com: not one of its hostnames");
    const live = admin.json<{ spec: { rules: Rule[] } }>(["-n", SHOP, "get", "ingress", "shop"]);
    expect(live.spec.rules[0].host).toBe("shop.example.com");
  });

  it("serves nothing when its tenant's list of hostnames is empty", () => {
    const nik = user(`${BARE}/nik`);
    const stderr = refusal(nik.create(ingress("any", [`${BARE}.${DOMAIN}`]), BARE), BARE);
    expect(stderr).toContain(
      `tenant ${BARE}: Ingress host ${BARE}.${DOMAIN}: not one of its hostnames (none)`,
    );
  });
});

/**
 * cert-manager's Certificate kind, standing in for its definition so the API server has Certificates to
 * admit or refuse: no schema (cert-manager's own is not at hand here), so the policy's expressions meet
 * the objects as written. Removed again at the end of the block; other files expect no custom resources.
 */
const CERTIFICATE_KIND = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: "certificates.cert-manager.io" },
  spec: {
    group: "cert-manager.io",
    names: {
      kind: "Certificate",
      plural: "certificates",
      singular: "certificate",
      listKind: "CertificateList",
    },
    scope: "Namespaced",
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
      },
    ],
  },
};

function certificate(name: string, spec: object): object {
  return {
    apiVersion: "cert-manager.io/v1",
    kind: "Certificate",
    metadata: { name },
    spec: { secretName: `${name}-tls`, issuerRef: { kind: "ClusterIssuer", name: "cluster-ca" }, ...spec },
  };
}

describe("a tenant user's Certificates", () => {
  const refusedCertificate = (result: KubectlResult): string => {
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(
      `ValidatingAdmissionPolicy '${hostnamePolicyName(SHOP, "certificates")}'`,
    );
    return result.stderr;
  };

  beforeAll(async () => {
    admin.ok(["create", "-f", "-"], JSON.stringify(CERTIFICATE_KIND));
    admin.ok(["wait", "--for=condition=Established", "crd/certificates.cert-manager.io", "--timeout=60s"]);
    const sam = user(`${SHOP}/sam`);
    await waitFor("Certificates to be served", () =>
      sam.canI("create", "certificates.cert-manager.io", SHOP),
    );
  });

  afterAll(() => {
    admin.run(["delete", "crd", "certificates.cert-manager.io", "--wait"]);
  });

  it("are admitted for its own hostnames", () => {
    const sam = user(`${SHOP}/sam`);
    const own = { commonName: "shop.example.com", dnsNames: ["shop.example.com", `*.shop.${DOMAIN}`] };
    sam.ok(["create", "-n", SHOP, "-f", "-"], JSON.stringify(certificate("shop", own)));
  });

  it("are refused for a platform hostname or another tenant's, in dnsNames or commonName", () => {
    const sam = user(`${SHOP}/sam`);
    const platform = refusedCertificate(
      sam.create(certificate("rancher", { dnsNames: ["shop.example.com", `rancher.${DOMAIN}`] }), SHOP),
    );
    expect(platform).toContain(
      `tenant ${SHOP}: Certificate dnsNames rancher.${DOMAIN}: not one of its hostnames`,
    );
    const common = refusedCertificate(
      sam.create(
        certificate("blog", { commonName: "blog.example.com", dnsNames: ["shop.example.com"] }),
        SHOP,
      ),
    );
    expect(common).toContain(
      `tenant ${SHOP}: Certificate commonName blog.example.com: not one of its hostnames`,
    );
  });

  it("are refused as a CA, or naming anything but hostnames", () => {
    const sam = user(`${SHOP}/sam`);
    const ca = refusedCertificate(
      sam.create(certificate("ca", { isCA: true, dnsNames: ["shop.example.com"] }), SHOP),
    );
    expect(ca).toContain("a Certificate may not be a CA or sign certificates");
    for (const extra of [
      { ipAddresses: ["203.0.113.80"] },
      { uris: ["spiffe://cluster.local/ns/kube-system/sa/default"] },
      { literalSubject: `CN=rancher.${DOMAIN}` },
    ]) {
      const stderr = refusedCertificate(
        sam.create(certificate("extra", { dnsNames: ["shop.example.com"], ...extra }), SHOP),
      );
      expect(stderr).toContain("a Certificate may name hostnames only");
    }
  });
});

describe("the stack", () => {
  it("goes with its tenants' policies", async () => {
    const steps = await stack.destroy();
    expect(changes(steps).every((step) => step.op === "delete")).toBe(true);
    for (const name of [SHOP, BLOG, BARE])
      for (const kind of HOSTNAME_POLICY_KINDS)
        for (const resource of ["validatingadmissionpolicy", "validatingadmissionpolicybinding"])
          expect(admin.run(["get", resource, hostnamePolicyName(name, kind)]).status).not.toBe(0);
    await waitFor("the tenants' namespaces to be deleted", () =>
      [SHOP, BLOG, BARE].every((name) => admin.run(["get", "namespace", name]).status !== 0),
    );
  });
});
