import { readFileSync } from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import { parse } from "yaml";
import { z } from "zod";
import {
  SECRET_CONFIG_KEYS,
  STACK_CONFIG_KEYS,
  STRUCTURED_CONFIG_KEYS,
  stackConfigSchema,
  type StackConfigKey,
} from "../../src/config/schema";
import { PROJECT_DIR, removeKey } from "./fixtures";

interface Declaration {
  type?: string;
  description?: string;
  default?: unknown;
  items?: { type?: string };
}

const projectText = readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8");
const declared = (parse(projectText) as { config: Record<string, Declaration> }).config;
const declaredKeys = Object.keys(declared);
const withDefault = declaredKeys.filter((name) => "default" in declared[name]);
const withoutDefault = declaredKeys.filter((name) => !("default" in declared[name]));

/** The smallest config the schema accepts: only the keys Pulumi.yaml gives no default. */
const minimal = {
  clusterName: "x",
  sshAllowedSources: ["0.0.0.0/0"],
  apiAllowedSources: ["0.0.0.0/0"],
  nodes: [],
};

/** The Pulumi type a schema field corresponds to. */
function pulumiType(name: StackConfigKey): string {
  const field = stackConfigSchema.shape[name];
  const inner = field instanceof z.ZodDefault ? field.unwrap() : field;
  if (inner instanceof z.ZodString || inner instanceof z.ZodEnum) return "string";
  if (inner instanceof z.ZodBoolean) return "boolean";
  if (inner instanceof z.ZodNumber) return "integer";
  if (inner instanceof z.ZodArray) return "array";
  return "unmapped";
}

describe("Pulumi.yaml declarations", () => {
  // Structured keys cannot be typed in Pulumi.yaml, and a declared secret without a default would be required.
  const undeclared: readonly string[] = [...STRUCTURED_CONFIG_KEYS, ...SECRET_CONFIG_KEYS];

  it("declares every schema key except nodes and the credentials, and nothing else", () => {
    expect([...declaredKeys].sort()).toEqual(
      STACK_CONFIG_KEYS.filter((name) => !undeclared.includes(name)).sort(),
    );
  });

  it("describes each credential and structured key in a comment", () => {
    const comments = projectText.split("\n").filter((line) => line.trimStart().startsWith("#"));
    for (const key of [...SECRET_CONFIG_KEYS, ...STRUCTURED_CONFIG_KEYS])
      expect(comments.join("\n")).toContain(`${key}`);
  });

  it("describes every key it declares, the one description of that key", () => {
    const undescribed = declaredKeys.filter(
      (name) => typeof declared[name].description !== "string" || declared[name].description.trim() === "",
    );
    expect(undescribed).toEqual([]);
  });

  it("leaves the schema no description of its own for a top-level key", () => {
    const file = path.join(PROJECT_DIR, "src/config/schema.ts");
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const described: string[] = [];
    const visit = (node: ts.Node): void => {
      if (
        ts.isVariableDeclaration(node) &&
        node.name.getText() === "stackConfigSchema" &&
        node.initializer &&
        ts.isCallExpression(node.initializer)
      ) {
        const [shape] = node.initializer.arguments;
        if (shape && ts.isObjectLiteralExpression(shape)) {
          for (const property of shape.properties)
            if (ts.getJSDocCommentsAndTags(property).length > 0)
              described.push(property.name?.getText() ?? "?");
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
    expect(described).toEqual([]);
  });

  it("has every key in the README's table of keys, once, and no other", () => {
    const lines = readFileSync(path.join(PROJECT_DIR, "README.md"), "utf8").split("\n");
    const header = lines.findIndex((line) => /^\| key +\| default +\| meaning/.test(line));
    expect(header).toBeGreaterThan(0);
    const rows: string[] = [];
    for (let index = header + 2; lines[index]?.startsWith("|"); index += 1)
      rows.push(/^\| `([^`]+)`/.exec(lines[index])?.[1] ?? lines[index]);
    expect([...rows].sort()).toEqual([...STACK_CONFIG_KEYS].sort());
  });

  it("describes nodes and each of its fields in a comment", () => {
    const comments = projectText.split("\n").filter((line) => line.trimStart().startsWith("#"));
    expect(comments).toContainEqual(expect.stringMatching(/^#\s+nodes:/));
    for (const field of Object.keys(stackConfigSchema.shape.nodes.element.shape)) {
      expect(comments).toContainEqual(expect.stringMatching(new RegExp(`^#\\s+${field}:`)));
    }
  });

  it("declares the same type as the schema", () => {
    for (const name of declaredKeys) {
      expect([name, declared[name].type]).toEqual([name, pulumiType(name as StackConfigKey)]);
      if (declared[name].type === "array")
        expect([name, declared[name].items?.type]).toEqual([name, "string"]);
    }
  });

  it("declares the same defaults as the schema", () => {
    const parsed = stackConfigSchema.parse(minimal);
    expect(withDefault.length).toBeGreaterThan(0);
    for (const name of withDefault) {
      expect([name, parsed[name as StackConfigKey]]).toEqual([name, declared[name].default]);
    }
  });

  it("declares a default exactly where the schema has one", () => {
    const schemaDefaults = STACK_CONFIG_KEYS.filter(
      (name) => stackConfigSchema.shape[name] instanceof z.ZodDefault,
    );
    expect([...withDefault].sort()).toEqual(
      schemaDefaults.filter((name) => !undeclared.includes(name)).sort(),
    );
  });

  it("leaves keys without a default required by the schema", () => {
    expect(withoutDefault).toEqual(
      expect.arrayContaining(["clusterName", "sshAllowedSources", "apiAllowedSources"]),
    );
    for (const name of withoutDefault) {
      const without: Record<string, unknown> = { ...minimal };
      removeKey(without, name);
      const result = stackConfigSchema.safeParse(without);
      expect([name, result.success]).toEqual([name, false]);
      expect(result.error?.issues.map((issue) => issue.path)).toEqual([[name]]);
    }
  });
});
