import type { PolicyResource } from "@pulumi/policy";
import { parse } from "yaml";
import { field, isRecord, plainProps, resourcesOfType, type StackPolicy } from "./common";
import { NAMESPACE_TYPE, RESTRICTING_LEVELS, TENANT_LABEL } from "./tenantNamespacesIsolated";

export const COMMAND_TYPE = "command:remote:Command";

/**
 * How the program installs k3s on a node: a remote command whose text sets the node's parameters as
 * `export NAME='value'` lines, then runs install-k3s.sh as a quoted here-document (src/k3s/remoteScript.ts).
 * The script writes K3S_CONFIG_YAML to /etc/rancher/k3s/config.yaml and, on servers, K3S_POD_SECURITY_YAML
 * to this file, which the API server reads only if config.yaml names it.
 */
export const INSTALL_SCRIPT_MARKER = "<<'__HETZNER_K8S_INSTALL_K3S__'";
export const POD_SECURITY_FILE = "/etc/rancher/k3s/pod-security.yaml";

/** The `export NAME='value'` parameters in a command's text before its first script, shell quoting undone. */
export function exportedParameters(text: string): Map<string, string> {
  const head = text.split("\nbash <<'")[0];
  const parameters = new Map<string, string>();
  for (const match of head.matchAll(/^export ([A-Z_][A-Z0-9_]*)='((?:[^']|'\\'')*)'$/gm)) {
    parameters.set(match[1], match[2].replace(/'\\''/g, "'"));
  }
  return parameters;
}

function parsed(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `value[key]` of parsed YAML, if `value` is a mapping. */
function at(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** What is wrong with a server's install parameters, in the words of a violation (none: []). */
export function podSecurityProblems(
  parameters: ReadonlyMap<string, string>,
  tenantNamespaces: readonly string[],
): string[] {
  const problems: string[] = [];
  const apiServerArgs = at(parsed(parameters.get("K3S_CONFIG_YAML")), "kube-apiserver-arg");
  if (
    !Array.isArray(apiServerArgs) ||
    !apiServerArgs.includes(`admission-control-config-file=${POD_SECURITY_FILE}`)
  )
    problems.push(
      `its k3s config (K3S_CONFIG_YAML) does not pass kube-apiserver-arg ` +
        `admission-control-config-file=${POD_SECURITY_FILE}: the API server leaves namespaces without ` +
        `Pod Security labels privileged`,
    );
  const admission = parsed(parameters.get("K3S_POD_SECURITY_YAML"));
  const plugins = at(admission, "kind") === "AdmissionConfiguration" ? at(admission, "plugins") : undefined;
  const podSecurity = Array.isArray(plugins)
    ? (plugins as unknown[]).find((plugin) => at(plugin, "name") === "PodSecurity")
    : undefined;
  const configuration = at(podSecurity, "configuration");
  const enforce = at(at(configuration, "defaults"), "enforce");
  if (typeof enforce !== "string" || !RESTRICTING_LEVELS.includes(enforce)) {
    problems.push(
      `its admission configuration (K3S_POD_SECURITY_YAML) does not make the PodSecurity plugin enforce ` +
        `${RESTRICTING_LEVELS.join(" or ")} by default (defaults.enforce: ${JSON.stringify(enforce ?? null)})`,
    );
  }
  const exemptions = at(configuration, "exemptions");
  const exempted = at(exemptions, "namespaces");
  const exemptTenants = Array.isArray(exempted)
    ? tenantNamespaces.filter((name) => exempted.includes(name))
    : [];
  if (exemptTenants.length > 0)
    problems.push(`its admission configuration exempts the tenant namespaces ${exemptTenants.join(", ")}`);
  for (const kind of ["usernames", "runtimeClasses"]) {
    const list = at(exemptions, kind);
    if (Array.isArray(list) && list.length > 0)
      problems.push(
        `its admission configuration exempts ${kind} (${list.map(String).join(", ")}), past which pods ` +
          `escape Pod Security`,
      );
  }
  return problems;
}

function tenantNamespaceNames(resources: readonly PolicyResource[]): string[] {
  return resourcesOfType(resources, NAMESPACE_TYPE).flatMap((namespace) => {
    const metadata = field(plainProps(namespace.props), "metadata");
    const labels = field(metadata, "labels");
    const name = field(metadata, "name");
    return isRecord(labels) && TENANT_LABEL in labels && typeof name === "string" ? [name] : [];
  });
}

export const podSecurityDefault: StackPolicy = {
  name: "pod-security-default",
  description:
    `Every command that installs k3s on a server passes the API server an admission configuration ` +
    `(admission-control-config-file=${POD_SECURITY_FILE}) whose PodSecurity defaults enforce ` +
    `${RESTRICTING_LEVELS.join(" or ")} and which exempts no tenant namespace, user or runtime class, so ` +
    `a namespace without Pod Security labels refuses privileged pods.`,
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const tenants = tenantNamespaceNames(args.resources);
    for (const command of resourcesOfType(args.resources, COMMAND_TYPE)) {
      const props = plainProps(command.props);
      for (const operation of ["create", "update"] as const) {
        const text = props[operation];
        // A text not known yet (or none) is no install this policy can judge.
        if (typeof text !== "string" || !text.includes(INSTALL_SCRIPT_MARKER)) continue;
        const parameters = exportedParameters(text);
        if (parameters.get("K3S_ROLE") !== "server") continue;
        for (const problem of podSecurityProblems(parameters, tenants))
          reportViolation(
            `command "${command.name}" (${operation}) installs a k3s server, but ${problem}.`,
            command.urn,
          );
      }
    }
  },
};
