/// <reference lib="dom" />
import type { LiveView } from "./api";
import { h } from "./dom";

/** The live cluster: connected or why not, and where it disagrees with the stack. */

export function liveBadge(live: LiveView | undefined): HTMLElement {
  if (!live) return h("span", { class: "badge muted" }, "live: checking…");
  if (!live.connected) return h("span", { class: "badge off", title: live.reason }, "not connected");
  const ready = live.nodes.filter((node) => node.ready).length;
  return h(
    "span",
    { class: `badge ${ready === live.nodes.length ? "on" : "warn"}` },
    `live: ${ready}/${live.nodes.length} nodes ready`,
  );
}

export function liveCard(live: LiveView | undefined): HTMLElement {
  if (!live || !live.connected) {
    return h(
      "section",
      { class: "card", id: "live" },
      h("h2", {}, "Live cluster"),
      h(
        "p",
        { class: "not-connected" },
        h("strong", {}, "Not connected. "),
        live ? live.reason : "Checking the cluster…",
      ),
      h(
        "p",
        { class: "hint" },
        "The plan below is what the stack file describes; live status appears once the Kubernetes API answers.",
      ),
    );
  }
  return h(
    "section",
    { class: "card", id: "live" },
    h("h2", {}, "Live cluster"),
    h(
      "p",
      {},
      h("span", { class: "badge on" }, "connected"),
      ` to ${live.server}, checked ${new Date(live.checkedAt).toLocaleTimeString()}`,
    ),
    live.metrics.available
      ? null
      : h("p", { class: "hint" }, live.metrics.reason ?? "node metrics unavailable"),
    live.quotaReason ? h("p", { class: "hint" }, live.quotaReason) : null,
    comparisonPart(live),
  );
}

/** Where the cluster disagrees with the stack: Nodes the stack does not know, and kubelet version skew. */
function comparisonPart(live: LiveView): HTMLElement | null {
  const comparison = live.comparison;
  if (!comparison) return null;
  const items: HTMLElement[] = [];
  if (comparison.unknownNodes.length > 0)
    items.push(
      h(
        "li",
        { id: "drift" },
        h("strong", {}, "Not in the stack: "),
        comparison.unknownNodes
          .map(
            (node) => `${node.name} (${node.status}${node.kubeletVersion ? `, ${node.kubeletVersion}` : ""})`,
          )
          .join(", "),
        ". The cluster runs Nodes that neither the stack file nor the last deployment has; pulumi up neither manages nor removes them.",
      ),
    );
  if (comparison.versionMismatches.length > 0)
    items.push(
      h(
        "li",
        { id: "version-mismatch" },
        h("strong", {}, "Kubelet version: "),
        comparison.versionMismatches.map((node) => `${node.name} runs ${node.kubeletVersion}`).join(", "),
        `; the last deployment has k3s ${comparison.expectedK3sVersion ?? "?"}, per ${comparison.expectedFrom}.`,
      ),
    );
  if (comparison.kubeletVersions.length > 1)
    items.push(
      h(
        "li",
        { id: "version-skew" },
        h("strong", {}, "Skew between nodes: "),
        `${comparison.kubeletVersions.join(", ")} run side by side (an upgrade in progress, or one that stopped).`,
      ),
    );
  if (items.length === 0)
    return h(
      "p",
      { class: "hint", id: "no-drift" },
      `Every live Node is in the stack, and every kubelet runs ${comparison.kubeletVersions[0] ?? "the same version"}.`,
    );
  return h("ul", { class: "drift warnings" }, ...items);
}
