import type { INetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import type { INetworkPolicyPeer } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer";
import type { INetworkPolicySpec } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicySpec";
import { manifestOf, metadata, type Manifest } from "./common";

/**
 * The NetworkPolicy shapes every platform namespace is built from: one default-deny ingress policy, then
 * one allowance per client. A leaf of its own, so that the add-ons' policy modules and networkPolicies.ts,
 * which gathers them, need not import each other.
 */

const DEFAULT_DENY_INGRESS = "default-deny-ingress";

export type Peer = INetworkPolicyPeer;
export interface Port {
  /** A number, or the name of a container port: the chart's own name follows its port if an operator moves it. */
  port: number | string;
  protocol: "TCP" | "UDP";
}

export const tcp = (port: number | string): Port => ({ port, protocol: "TCP" });

/** Every pod of the namespace called `name`. */
export const byNamespace = (name: string): Peer => ({
  namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": name } },
});

/** Pods named `app.kubernetes.io/name: <app>` in namespace `namespace`. */
export const appInNamespace = (namespace: string, app: string): Peer => ({
  ...byNamespace(namespace),
  podSelector: { matchLabels: { "app.kubernetes.io/name": app } },
});

function ingressPolicy(name: string, namespace: string, spec: Partial<INetworkPolicySpec>): Manifest {
  return manifestOf<INetworkPolicy>({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadata(name, namespace),
    spec: { podSelector: {}, policyTypes: ["Ingress"], ...spec },
  });
}

/** Selects every pod and admits nothing: each allowance adds exactly one client. */
export function defaultDenyIngress(namespace: string): Manifest {
  return ingressPolicy(DEFAULT_DENY_INGRESS, namespace, {});
}

/** Admits `from` (any source when omitted) to `ports` (all when omitted) of `pods` (all when omitted). */
export function allow(
  name: string,
  namespace: string,
  rule: { pods?: Record<string, string>; from?: Peer[]; ports?: Port[] },
): Manifest {
  return ingressPolicy(name, namespace, {
    podSelector: rule.pods ? { matchLabels: rule.pods } : {},
    ingress: [{ ...(rule.from && { from: rule.from }), ...(rule.ports && { ports: rule.ports }) }],
  });
}
