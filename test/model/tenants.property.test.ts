import fc from "fast-check";
import type { StackConfig } from "../../src/config/schema";
import { isReservedNamespace, checkTenants } from "../../src/config/tenantRules";
import { PRIORITY_CLASSES, tenantSchema, type TenantConfig } from "../../src/config/tenantSchema";
import { buildClusterModel } from "../../src/model/cluster";
import { buildPool } from "../../src/model/pool";
import { buildTenant, TENANT_USERS_NAMESPACE } from "../../src/model/tenants";
import { validateAgainstSchema } from "../helpers/kubernetesSchemas";
import { shippedConfig } from "../helpers/plan";

const RUNS = { numRuns: 100 };
const MIB = 2 ** 20;

/** A DNS-1123 label that is not reserved: a valid tenant, namespace or user name. */
const label = fc
  .stringMatching(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/)
  .filter((name) => name.length <= 63 && !isReservedNamespace(name));
const shortLabel = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/).filter((name) => !isReservedNamespace(name));

/** A CPU quantity as the stack file may write it, with its value in cores. */
function cpu(millicores: number): fc.Arbitrary<{ text: string | number; cores: number }> {
  const forms: (string | number)[] = [`${millicores}m`, String(millicores / 1000)];
  if (millicores % 1000 === 0) forms.push(millicores / 1000);
  return fc.constantFrom(...forms).map((text) => ({ text, cores: millicores / 1000 }));
}

/** A memory or storage quantity, with its value in bytes. */
function bytes(mebibytes: number): fc.Arbitrary<{ text: string; bytes: number }> {
  const forms = [`${mebibytes}Mi`, `${mebibytes * 1024}Ki`];
  if (mebibytes % 1024 === 0) forms.push(`${mebibytes / 1024}Gi`);
  if (mebibytes === 0) forms.push("0");
  return fc.constantFrom(...forms).map((text) => ({ text, bytes: mebibytes * MIB }));
}

/** Two amounts with low <= high. */
const ordered = (max: number, min = 1) =>
  fc
    .tuple(fc.integer({ min, max }), fc.integer({ min, max }))
    .map(([a, b]) => [Math.min(a, b), Math.max(a, b)]);
const ascending3 = (max: number) =>
  fc
    .tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }), fc.integer({ min: 1, max }))
    .map((values) => [...values].sort((a, b) => a - b));

interface GeneratedTenant {
  config: TenantConfig;
  /** Requests per namespace, computed by the generator (not by parseQuantity). */
  requests: { cpu: number; memory: number; storage: number };
}

const quotaArb = fc
  .record({
    cpu: ordered(16_000),
    memory: ordered(64 * 1024),
    storage: fc.integer({ min: 0, max: 512 * 1024 }),
  })
  .chain(({ cpu: [requestsCpu, limitsCpu], memory: [requestsMemory, limitsMemory], storage }) =>
    fc.record({
      requestsCpu: cpu(requestsCpu),
      limitsCpu: cpu(limitsCpu),
      requestsMemory: bytes(requestsMemory),
      limitsMemory: bytes(limitsMemory),
      storage: bytes(storage),
      counts: fc.record({
        persistentVolumeClaims: fc.integer({ min: 0, max: 20 }),
        pods: fc.integer({ min: 0, max: 200 }),
        services: fc.integer({ min: 0, max: 20 }),
        loadBalancers: fc.integer({ min: 0, max: 2 }),
        nodePorts: fc.integer({ min: 0, max: 2 }),
      }),
    }),
  );

const limitsArb = fc.option(
  fc
    .record({ cpu: ascending3(8000), memory: ascending3(16 * 1024) })
    .chain(({ cpu: [requestCpu, limitCpu, maxCpu], memory: [requestMemory, limitMemory, maxMemory] }) =>
      fc.record({
        defaultRequestCpu: cpu(requestCpu),
        defaultLimitCpu: cpu(limitCpu),
        maxCpu: cpu(maxCpu),
        defaultRequestMemory: bytes(requestMemory),
        defaultLimitMemory: bytes(limitMemory),
        maxMemory: bytes(maxMemory),
      }),
    ),
  { nil: undefined },
);

function tenantArb(name: fc.Arbitrary<string> = label): fc.Arbitrary<GeneratedTenant> {
  return fc
    .record({
      name,
      namespaces: fc.option(fc.uniqueArray(label, { minLength: 1, maxLength: 3 }), { nil: undefined }),
      users: fc.uniqueArray(label, { maxLength: 3 }),
      quota: quotaArb,
      limits: limitsArb,
      priorityClasses: fc.subarray([...PRIORITY_CLASSES]),
      podSecurity: fc.constantFrom("restricted", "baseline"),
      allowFrom: fc.uniqueArray(label, { maxLength: 2 }),
      allowDeletion: fc.boolean(),
    })
    .map(({ quota, limits, ...rest }): GeneratedTenant => {
      const raw = {
        ...rest,
        quota: {
          requestsCpu: quota.requestsCpu.text,
          requestsMemory: quota.requestsMemory.text,
          limitsCpu: quota.limitsCpu.text,
          limitsMemory: quota.limitsMemory.text,
          storage: quota.storage.text,
          ...quota.counts,
        },
        ...(limits && {
          limits: Object.fromEntries(Object.entries(limits).map(([field, value]) => [field, value.text])),
        }),
      };
      return {
        config: tenantSchema.parse(raw),
        requests: {
          cpu: quota.requestsCpu.cores,
          memory: quota.requestsMemory.bytes,
          storage: quota.storage.bytes,
        },
      };
    });
}

/** Up to 4 tenants with distinct names; names short and generated apart from the rest so they rarely collide. */
const tenantListArb = fc.uniqueArray(tenantArb(shortLabel), {
  maxLength: 4,
  selector: (tenant) => tenant.config.name,
});

const devConfig = shippedConfig("dev");

function withTenants(tenants: TenantConfig[], overcommit = devConfig.overcommit): StackConfig {
  return { ...structuredClone(devConfig), tenants, overcommit };
}

describe("tenant model properties", () => {
  it("the validator accepts every generated tenant on its own (up to the pool check)", () => {
    fc.assert(
      fc.property(tenantArb(), ({ config }) => {
        const problems = checkTenants(withTenants([config]));
        // With the tenant valid, only the pool check can speak, and it speaks about the whole list.
        for (const problem of problems) expect(problem.path).toEqual(["tenants"]);
      }),
      RUNS,
    );
  });

  it("every object of a tenant matches its Kubernetes API schema", () => {
    fc.assert(
      fc.property(tenantArb(), ({ config }) => {
        const model = buildTenant(config);
        for (const object of [...model.namespaceManifests, ...model.objects]) {
          try {
            validateAgainstSchema(object);
          } catch (error) {
            throw new Error(
              `${object.kind} ${object.metadata.namespace}/${object.metadata.name}: ${String(error)}`,
              { cause: error },
            );
          }
        }
      }),
      RUNS,
    );
  });

  it("every object of a tenant lives in one of its namespaces but the users' identities, which live in tenant-users; only Namespaces are cluster-scoped", () => {
    fc.assert(
      fc.property(tenantArb(), ({ config }) => {
        const model = buildTenant(config);
        expect(model.namespaces).toEqual(config.namespaces ?? [config.name]);
        expect(model.namespaceManifests.map((object) => [object.kind, object.metadata.name])).toEqual(
          model.namespaces.map((namespace) => ["Namespace", namespace]),
        );
        for (const object of model.namespaceManifests) expect(object.metadata.namespace).toBeUndefined();
        // Each user's ServiceAccount and token Secret, named after tenant and user, and nothing else.
        const identities = config.users.flatMap((user) => [
          `ServiceAccount ${config.name}.${user}`,
          `Secret ${config.name}.${user}-token`,
        ]);
        for (const object of model.objects) {
          expect(object.kind).not.toBe("Namespace");
          const what = `${object.kind} ${object.metadata.name}`;
          if (identities.includes(what))
            expect([what, object.metadata.namespace]).toEqual([what, TENANT_USERS_NAMESPACE]);
          else
            expect([what, model.namespaces.includes(object.metadata.namespace ?? "")]).toEqual([what, true]);
        }
        expect(
          model.objects
            .filter((object) => object.metadata.namespace === TENANT_USERS_NAMESPACE)
            .map((object) => `${object.kind} ${object.metadata.name}`),
        ).toEqual(identities);
        expect(model.users.map((user) => user.identityNamespace)).toEqual(
          config.users.map(() => TENANT_USERS_NAMESPACE),
        );
        // Per-namespace objects come once per namespace, the priority-class quota always among them.
        expect(model.objects.filter((object) => object.kind === "RoleBinding")).toHaveLength(
          config.users.length * model.namespaces.length,
        );
        expect(
          model.objects
            .filter((object) => object.kind === "ResourceQuota")
            .map((object) => `${object.metadata.namespace}/${object.metadata.name}`),
        ).toEqual(
          model.namespaces.flatMap((namespace) => [
            `${namespace}/tenant-quota`,
            `${namespace}/denied-priority-classes`,
          ]),
        );
      }),
      RUNS,
    );
  });

  it("every tenant quota denies exactly the priority classes the tenant may not use, and grants node ports for its load balancers", () => {
    fc.assert(
      fc.property(tenantArb(), ({ config }) => {
        const model = buildTenant(config);
        for (const namespace of model.namespaces) {
          const byName = (name: string) =>
            model.objects.find(
              (object) =>
                object.kind === "ResourceQuota" &&
                object.metadata.namespace === namespace &&
                object.metadata.name === name,
            )?.spec as { hard: Record<string, string>; scopeSelector?: unknown };
          expect(byName("denied-priority-classes")).toEqual({
            hard: { pods: "0" },
            scopeSelector: {
              matchExpressions: [
                config.priorityClasses.length > 0
                  ? { scopeName: "PriorityClass", operator: "NotIn", values: config.priorityClasses }
                  : { scopeName: "PriorityClass", operator: "Exists" },
              ],
            },
          });
          expect(byName("tenant-quota").hard["services.nodeports"]).toBe(
            String(config.quota.nodePorts + 5 * config.quota.loadBalancers),
          );
        }
      }),
      RUNS,
    );
  });

  it("a removed tenant keeps nothing with allowDeletion; otherwise each namespace with its default-deny policy and guard rails, and never an access of its users", () => {
    fc.assert(
      fc.property(tenantArb(), ({ config }) => {
        const model = buildTenant(config);
        const kept = model.retainedOnRemoval;
        if (config.allowDeletion) {
          expect(kept).toEqual([]);
          return;
        }
        const created = [...model.namespaceManifests, ...model.objects];
        for (const object of kept) expect(created).toContain(object);
        for (const namespace of model.namespaces) {
          const inIt = kept.filter((object) => object.metadata.namespace === namespace);
          expect(inIt.map((object) => `${object.kind} ${object.metadata.name}`).sort()).toEqual([
            "LimitRange tenant-limits",
            "NetworkPolicy allow-tenant-and-platform",
            "NetworkPolicy default-deny-ingress",
            "NetworkPolicy tenant-egress",
            "ResourceQuota denied-priority-classes",
            "ResourceQuota tenant-quota",
          ]);
        }
        expect(kept.filter((object) => object.kind === "Namespace")).toEqual(model.namespaceManifests);
        // The users' access ends with the tenant: no RBAC, no identity outlives it.
        for (const object of kept) {
          expect(["Role", "RoleBinding", "ServiceAccount", "Secret"]).not.toContain(object.kind);
          expect(object.metadata.namespace).not.toBe(TENANT_USERS_NAMESPACE);
        }
      }),
      RUNS,
    );
  });

  it("no two tenants' users share an identity in tenant-users", () => {
    fc.assert(
      fc.property(tenantListArb, (tenants) => {
        const identities = tenants.flatMap((tenant) =>
          buildTenant(tenant.config)
            .objects.filter((object) => object.metadata.namespace === TENANT_USERS_NAMESPACE)
            .map((object) => `${object.kind} ${object.metadata.name}`),
        );
        expect(identities).toHaveLength(
          2 * tenants.reduce((sum, tenant) => sum + tenant.config.users.length, 0),
        );
        expect(new Set(identities).size).toBe(identities.length);
      }),
      RUNS,
    );
  });

  it("the pool has the sum of requests × namespaces allocated and allocatable × overcommit - allocated free", () => {
    const overcommitArb = fc.record({
      cpu: fc.integer({ min: 100, max: 1000 }).map((hundredths) => hundredths / 100),
      memory: fc.integer({ min: 100, max: 1000 }).map((hundredths) => hundredths / 100),
      storage: fc.integer({ min: 100, max: 1000 }).map((hundredths) => hundredths / 100),
    });
    const emptyPool = buildPool(withTenants([]));
    fc.assert(
      fc.property(tenantListArb, overcommitArb, (tenants, overcommit) => {
        const pool = buildPool(
          withTenants(
            tenants.map((tenant) => tenant.config),
            overcommit,
          ),
        );
        const expected = { cpu: 0, memory: 0, storage: 0 };
        for (const tenant of tenants) {
          const times = (tenant.config.namespaces ?? [tenant.config.name]).length;
          expected.cpu += tenant.requests.cpu * times;
          expected.memory += tenant.requests.memory * times;
          expected.storage += tenant.requests.storage * times;
        }
        expect(pool.byTenant.map((entry) => entry.tenant)).toEqual(
          tenants.map((tenant) => tenant.config.name),
        );
        expect(pool.allocated.cpu).toBeCloseTo(expected.cpu, 9);
        expect(pool.allocated.memory).toBe(expected.memory);
        expect(pool.allocated.storage).toBe(expected.storage);
        // Tenants do not change what the nodes offer.
        expect(pool.allocatable).toEqual(emptyPool.allocatable);
        expect(pool.overcommit).toEqual(overcommit);
        expect(pool.free.cpu).toBeCloseTo(pool.allocatable.cpu * overcommit.cpu - expected.cpu, 9);
        expect(pool.free.memory).toBeCloseTo(
          pool.allocatable.memory * overcommit.memory - expected.memory,
          0,
        );
        expect(pool.free.storage).toBeCloseTo(
          pool.allocatable.storage * overcommit.storage - expected.storage,
          0,
        );
      }),
      RUNS,
    );
  });

  it("removing one tenant leaves every other tenant's objects exactly as they were", () => {
    const listAndIndex = tenantListArb
      .filter((tenants) => tenants.length > 0)
      .chain((tenants) => fc.tuple(fc.constant(tenants), fc.nat({ max: tenants.length - 1 })));
    fc.assert(
      fc.property(listAndIndex, ([generated, removed]) => {
        const tenants = generated.map((tenant) => tenant.config);
        const before = buildClusterModel(withTenants(tenants)).tenants;
        const remaining = tenants.filter((_, index) => index !== removed);
        const after = buildClusterModel(withTenants(remaining)).tenants;
        expect(after.map((tenant) => tenant.name)).toEqual(remaining.map((tenant) => tenant.name));
        expect(after).toEqual(before.filter((_, index) => index !== removed));
        // ... and each equals the tenant built from its own entry alone (and the cluster's one RBAC switch).
        const rbac = { imageScanning: devConfig.imageScanningEnabled };
        expect(after).toEqual(remaining.map((tenant) => buildTenant(structuredClone(tenant), rbac)));
      }),
      RUNS,
    );
  });
});
