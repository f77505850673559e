import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { runPlan } from "../helpers/cli";

jest.setTimeout(300_000);

/**
 * The docs' examples are output the program really prints. A block introduced by
 * `<!-- output of: npm run -s plan -- <args> -->` must appear in what that command prints (stdout, then
 * stderr): its lines in order and consecutive, where a line `...` stands for any number of lines.
 */

const REPO = path.resolve(__dirname, "../..");
const MARKER = /<!-- output of: npm run -s plan -- (.+?) -->\n\n?```text\n([\s\S]*?)\n```/g;

interface Example {
  file: string;
  args: string[];
  expected: string[];
}

function examplesIn(file: string): Example[] {
  const text = readFileSync(path.join(REPO, file), "utf8");
  return [...text.matchAll(MARKER)].map((match) => ({
    file,
    args: match[1].split(" "),
    expected: match[2].split("\n"),
  }));
}

/** Whether the expected lines appear in order in the output, each run between `...` lines consecutive. */
function appearsIn(expected: readonly string[], output: readonly string[]): boolean {
  const runs: string[][] = [[]];
  for (const line of expected) {
    if (line === "...") runs.push([]);
    else runs[runs.length - 1].push(line);
  }
  let from = 0;
  for (const run of runs.filter((lines) => lines.length > 0)) {
    let found = -1;
    for (let start = from; start + run.length <= output.length && found < 0; start++) {
      if (run.every((line, offset) => output[start + offset] === line)) found = start;
    }
    if (found < 0) return false;
    from = found + run.length;
  }
  return true;
}

const docs = ["README.md", ...readdirSync(path.join(REPO, "docs")).map((name) => path.join("docs", name))]
  .filter((file) => file.endsWith(".md"))
  .flatMap(examplesIn);

describe("appearsIn", () => {
  it("matches consecutive runs in order, with ... for any lines", () => {
    expect(appearsIn(["a", "b"], ["x", "a", "b"])).toBe(true);
    expect(appearsIn(["a", "b"], ["a", "x", "b"])).toBe(false);
    expect(appearsIn(["a", "...", "c"], ["a", "b", "b", "c"])).toBe(true);
    expect(appearsIn(["c", "...", "a"], ["a", "b", "c"])).toBe(false);
  });
});

describe("the docs' examples", () => {
  it("exist", () => {
    expect(docs.length).toBeGreaterThanOrEqual(3);
  });

  it.each(docs.map((example) => [example.file, example.args.join(" "), example] as const))(
    "%s: plan %s prints what the docs show",
    (_file, _args, example) => {
      const run = runPlan(example.args);
      const output = `${run.stdout}${run.stderr}`.split("\n");
      if (!appearsIn(example.expected, output))
        throw new Error(
          `${example.file}: the example of "plan ${example.args.join(" ")}" is not what it prints; it prints:\n` +
            output.join("\n"),
        );
    },
  );
});
