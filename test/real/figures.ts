/**
 * Figures of the real tier (npm run bench:real): the real `pulumi up` of the Kubernetes layers for the
 * shipped stacks' tenants and for 200 tenants, next to the offline plan of the same config, from one run
 * each. Prints a table; docs/benchmarks.md keeps a run.
 */
import type { StackConfig } from "../../src/config/schema";
import { evaluatePlan } from "../../src/plan/evaluate";
import { Kubectl } from "./harness/kubectl";
import { editedConfig } from "../helpers/plan";
import { kubernetesLayersProgram } from "./harness/program";
import { RealStack } from "./harness/stack";
import { stackFromConfig } from "../../src/stack";

function manyTenants(count: number): StackConfig {
  return editedConfig("prod", (config) => {
    config.tenants = Array.from({ length: count }, (_, index) => ({
      ...structuredClone(config.tenants[0]),
      name: `bench-${index + 1}`,
      namespaces: undefined,
      users: ["ci"],
      allowDeletion: true,
      quota: {
        ...config.tenants[0].quota,
        requestsCpu: "10m",
        requestsMemory: "16Mi",
        limitsCpu: "20m",
        limitsMemory: "32Mi",
        storage: "0",
      },
    }));
  });
}

async function seconds<T>(work: () => Promise<T>): Promise<[number, T]> {
  const started = process.hrtime.bigint();
  const result = await work();
  return [Number(process.hrtime.bigint() - started) / 1e9, result];
}

/** @param destroy also time `pulumi destroy` (left out for the largest case, which takes as long as up) */
async function measure(label: string, config: StackConfig, destroy = true): Promise<string[]> {
  const [planSeconds, plan] = await seconds(() => evaluatePlan(label, stackFromConfig(config)));
  const stack = await RealStack.create(label);
  const [upSeconds, up] = await seconds(() => stack.up(kubernetesLayersProgram(config)));
  const [destroySeconds] = destroy ? await seconds(() => stack.destroy()) : [NaN];
  await stack.remove();
  // Namespaces the stack kept (allowDeletion false) or left (no destroy) would collide with the next case.
  for (const tenant of config.tenants) {
    for (const namespace of tenant.namespaces ?? [tenant.name])
      Kubectl.admin().run(["delete", "namespace", namespace, "--ignore-not-found", "--wait=false"]);
  }
  const created = up.steps.filter((step) => step.op === "create").length;
  return [
    label,
    String(config.tenants.length),
    String(created),
    upSeconds.toFixed(1),
    Number.isNaN(destroySeconds) ? "-" : destroySeconds.toFixed(1),
    String(plan.resources.length),
    planSeconds.toFixed(2),
    (upSeconds / planSeconds).toFixed(0),
  ];
}

const WIDTHS = [12, 8, 8, 8, 10, 8, 7, 8];

/** One row as soon as its case is measured: the 200-tenant case takes many minutes. */
function print(row: string[]): void {
  console.log(row.map((cell, column) => cell.padEnd(WIDTHS[column])).join("  "));
}

async function main(): Promise<void> {
  print(["CASE", "TENANTS", "CREATED", "UP s", "DESTROY s", "PLANNED", "PLAN s", "UP/PLAN"]);
  print(await measure("dev", editedConfig("dev")));
  print(await measure("prod", editedConfig("prod")));
  print(await measure("tenants-200", manyTenants(200), false));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
