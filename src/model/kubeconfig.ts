import { parse, stringify } from "yaml";

/** Kubeconfigs handed to tenant users: their token, their namespaces, the cluster's CA and address. */

interface AdminKubeconfig {
  clusters?: { cluster?: { "certificate-authority-data"?: string } }[];
}

/** The cluster CA (base64) from the admin kubeconfig k3s writes; empty when it cannot be found. */
export function certificateAuthorityOf(adminKubeconfig: string): string {
  try {
    const parsed = parse(adminKubeconfig) as AdminKubeconfig | null;
    return parsed?.clusters?.[0]?.cluster?.["certificate-authority-data"] ?? "";
  } catch {
    return "";
  }
}

interface KubeconfigClusters {
  clusters?: { cluster?: Record<string, unknown> }[];
}

/**
 * The same kubeconfig pointed at another address of the same API server (its CA and credentials kept).
 * Text that is not a kubeconfig with clusters comes back unchanged: the provider reports it.
 */
export function withServer(kubeconfig: string, server: string): string {
  let parsed: KubeconfigClusters | null;
  try {
    parsed = parse(kubeconfig) as KubeconfigClusters | null;
  } catch {
    return kubeconfig;
  }
  const clusters = Array.isArray(parsed?.clusters) ? parsed.clusters : [];
  if (clusters.length === 0) return kubeconfig;
  for (const entry of clusters) entry.cluster = { ...entry.cluster, server };
  return stringify(parsed);
}

export interface UserKubeconfigArgs {
  clusterName: string;
  server: string;
  certificateAuthorityData: string;
  user: string;
  token: string;
  /** One context per namespace; the first is the current one. */
  namespaces: string[];
}

export function userKubeconfig(args: UserKubeconfigArgs): string {
  const contexts = args.namespaces.map((namespace) => ({
    name: `${args.clusterName}-${namespace}`,
    context: { cluster: args.clusterName, user: args.user, namespace },
  }));
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name: args.clusterName,
        cluster: { server: args.server, "certificate-authority-data": args.certificateAuthorityData },
      },
    ],
    users: [{ name: args.user, user: { token: args.token } }],
    contexts,
    "current-context": contexts[0]?.name ?? "",
  });
}

/**
 * The period the admin kubeconfig was read in, e.g. `2026-Q4`. k3s's client certificates last a year and
 * are renewed when k3s starts within 120 days of their end; reading the kubeconfig again once a quarter
 * (the first `pulumi up` of each) picks up a renewed one long before the old one expires.
 */
export function kubeconfigRenewal(date: Date): string {
  return `${date.getUTCFullYear()}-Q${Math.floor(date.getUTCMonth() / 3) + 1}`;
}
