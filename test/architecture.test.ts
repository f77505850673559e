import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";

/**
 * The import graph of src/, read with the TypeScript compiler: no module reaches itself through its
 * imports (type-only imports included: a cycle of types is a cycle of meaning), every edge between
 * layers is one of the allowed ones, and docs/architecture.md draws exactly those edges.
 */

const ROOT = path.resolve(__dirname, "..");
const SRC = path.join(ROOT, "src");

/** The layer of a file: its folder under src/, the page (src/console/web) apart, or a top-level module. */
function layerOf(file: string): string {
  const parts = path.relative(SRC, file).split(path.sep);
  if (parts[0] === "console" && parts[1] === "web") return "web";
  return parts.length === 1 ? parts[0].replace(/\.ts$/, "") : parts[0];
}

/**
 * Who may import whom. The leaves (names, versions, units) import nothing of the project; config validates; the
 * model is pure and reads validated config; the components (infra, k3s, platform, tenants) build
 * resources from the model, the Kubernetes ones through kubernetes/ (manifests as Pulumi resources), the
 * SSH ones (the gateway's setup, k3s on the nodes) through remote/ (command texts and connections), and
 * look up what they built with lookup.ts; stack is the one loader (config, then the model and what depends on
 * it); program composes the components from a loaded stack; plan runs program offline; console serves plan,
 * config and model; the page (web) takes types only from the console's views; cli starts plan and console.
 */
const ALLOWED = [
  "config -> names",
  "config -> versions",
  "config -> units",
  "model -> config",
  "model -> names",
  "model -> versions",
  "model -> units",
  "infra -> model",
  "infra -> names",
  "infra -> lookup",
  "k3s -> lookup",
  "infra -> remote",
  "k3s -> remote",
  "tenants -> lookup",
  "platform -> lookup",
  "k3s -> model",
  "platform -> model",
  "platform -> kubernetes",
  "tenants -> model",
  "tenants -> kubernetes",
  "kubernetes -> model",
  "stack -> config",
  "stack -> model",
  "program -> config",
  "program -> model",
  "program -> infra",
  "program -> k3s",
  "program -> platform",
  "program -> tenants",
  "program -> lookup",
  "program -> stack",
  "plan -> config",
  "plan -> model",
  "plan -> names",
  "plan -> units",
  "plan -> program",
  "plan -> stack",
  "console -> config",
  "console -> model",
  "console -> names",
  "console -> plan",
  "console -> stack",
  "web -> console",
  "web -> model",
  "web -> plan",
  "web -> units",
  "cli -> config",
  "cli -> console",
  "cli -> plan",
];

/** Modules that import nothing of the project: any layer may import them, the page included. */
const LEAVES = ["names", "versions", "units"];

/** Edges still to go, allowed until then and drawn dashed in docs/architecture.md: none left. */
const TO_REMOVE: string[] = [];

interface Import {
  from: string;
  to: string;
  typeOnly: boolean;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return full.endsWith(".ts") ? [full] : [];
  });
}

function importsOf(file: string): Import[] {
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
  const found: Import[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (!specifier || !ts.isStringLiteral(specifier) || !specifier.text.startsWith(".")) continue;
    const target = path.resolve(path.dirname(file), specifier.text);
    const resolved = [`${target}.ts`, path.join(target, "index.ts")].find((candidate) =>
      existsSync(candidate),
    );
    if (!resolved)
      throw new Error(`${path.relative(ROOT, file)} imports ${specifier.text}, which does not exist`);
    const clause = ts.isImportDeclaration(statement) ? statement.importClause : undefined;
    const named =
      clause?.namedBindings && ts.isNamedImports(clause.namedBindings) ? clause.namedBindings : undefined;
    const typeOnly = ts.isImportDeclaration(statement)
      ? clause?.isTypeOnly === true ||
        (clause?.name === undefined &&
          named !== undefined &&
          named.elements.length > 0 &&
          named.elements.every((element) => element.isTypeOnly))
      : statement.isTypeOnly;
    found.push({ from: file, to: resolved, typeOnly });
  }
  return found;
}

const files = sourceFiles(SRC);
const imports = files.flatMap(importsOf);

/** Every cycle's modules (strongly connected components of more than one module, or a self-import). */
function cycles(): string[][] {
  const next = new Map<string, string[]>(files.map((file) => [file, []]));
  for (const edge of imports) next.get(edge.from)?.push(edge.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let counter = 0;
  const visit = (file: string): void => {
    index.set(file, counter);
    low.set(file, counter);
    counter += 1;
    stack.push(file);
    onStack.add(file);
    for (const to of next.get(file) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(file, Math.min(low.get(file) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) low.set(file, Math.min(low.get(file) ?? 0, index.get(to) ?? 0));
    }
    if (low.get(file) !== index.get(file)) return;
    const component: string[] = [];
    let member: string | undefined;
    do {
      member = stack.pop();
      if (member === undefined) break;
      onStack.delete(member);
      component.push(path.relative(ROOT, member));
    } while (member !== file);
    if (component.length > 1 || (next.get(file) ?? []).includes(file)) found.push(component.sort());
  };
  for (const file of files) if (!index.has(file)) visit(file);
  return found;
}

function layerEdges(): Map<string, string[]> {
  const edges = new Map<string, string[]>();
  for (const edge of imports) {
    const [from, to] = [layerOf(edge.from), layerOf(edge.to)];
    if (from === to) continue;
    const key = `${from} -> ${to}`;
    edges.set(key, [
      ...(edges.get(key) ?? []),
      `${path.relative(ROOT, edge.from)} imports ${path.relative(ROOT, edge.to)}`,
    ]);
  }
  return edges;
}

describe("the architecture of src/", () => {
  it("has no import cycle", () => {
    expect(cycles()).toEqual([]);
  });

  it("imports across layers only along the allowed edges", () => {
    const allowed = new Set([...ALLOWED, ...TO_REMOVE]);
    const unexpected = [...layerEdges()].filter(([edge]) => !allowed.has(edge)).map(([, where]) => where[0]);
    expect(unexpected).toEqual([]);
  });

  it("keeps the leaves free of the project's imports", () => {
    const leaves = imports.filter((edge) => LEAVES.includes(layerOf(edge.from)));
    expect(leaves.map((edge) => path.relative(ROOT, edge.from))).toEqual([]);
  });

  it("gives the page nothing of the server but types, and the leaves", () => {
    const page = imports.filter(
      (edge) =>
        layerOf(edge.from) === "web" &&
        layerOf(edge.to) !== "web" &&
        !edge.typeOnly &&
        !LEAVES.includes(layerOf(edge.to)),
    );
    expect(
      page.map((edge) => `${path.relative(ROOT, edge.from)} -> ${path.relative(ROOT, edge.to)}`),
    ).toEqual([]);
  });

  it("lists no allowed edge that no import uses any more", () => {
    const used = new Set(layerEdges().keys());
    expect([...ALLOWED, ...TO_REMOVE].filter((edge) => !used.has(edge))).toEqual([]);
  });

  it("is drawn in docs/architecture.md with the same edges, the ones to remove dashed", () => {
    const doc = readFileSync(path.join(ROOT, "docs/architecture.md"), "utf8");
    const block = /<!-- layers: checked by test\/architecture\.test\.ts -->\s*```mermaid\n([\s\S]*?)```/.exec(
      doc,
    )?.[1];
    if (block === undefined) throw new Error("docs/architecture.md has no layers diagram");
    const drawn = (arrow: string) =>
      [...block.matchAll(new RegExp(`^\\s*([\\w]+)\\s*${arrow}\\s*([\\w]+)\\s*$`, "gm"))]
        .map((match) => `${match[1]} -> ${match[2]}`)
        .sort();
    expect(drawn("-->")).toEqual([...ALLOWED].sort());
    expect(drawn("-\\.->")).toEqual([...TO_REMOVE].sort());
  });
});
