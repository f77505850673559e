import type { StackConfig } from "../../src/config/schema";
import { tenantNamespaces, tenantSchema } from "../../src/config/tenantSchema";
import { buildPool, quotaAmounts, SYSTEM_RESERVE } from "../../src/model/pool";
import { shippedConfig } from "../helpers/plan";

const GIB = 2 ** 30;

function config(stack: "dev" | "prod", edit?: (config: StackConfig) => void): StackConfig {
  const copy = structuredClone(shippedConfig(stack));
  edit?.(copy);
  return copy;
}

/**
 * Figures worked out by hand from the catalogue. Dev: cp-1..3 are cx23 (2 vCPU, 4 GB, 40 GB disk) as control
 * plane, worker-1 is a cx33 (4 vCPU, 8 GB, 80 GB disk) with a 20 GB volume.
 */
describe("the resource pool of the dev stack", () => {
  const pool = buildPool(config("dev"));

  it("offers what the server types and volumes offer", () => {
    expect(pool.capacity).toEqual({
      cpu: 3 * 2 + 4, // 10 cores
      memory: (3 * 4 + 8) * GIB, // 20 GiB
      storage: (3 * 40 + 80 + 20) * GIB, // 220 GiB
    });
  });

  it("keeps back the system reserve of three control-plane nodes and one worker", () => {
    expect(pool.reserved).toEqual({
      cpu: 3 * 1 + 0.5, // 3.5 cores
      memory: (3 * 2 + 1) * GIB, // 7 GiB
      storage: 4 * 30 * GIB, // 120 GiB
    });
    expect(SYSTEM_RESERVE).toEqual({
      "control-plane": { cpu: 1, memory: 2 * GIB, storage: 30 * GIB },
      worker: { cpu: 0.5, memory: GIB, storage: 30 * GIB },
    });
  });

  it("leaves capacity minus reserve allocatable, overcommitted by 1 by default", () => {
    expect(pool.allocatable).toEqual({ cpu: 6.5, memory: 13 * GIB, storage: 100 * GIB });
    expect(pool.overcommit).toEqual({ cpu: 1, memory: 1, storage: 1 });
  });

  it("counts each tenant's requests once per namespace", () => {
    // team-a: 1 namespace × (2 cores, 4Gi, 20Gi); team-b: 2 namespaces × (1 core, 2Gi, 10Gi).
    expect(pool.byTenant).toEqual([
      { tenant: "team-a", namespaces: 1, amounts: { cpu: 2, memory: 4 * GIB, storage: 20 * GIB } },
      { tenant: "team-b", namespaces: 2, amounts: { cpu: 2, memory: 4 * GIB, storage: 20 * GIB } },
    ]);
    expect(pool.allocated).toEqual({ cpu: 4, memory: 8 * GIB, storage: 40 * GIB });
  });

  it("has allocatable × overcommit - allocated free", () => {
    expect(pool.free).toEqual({ cpu: 2.5, memory: 5 * GIB, storage: 60 * GIB });
  });
});

describe("the resource pool under changes", () => {
  it("scales the allocatable amount, not the reserve, with overcommit", () => {
    const pool = buildPool(
      config("dev", (edited) => (edited.overcommit = { cpu: 2, memory: 1.5, storage: 1 })),
    );
    expect(pool.allocatable).toEqual({ cpu: 6.5, memory: 13 * GIB, storage: 100 * GIB });
    expect(pool.free).toEqual({
      cpu: 6.5 * 2 - 4, // 9 cores
      memory: 13 * 1.5 * GIB - 8 * GIB, // 11.5 GiB
      storage: 60 * GIB,
    });
  });

  it("goes negative when the tenants are promised more than the pool has", () => {
    const pool = buildPool(
      config("dev", (edited) => {
        edited.tenants[1].namespaces = ["team-b", "team-b-staging", "team-b-dev", "team-b-test", "team-b-qa"];
      }),
    );
    expect(pool.byTenant[1]).toEqual({
      tenant: "team-b",
      namespaces: 5,
      amounts: { cpu: 5, memory: 10 * GIB, storage: 50 * GIB },
    });
    expect(pool.allocated.cpu).toBe(7);
    expect(pool.free.cpu).toBe(-0.5);
    expect(pool.free.memory).toBe(-1 * GIB);
  });

  it("grows with a node and its volume", () => {
    const pool = buildPool(
      config("dev", (edited) =>
        edited.nodes.push({
          name: "worker-2",
          role: "worker",
          serverType: "ccx13",
          privateIp: "10.0.1.14",
          volumeSizeGb: 50,
        }),
      ),
    );
    // ccx13: 2 vCPU, 8 GB, 80 GB disk.
    expect(pool.capacity).toEqual({ cpu: 12, memory: 28 * GIB, storage: (220 + 80 + 50) * GIB });
    expect(pool.reserved).toEqual({ cpu: 4, memory: 8 * GIB, storage: 150 * GIB });
    expect(pool.allocatable).toEqual({ cpu: 8, memory: 20 * GIB, storage: 200 * GIB });
  });

  it("has nothing to promise, and nothing promised, without tenants", () => {
    const pool = buildPool(config("dev", (edited) => (edited.tenants = [])));
    expect(pool.byTenant).toEqual([]);
    expect(pool.allocated).toEqual({ cpu: 0, memory: 0, storage: 0 });
    expect(pool.free).toEqual(pool.allocatable);
  });

  it("never has a negative allocatable amount, even when a node is smaller than its reserve", () => {
    const pool = buildPool(
      config("dev", (edited) => {
        // cpx12: 1 vCPU, 2 GB, 40 GB disk, against the control-plane reserve of 1 core, 2 GiB and 30 GiB.
        edited.nodes = [{ name: "cp-1", role: "control-plane", serverType: "cpx12", privateIp: "10.0.1.10" }];
        edited.tenants = [];
      }),
    );
    expect(pool.allocatable).toEqual({ cpu: 0, memory: 0, storage: 10 * GIB });
  });
});

describe("the resource pool of the prod stack", () => {
  it("adds up three ccx23, three cpx42 and one ccx33 with their volumes, overcommitting CPU by 1.5", () => {
    const pool = buildPool(config("prod"));
    // ccx23: 4 vCPU, 16 GB, 160 GB + 50 GB volume; cpx42: 8, 16, 320 + 200; ccx33: 8, 32, 240 + 500.
    expect(pool.capacity).toEqual({
      cpu: 3 * 4 + 3 * 8 + 8,
      memory: (3 * 16 + 3 * 16 + 32) * GIB,
      storage: (3 * (160 + 50) + 3 * (320 + 200) + (240 + 500)) * GIB,
    });
    expect(pool.reserved).toEqual({ cpu: 3 + 4 * 0.5, memory: (3 * 2 + 4) * GIB, storage: 7 * 30 * GIB });
    expect(pool.allocatable).toEqual({ cpu: 39, memory: 118 * GIB, storage: 2720 * GIB });
    expect(pool.overcommit).toEqual({ cpu: 1.5, memory: 1, storage: 1 });
    // payments: 2 namespaces × (8, 16Gi, 200Gi); analytics: 8, 32Gi, 500Gi; web: 6, 12Gi, 50Gi.
    expect(pool.allocated).toEqual({ cpu: 30, memory: 76 * GIB, storage: 950 * GIB });
    expect(pool.free).toEqual({ cpu: 39 * 1.5 - 30, memory: 42 * GIB, storage: 1770 * GIB });
  });
});

describe("a tenant's share", () => {
  const tenant = tenantSchema.parse({
    name: "shop",
    quota: {
      requestsCpu: "1500m",
      requestsMemory: "1.5Gi",
      limitsCpu: "3",
      limitsMemory: "3Gi",
      storage: "512Mi",
    },
  });

  it("lives in a namespace of its own name unless it lists namespaces", () => {
    expect(tenantNamespaces(tenant)).toEqual(["shop"]);
    expect(tenantNamespaces({ ...tenant, namespaces: ["shop-a", "shop-b"] })).toEqual(["shop-a", "shop-b"]);
  });

  it("promises its requests in cores and bytes per namespace", () => {
    expect(quotaAmounts(tenant)).toEqual({ cpu: 1.5, memory: 1.5 * GIB, storage: 0.5 * GIB });
  });

  it("counts an unreadable quantity as nothing (validation reports it)", () => {
    expect(quotaAmounts({ ...tenant, quota: { ...tenant.quota, requestsCpu: "two" } }).cpu).toBe(0);
  });
});
