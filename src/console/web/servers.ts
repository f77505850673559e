/// <reference lib="dom" />
import type { NodeView, Refresh, StateView, ValidState } from "./api";
import { clear, h, table } from "./dom";
import { invalidStackCard, showProblems } from "./form";
import { nodeBatchForm } from "./nodeBatch";
import { nodeEditor, labelsText, taintsText } from "./nodeEditor";
import { problemsIn, showState, submitEdit, type Edit } from "./submit";

/** Servers: the nodes with what is true of each, editing one, removing one, and changing several at once. */

const STATE_LABELS = { deployed: "deployed", committed: "committed", new: "new" } as const;

export function stateBadge(node: NodeView): HTMLElement {
  return h(
    "span",
    { class: `badge state-${node.status.state}`, title: node.status.detail, "data-state": node.status.state },
    STATE_LABELS[node.status.state],
  );
}

function removalPanel(node: NodeView, state: ValidState, refresh: Refresh): HTMLElement {
  const general = h("div", { class: "form-errors" });
  const warnings: HTMLElement[] = [
    h(
      "li",
      {},
      `pulumi up cordons and drains ${node.name} first (respecting PodDisruptionBudgets), deletes its Kubernetes Node, then deletes the server.`,
    ),
  ];
  if (node.volumeSizeGb)
    warnings.push(
      h(
        "li",
        {},
        `Its ${node.volumeSizeGb} GB volume is retained (not deleted); delete it in Hetzner by hand when its data is no longer needed.`,
      ),
    );
  if (node.role === "control-plane")
    warnings.push(
      h(
        "li",
        {},
        `This is an etcd member. The deployed control plane has ${state.deployedControlPlane} members; quorum needs ${state.etcdQuorum}. Keep an odd number from 3 to 9: remove control-plane nodes in pairs (5 to 3), or replace this one (remove it and add a new control-plane node in one change, under "Change several nodes at once").`,
      ),
    );
  const refusal = h("div", { class: "refusal", id: "removal-refused", hidden: true });
  const panel = h(
    "div",
    { class: "removal", role: "dialog", id: "removal-panel" },
    h("h3", {}, `Remove ${node.name}?`),
    h("ul", { class: "warnings" }, ...warnings),
    refusal,
    general,
  );
  const buttons = h("div", { class: "buttons" });
  const path = `/api/nodes/${encodeURIComponent(node.name)}`;
  const removeNode: Edit = { method: "DELETE", path };
  const refusedHere = problemsIn(panel, general);
  if (node.deployedDeleteProtection && node.deleteProtection) {
    buttons.appendChild(
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          id: "protection-off",
          onclick: () =>
            submitEdit(
              { method: "PUT", path, body: { deleteProtection: false } },
              {
                accepted: showState(
                  refresh,
                  `Delete protection of ${node.name} is off in the stack file; apply it (pulumi up) before removing the node.`,
                ),
                refused: refusedHere,
              },
            ),
        },
        "Turn off delete protection",
      ),
    );
  }
  buttons.appendChild(
    h(
      "button",
      {
        type: "button",
        class: "danger",
        id: "remove-confirm",
        disabled: true,
        title: "checking whether pulumi up would accept it…",
        onclick: () =>
          submitEdit(removeNode, {
            accepted: showState(refresh, `Removed ${node.name} from the stack file.`),
            refused: refusedHere,
          }),
      },
      `Remove ${node.name}`,
    ),
  );
  buttons.appendChild(
    h("button", { type: "button", class: "secondary", onclick: () => panel.remove() }, "Cancel"),
  );
  panel.appendChild(buttons);
  // Ask the server (a dry run of this very removal) rather than guess which rule applies.
  const confirm = buttons.querySelector<HTMLButtonElement>("#remove-confirm");
  submitEdit(
    { ...removeNode, dryRun: true },
    {
      accepted: () => {
        if (!confirm) return;
        confirm.disabled = false;
        confirm.title = "";
      },
      refused: (refused) => {
        if (confirm) {
          confirm.disabled = true;
          confirm.title = "refused: see the reasons above";
        }
        const reasons = refused.problems?.map((problem) => problem.message) ?? [refused.error ?? ""];
        refusal.appendChild(h("strong", {}, "Removing it alone would be refused:"));
        refusal.appendChild(
          h("ul", {}, ...reasons.map((reason) => h("li", { class: "problem-line" }, reason))),
        );
        refusal.hidden = false;
      },
    },
  );
  return panel;
}

function leavingCard(state: ValidState): HTMLElement | null {
  if (state.leavingNodes.length === 0) return null;
  return h(
    "div",
    { class: "leaving", id: "leaving-nodes" },
    h(
      "strong",
      {},
      `Removed by the edits, still in the last deployment (${state.lastDeployment.description}): `,
    ),
    state.leavingNodes.map((node) => `${node.name} (${node.role})`).join(", "),
    ". The next pulumi up drains and deletes them.",
  );
}

/** Each node pool with its range and a count to change: the nodes above a lower count leave, drained. */
function poolsCard(state: ValidState, refresh: Refresh): HTMLElement | null {
  if (state.nodePools.length === 0) return null;
  const general = h("div", { class: "form-errors", id: "pool-errors" });
  const card = h("section", { class: "card", id: "node-pools" }, h("h2", {}, "Node pools"));
  const rows = state.nodePools.map((pool) => {
    const count = h("input", {
      type: "number",
      class: "count",
      min: "0",
      max: String(pool.capacity),
      value: String(pool.count),
      "aria-label": `count of pool ${pool.name}`,
      "data-pool-count": pool.name,
    }) as HTMLInputElement;
    const apply = h(
      "button",
      {
        type: "button",
        class: "secondary small",
        "data-action": "set-count",
        onclick: () => {
          const next = count.value.trim();
          if (!/^\d+$/.test(next)) {
            showProblems(card, general, [], `The count of ${pool.name} must be a whole number of nodes.`);
            return;
          }
          const removed = pool.nodes.slice(Number(next));
          // Lowering the count drains and deletes nodes at the next pulumi up: say which, and ask.
          if (
            removed.length > 0 &&
            !window.confirm(
              `Lower ${pool.name} to ${next}? The next pulumi up drains and removes ${removed.join(", ")}.`,
            )
          )
            return;
          submitEdit(
            {
              method: "PUT",
              path: `/api/nodePools/${encodeURIComponent(pool.name)}`,
              body: { count: Number(next) },
            },
            {
              accepted: showState(refresh, `Pool ${pool.name} has ${next} node(s) in the stack file.`),
              refused: problemsIn(card, general),
            },
          );
        },
      },
      "Set count",
    );
    return [
      h("strong", {}, pool.name),
      h("span", {}, count, " ", apply),
      pool.serverType,
      pool.location,
      h("code", {}, pool.ipRange),
      pool.addresses ? `${pool.addresses.first} – ${pool.addresses.last}` : "–",
      `${pool.capacity} nodes`,
    ];
  });
  card.appendChild(
    h(
      "p",
      { class: "hint" },
      "A pool of count n is the nodes <pool>-1 to <pool>-n at the 1st to n-th address of its range. Raising the count adds the next ones; lowering it drains and removes the highest. Other fields of a pool are edited in the stack file.",
    ),
  );
  card.appendChild(
    table(["Pool", "Count", "Type", "Location", "IP range", "Addresses", "Capacity"], rows, {
      id: "pools-table",
    }),
  );
  card.appendChild(general);
  return card;
}

export function renderServers(state: StateView, refresh: Refresh): HTMLElement {
  if (!state.valid) return invalidStackCard(state);
  const detail = h("div", { id: "node-detail" });
  const rows = state.nodes.map((node) => [
    h("strong", {}, node.name),
    h("span", { class: `role ${node.role}` }, node.role),
    node.serverType,
    node.location,
    h("code", {}, node.privateIp),
    node.volumeSizeGb ? `${node.volumeSizeGb} GB` : "–",
    Object.keys(node.labels).length > 0
      ? h("code", { class: "labels" }, labelsText(node.labels).replace(/\n/g, ", "))
      : "–",
    node.taints.length > 0
      ? h("code", { class: "labels" }, taintsText(node.taints).replace(/\n/g, ", "))
      : "–",
    stateBadge(node),
    node.pool !== null
      ? h("span", { class: "hint", "data-pool": node.pool }, `pool ${node.pool}: change the pool below`)
      : h(
          "div",
          { class: "row-actions" },
          h(
            "button",
            {
              type: "button",
              class: "secondary small",
              "data-action": "edit",
              onclick: () => (clear(detail), detail.appendChild(nodeEditor(node, state, refresh))),
            },
            "Edit…",
          ),
          h(
            "button",
            {
              type: "button",
              class: "danger small",
              "data-action": "remove",
              onclick: () => (clear(detail), detail.appendChild(removalPanel(node, state, refresh))),
            },
            "Remove…",
          ),
        ),
  ]);
  return h(
    "div",
    {},
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Servers"),
      h(
        "p",
        { class: "hint", id: "deployment-source" },
        `State compares with the last deployment: ${state.lastDeployment.description}.`,
      ),
      table(
        ["Name", "Role", "Type", "Location", "Private IP", "Volume", "Labels", "Taints", "State", ""],
        rows,
        {
          id: "servers-table",
        },
      ),
      leavingCard(state),
      detail,
    ),
    poolsCard(state, refresh),
    h(
      "section",
      { class: "card" },
      h("h2", {}, "Change several nodes at once"),
      nodeBatchForm(state, refresh),
    ),
  );
}
