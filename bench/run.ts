import { Command } from "commander";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { stackConfigSchema, type StackConfig } from "../src/config/schema";
import type { TenantConfig } from "../src/config/tenantSchema";
import { bootstrapLevels, createCommands } from "../src/plan/bootstrapPath";
import { evaluatePlan, evaluateProgram } from "../src/plan/evaluate";
import { readStackConfig, stackFileFor } from "../src/plan/stackFile";
import { buildClusterModel } from "../src/model/cluster";
import { loadStack, type LoadedStack } from "../src/stack";

/**
 * `npm run bench`: how evaluating the program scales with nodes and tenants, against a bare baseline that
 * registers the same number of plain resources in the same process under the same mocks (so machine noise
 * cancels), plus the SSH shape of the bootstrap. Prints a Markdown table.
 */

const PROJECT_DIR = path.resolve(__dirname, "..");

/** The dev stack's settings, with `nodes` nodes and `tenants` tenants; validation is not part of the timing. */
function benchConfig(nodes: number, tenants: number): StackConfig {
  const raw = readStackConfig(stackFileFor(PROJECT_DIR, "dev"), PROJECT_DIR);
  const base = loadStack({ raw }).config;
  const config = stackConfigSchema.parse({ ...base, nodeSubnetCidr: "10.0.0.0/20" });
  config.nodes = Array.from({ length: nodes }, (_, index) => ({
    name: `node-${index + 1}`,
    role: index < 3 ? ("control-plane" as const) : ("worker" as const),
    serverType: "cx33",
    privateIp: `10.0.${Math.floor((index + 10) / 250)}.${((index + 10) % 250) + 1}`,
    ...(index % 4 === 3 && { volumeSizeGb: 50 }),
  }));
  const template = base.tenants[0];
  config.tenants = Array.from({ length: tenants }, (_, index): TenantConfig => ({
    ...structuredClone(template),
    name: `tenant-${index + 1}`,
    namespaces: undefined,
    users: ["dev", "ci"],
  }));
  return config;
}

class Plain extends pulumi.CustomResource {
  constructor(name: string, index: number) {
    super("bench:index:Plain", name, { index }, {});
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const start = process.hrtime.bigint();
  const result = await run();
  return { result, ms: Number(process.hrtime.bigint() - start) / 1e6 };
}

interface Row {
  nodes: number;
  tenants: number;
  resources: number;
  ms: number;
  baselineMs: number;
  sshSteps: number;
  sessionsPerNode: number;
  heapMb: number;
}

async function measure(nodes: number, tenants: number): Promise<Row> {
  const config = benchConfig(nodes, tenants);
  // A synthetic stack as large as the measurement needs, not one a deployment would accept (its tenants
  // outgrow the pool): the model is built as the loader builds it, and no rule is checked.
  const program = await timed(() =>
    evaluatePlan("bench", { config, model: buildClusterModel(config) } satisfies LoadedStack),
  );
  const count = program.result.resources.length;
  const baseline = await timed(() =>
    evaluateProgram("bench", () => {
      for (let index = 0; index < count; index += 1) new Plain(`plain-${index}`, index);
      return {};
    }),
  );
  const perNode = new Map<string, number>();
  for (const command of createCommands(program.result)) {
    const node = command.name === "kubeconfig" ? "node-1" : command.name.replace(/-bootstrap$/, "");
    perNode.set(node, (perNode.get(node) ?? 0) + 1);
  }
  return {
    nodes,
    tenants,
    resources: count,
    ms: program.ms,
    baselineMs: baseline.ms,
    sshSteps: bootstrapLevels(program.result).length,
    sessionsPerNode: Math.max(...perNode.values()),
    heapMb: process.memoryUsage().heapUsed / 2 ** 20,
  };
}

function table(rows: Row[]): string {
  const header =
    "| nodes | tenants | resources | evaluation (ms) | µs per resource | baseline (ms) | ratio to baseline | sequential SSH steps | SSH sessions per node (max) | heap (MiB) |";
  const rule = "|" + "---|".repeat(10);
  const lines = rows.map(
    (row) =>
      `| ${row.nodes} | ${row.tenants} | ${row.resources} | ${row.ms.toFixed(0)} | ${((row.ms * 1000) / row.resources).toFixed(0)} | ` +
      `${row.baselineMs.toFixed(0)} | ${(row.ms / row.baselineMs).toFixed(2)} | ${row.sshSteps} | ${row.sessionsPerNode} | ${row.heapMb.toFixed(0)} |`,
  );
  return [header, rule, ...lines].join("\n");
}

function numbers(text: string): number[] {
  return text.split(",").map((part) => Number(part.trim()));
}

async function main(argv: string[]): Promise<void> {
  const options = new Command()
    .name("bench")
    .option("--nodes <list>", "node counts", "3,10,50,100,200")
    .option("--tenants <list>", "tenant counts", "2,50,200,1000")
    .option("--quick", "small sizes only (CI): nodes 3,10 and tenants 2,50")
    .parse(argv, { from: "user" })
    .opts<{ nodes: string; tenants: string; quick?: boolean }>();
  const nodeCounts = options.quick ? [3, 10] : numbers(options.nodes);
  const tenantCounts = options.quick ? [2, 50] : numbers(options.tenants);
  // One untimed run loads every module and warms the JIT.
  await measure(3, 2);
  const rows: Row[] = [];
  for (const nodes of nodeCounts) {
    for (const tenants of tenantCounts) {
      rows.push(await measure(nodes, tenants));
      process.stderr.write(`measured ${nodes} nodes, ${tenants} tenants\n`);
    }
  }
  const cpu = os.cpus()[0]?.model ?? "unknown CPU";
  process.stdout.write(
    `Machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node.js ${process.version}\n\n`,
  );
  process.stdout.write(table(rows) + "\n");
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
