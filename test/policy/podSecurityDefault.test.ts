import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse, stringify } from "yaml";
import {
  COMMAND_TYPE,
  exportedParameters,
  POD_SECURITY_FILE,
  podSecurityDefault,
} from "../../policy/policies/podSecurityDefault";
import { NAMESPACE_TYPE, TENANT_LABEL } from "../../policy/policies/tenantNamespacesIsolated";
import { readNodeScript, remoteScript, SCRIPTS_DIR } from "../../src/remote/remoteScript";
import { runStack, urnOf, type ResourceSpec } from "./helpers";

/** The servers' admission configuration as the program ships it. */
const SHIPPED = readFileSync(path.join(SCRIPTS_DIR, "k3s-pod-security.yaml"), "utf8");

type Admission = {
  plugins: {
    configuration: { defaults: Record<string, string>; exemptions: Record<string, string[]> };
  }[];
};

function edited(change: (admission: Admission) => void): string {
  const admission = parse(SHIPPED) as Admission;
  change(admission);
  return stringify(admission);
}

/** A k3s install command as the program builds it (src/k3s/nodeBootstrap.ts). */
function install(
  name: string,
  role: "server" | "agent",
  options: { podSecurity?: string; apiServerArgs?: string[] } = {},
  operation: "create" | "update" = "create",
): ResourceSpec {
  const environment: Record<string, string> = {
    NODE_NAME: name,
    K3S_ROLE: role,
    K3S_CONFIG_YAML: stringify({
      "node-name": name,
      ...(role === "server" && {
        "kube-apiserver-arg": options.apiServerArgs ?? [`admission-control-config-file=${POD_SECURITY_FILE}`],
      }),
    }),
    ...(role === "server" &&
      options.podSecurity !== "" && { K3S_POD_SECURITY_YAML: options.podSecurity ?? SHIPPED }),
  };
  const text = remoteScript({
    environment,
    scripts: [{ name: "install-k3s", text: readNodeScript("install-k3s") }],
    secretsOnStdin: true,
  });
  return { type: COMMAND_TYPE, name, props: { [operation]: text } };
}

const tenantNamespace = (name: string): ResourceSpec => ({
  type: NAMESPACE_TYPE,
  name,
  props: { metadata: { name, labels: { [TENANT_LABEL]: "team-a" } } },
});

describe("pod-security-default", () => {
  it("reads the parameters back from the command text, shell quoting undone", () => {
    const parameters = exportedParameters(String(install("cp-1", "server").props.create));
    expect(parameters.get("K3S_ROLE")).toBe("server");
    // The shipped file has apostrophes, which travel quoted.
    expect(SHIPPED).toContain("'");
    expect(parameters.get("K3S_POD_SECURITY_YAML")).toBe(SHIPPED);
  });

  it("accepts servers that pass the shipped admission configuration, and ignores agents and other commands", async () => {
    const violations = await runStack(podSecurityDefault, [
      install("cp-1-bootstrap", "server"),
      install("cp-1-reconfigure", "server", {}, "update"),
      install("worker-1-bootstrap", "agent"),
      { type: COMMAND_TYPE, name: "kubeconfig", props: { create: "cat /etc/rancher/k3s/k3s.yaml" } },
      tenantNamespace("team-a"),
    ]);
    expect(violations).toEqual([]);
  });

  it("refuses a server install without the admission configuration, naming the command", async () => {
    const violations = await runStack(podSecurityDefault, [
      install("cp-1-bootstrap", "server", { podSecurity: "" }),
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringContaining(
          'command "cp-1-bootstrap" (create) installs a k3s server, but its admission configuration (K3S_POD_SECURITY_YAML) does not make the PodSecurity plugin enforce baseline or restricted by default',
        ) as string,
        urn: urnOf(COMMAND_TYPE, "cp-1-bootstrap"),
      },
    ]);
  });

  it("refuses a server whose k3s config does not hand the API server the file", async () => {
    const violations = await runStack(podSecurityDefault, [
      install("cp-1-reconfigure", "server", { apiServerArgs: ["audit-log-maxage=30"] }, "update"),
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([
      expect.stringContaining(
        `(update) installs a k3s server, but its k3s config (K3S_CONFIG_YAML) does not pass kube-apiserver-arg admission-control-config-file=${POD_SECURITY_FILE}`,
      ),
    ]);
  });

  it.each([
    [
      "a privileged default",
      edited((admission) => {
        admission.plugins[0].configuration.defaults.enforce = "privileged";
      }),
      'defaults.enforce: "privileged"',
    ],
    [
      "an exempt tenant namespace",
      edited((admission) => {
        admission.plugins[0].configuration.exemptions.namespaces.push("team-a");
      }),
      "exempts the tenant namespaces team-a",
    ],
    [
      "an exempt user",
      edited((admission) => {
        admission.plugins[0].configuration.exemptions.usernames = ["system:serviceaccount:team-a:ci"];
      }),
      "exempts usernames (system:serviceaccount:team-a:ci)",
    ],
    [
      "an exempt runtime class",
      edited((admission) => {
        admission.plugins[0].configuration.exemptions.runtimeClasses = ["kata"];
      }),
      "exempts runtimeClasses (kata)",
    ],
    ["a configuration that is not one", "plugins: []\n", "does not make the PodSecurity plugin enforce"],
  ])("refuses %s", async (_, podSecurity, problem) => {
    const violations = await runStack(podSecurityDefault, [
      install("cp-1-bootstrap", "server", { podSecurity }),
      tenantNamespace("team-a"),
    ]);
    expect(violations.map((violation) => violation.message)).toEqual([expect.stringContaining(problem)]);
  });
});
