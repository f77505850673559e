import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { runPlan as runPlanProcess } from "../helpers/cli";
import { PROJECT_DIR } from "../helpers/plan";

/**
 * The plan's error contract, end to end: every invalid input exits 2, prints nothing on stdout, and one line
 * per problem on stderr that names the file (as given, relative to the working directory) and the key.
 */

const DEV = readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8");

let dir: string;
beforeAll(() => (dir = mkdtempSync(path.join(tmpdir(), "plan-errors-"))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the plan as its own process in `cwd` (default: a scratch directory holding the test's files). */
const runPlan = (args: string[], cwd = dir) => runPlanProcess(args, cwd);

function write(name: string, text: string): string {
  writeFileSync(path.join(dir, name), text);
  return name;
}

/** The outcome of planning one stack file: exit code, stdout and the stderr lines. */
function planOf(name: string, text: string) {
  const { code, stdout, stderr } = runPlan(["--config", write(name, text)]);
  return { code, stdout, lines: stderr.trimEnd().split("\n") };
}

function aliasBomb(): string {
  let text = "x-a: &a [x, x, x, x, x, x, x, x, x]\n";
  for (const [index, name] of [..."bcdefghi"].entries()) {
    text += `x-${name}: &${name} [${Array(9).fill(`*${"abcdefgh"[index]}`).join(", ")}]\n`;
  }
  return `${text}config:\n  hetzner-k8s:sshPublicKeys: *i\n`;
}

describe("an unreadable stack file exits 2 with one line naming the file", () => {
  it.each([
    [
      "a YAML syntax error, at its line and column",
      "config:\n  hetzner-k8s:nodes: [cp-1\n  hetzner-k8s:clusterName: dev\n",
      "Pulumi.syntax.yaml:3:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ],
    [
      "a duplicate key, which YAML would otherwise resolve to its last value",
      DEV.replace(
        "  hetzner-k8s:location: fsn1\n",
        "  hetzner-k8s:location: fsn1\n  hetzner-k8s:clusterName: x\n",
      ),
      "Pulumi.duplicate.yaml:6:3: duplicate key config.hetzner-k8s:clusterName (each key may appear once)",
    ],
    [
      "an alias bomb",
      aliasBomb(),
      "Pulumi.bomb.yaml: invalid YAML: its aliases (*name) expand to more than 100 copies; write the values out",
    ],
    ["an empty file", "", "Pulumi.empty.yaml: the file is empty"],
    [
      "a top level that is not a mapping",
      "- cp-1\n- cp-2\n",
      "Pulumi.list.yaml: expected a mapping (key: value) at the top, got a list (2 items)",
    ],
    [
      "a file without config:",
      "encryptionsalt: v1:abc\n",
      "Pulumi.noconfig.yaml: has no config: mapping (the stack's settings go under it)",
    ],
  ])("%s", (_, text, line) => {
    const name = line.slice(0, line.indexOf(".yaml") + 5);
    expect(planOf(name, text)).toEqual({ code: 2, stdout: "", lines: [line] });
  });
});

describe("a file that is not there exits 2, naming it", () => {
  it("a stack without a stack file, with the stacks there are", () => {
    // Run from the project directory, where the stack files are; the line names the file relative to it.
    expect(runPlan(["--stack", "staging"], PROJECT_DIR)).toEqual({
      code: 2,
      stdout: "",
      stderr: "Pulumi.staging.yaml: no such stack file (the stacks here are dev, prod)\n",
    });
  });

  it.each(["--config", "--previous", "--diff"])("a missing %s file", (option) => {
    expect(runPlan([option, "missing.yaml"])).toEqual({
      code: 2,
      stdout: "",
      stderr: "missing.yaml: no such file\n",
    });
  });
});

describe("config problems exit 2, every one at once, each naming the file and the key", () => {
  it("shape and rule problems together, with the nearest key for a typo", () => {
    const text = DEV.replace("name: cp-2", "name: Web_1")
      .replace("privateIp: 10.0.1.12", "privateIp: 10.0.1.10")
      .replace("volumeSizeGb: 20", "volumeSizeGb: 5")
      .replace("hetzner-k8s:tenants:", "hetzner-k8s:tenats:")
      .replace("serverType: cx33", "serverType: cx33\n      severType: cx33");
    expect(planOf("Pulumi.bad.yaml", text)).toEqual({
      code: 2,
      stdout: "",
      lines: [
        'Pulumi.bad.yaml: hetzner-k8s:tenats: unknown key, did you mean "tenants"?',
        "Pulumi.bad.yaml: hetzner-k8s:nodes[1].name: must be a DNS-1123 label (lower-case letters, digits and '-', " +
          'alphanumeric at both ends), got "Web_1"',
        'Pulumi.bad.yaml: hetzner-k8s:nodes[3].severType: unknown key, did you mean "serverType"?',
        "Pulumi.bad.yaml: hetzner-k8s:nodes[2].privateIp: 10.0.1.10 is already taken by nodes[0] (cp-1)",
      ],
    });
  });

  it("a node list of the wrong type says what it wanted", () => {
    const text = DEV.replace(/ {2}hetzner-k8s:nodes:\n( {4}.*\n)+/, "  hetzner-k8s:nodes: cp-1\n");
    expect(planOf("Pulumi.text.yaml", text).lines).toEqual([
      'Pulumi.text.yaml: hetzner-k8s:nodes: expected a list of nodes, got the text "cp-1"',
    ]);
  });

  it("problems of the --previous file name that file", () => {
    const previous = write("Pulumi.previous.yaml", DEV.replace("role: worker", "role: agent"));
    expect(runPlan(["--config", write("Pulumi.next.yaml", DEV), "--previous", previous])).toEqual({
      code: 2,
      stdout: "",
      stderr:
        'Pulumi.previous.yaml: hetzner-k8s:nodes[3].role: must be "control-plane" or "worker", got "agent"\n',
    });
  });

  it("problems of the --diff file name that file, the change's refusals too", () => {
    const config = write("Pulumi.base.yaml", DEV);
    const invalid = write("Pulumi.invalid.yaml", DEV.replace("clusterName: dev", "clusterName: Dev"));
    const { code, stderr } = runPlan(["--config", config, "--diff", invalid]);
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^Pulumi\.invalid\.yaml: hetzner-k8s:clusterName: must be a DNS-1123 label .*, got "Dev"\n$/,
    );
    const renamed = write("Pulumi.renamed.yaml", DEV.replace("clusterName: dev", "clusterName: dev2"));
    expect(runPlan(["--config", config, "--diff", renamed]).stderr).toMatch(
      /^Pulumi\.renamed\.yaml: hetzner-k8s:clusterName: was dev in the last deployment/,
    );
  });
});
