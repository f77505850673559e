/// <reference lib="dom" />
import { write, type NodeView, type StateView, type WriteResult } from "./api";
import { clear, h, table } from "./dom";
import {
  clearProblems,
  field,
  numberOrText,
  select,
  showProblems,
  textInput,
  value,
  invalidStackCard,
} from "./form";

/** Servers: add a node, remove one (with what removal means), change a node's labels. */

export type Refresh = (state: StateView, message?: string) => void;

function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, val]) => `${key}=${val}`)
    .join("\n");
}

function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "") continue;
    const at = trimmed.indexOf("=");
    if (at < 0) labels[trimmed] = "";
    else labels[trimmed.slice(0, at).trim()] = trimmed.slice(at + 1).trim();
  }
  return labels;
}

function labelEditor(node: NodeView, refresh: Refresh): HTMLElement {
  const general = h("div", { class: "form-errors" });
  const area = h("textarea", { rows: 4, placeholder: "key=value, one per line" }) as HTMLTextAreaElement;
  area.value = labelsText(node.labels);
  const form = h(
    "form",
    { class: "inline-form", "data-node": node.name },
    field(
      `Kubernetes labels of ${node.name}`,
      "labels",
      area,
      "One key=value per line; empty removes all labels.",
    ),
    general,
    h("button", { type: "submit" }, "Save labels"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const labels = parseLabels(area.value);
    void write<WriteResult>("PUT", `/api/nodes/${encodeURIComponent(node.name)}`, {
      labels: Object.keys(labels).length > 0 ? labels : undefined,
    }).then((result) => {
      if (result.ok) refresh(result.state, `Saved the labels of ${node.name}.`);
      else showProblems(form, general, result.problems ?? [], result.error);
    });
  });
  return form;
}

function removalPanel(node: NodeView, state: StateView, refresh: Refresh): HTMLElement {
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
  if (node.role === "control-plane") {
    warnings.push(
      h(
        "li",
        {},
        `This is an etcd member. The deployed control plane has ${state.committedControlPlane ?? "?"} members; quorum needs ${state.etcdQuorum ?? "?"}. Keep an odd number from 3 to 9, and remove control-plane nodes one per pulumi up.`,
      ),
    );
    if (node.deployedDeleteProtection) {
      warnings.push(
        h(
          "li",
          {},
          "Its server has delete protection: set deleteProtection to false and apply (pulumi up) before removing it.",
        ),
      );
    }
  }
  const panel = h(
    "div",
    { class: "removal", role: "dialog" },
    h("h3", {}, `Remove ${node.name}?`),
    h("ul", { class: "warnings" }, ...warnings),
    general,
  );
  const buttons = h("div", { class: "buttons" });
  if (node.role === "control-plane" && node.deleteProtection) {
    buttons.appendChild(
      h(
        "button",
        {
          type: "button",
          class: "secondary",
          onclick: () =>
            void write<WriteResult>("PUT", `/api/nodes/${encodeURIComponent(node.name)}`, {
              deleteProtection: false,
            }).then((result) => {
              if (result.ok)
                refresh(
                  result.state,
                  `Delete protection of ${node.name} is off in the stack file; apply it before removing the node.`,
                );
              else showProblems(panel, general, result.problems ?? [], result.error);
            }),
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
        onclick: () =>
          void write<WriteResult>("DELETE", `/api/nodes/${encodeURIComponent(node.name)}`).then((result) => {
            if (result.ok) refresh(result.state, `Removed ${node.name} from the stack file.`);
            else showProblems(panel, general, result.problems ?? [], result.error);
          }),
      },
      `Remove ${node.name}`,
    ),
  );
  buttons.appendChild(
    h("button", { type: "button", class: "secondary", onclick: () => panel.remove() }, "Cancel"),
  );
  panel.appendChild(buttons);
  return panel;
}

function addNodeForm(state: StateView, refresh: Refresh): HTMLElement {
  const general = h("div", { class: "form-errors", id: "add-node-errors" });
  const types = state.catalogue.serverTypes.map((type) => ({
    value: type.name,
    label: `${type.name} — ${type.vcpus} vCPU, ${type.memoryGb} GB RAM, ${type.diskGb} GB disk${type.architecture === "arm" ? ", ARM" : ""}`,
  }));
  const locations = [
    { value: "", label: `cluster location (${state.location ?? "default"})` },
    ...state.catalogue.locations.map((location) => ({ value: location, label: location })),
  ];
  const form = h(
    "form",
    { id: "add-node-form", class: "grid-form" },
    field(
      "Name",
      "name",
      textInput("", { placeholder: "worker-2", autocomplete: "off" }),
      "Stable identity; the server is <cluster>-<name>.",
    ),
    field(
      "Role",
      "role",
      select(
        [
          { value: "worker", label: "worker" },
          { value: "control-plane", label: "control-plane (etcd)" },
        ],
        "worker",
      ),
    ),
    field("Server type", "serverType", select(types, "cx33")),
    field("Location", "location", select(locations, "")),
    field(
      "Private IP",
      "privateIp",
      textInput(state.nextFreeIp ?? ""),
      `In ${state.nodeSubnetCidr ?? "the node subnet"}; prefilled with the next free address.`,
    ),
    field(
      "Volume size (GB)",
      "volumeSizeGb",
      textInput("", { inputmode: "numeric", placeholder: "none" }),
      "Optional, 10–10240; retained when the node is removed.",
    ),
    general,
    h("div", { class: "buttons" }, h("button", { type: "submit" }, "Add node")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearProblems(form, general);
    const node = {
      name: value(form, "name"),
      role: value(form, "role"),
      serverType: value(form, "serverType"),
      location: value(form, "location") || undefined,
      privateIp: value(form, "privateIp"),
      volumeSizeGb: numberOrText(value(form, "volumeSizeGb")),
    };
    void write<WriteResult>("POST", "/api/nodes", node).then((result) => {
      if (result.ok)
        refresh(
          result.state,
          `Added ${node.name} to the stack file. See Changes for what pulumi up will do.`,
        );
      else showProblems(form, general, result.problems ?? [], result.error);
    });
  });
  return form;
}

export function renderServers(state: StateView, refresh: Refresh): HTMLElement {
  if (!state.valid) return invalidStackCard(state);
  const detail = h("div", { id: "node-detail" });
  const nodes = state.nodes ?? [];
  const rows = nodes.map((node) => [
    h("strong", {}, node.name),
    h("span", { class: `role ${node.role}` }, node.role),
    node.serverType,
    node.location,
    h("code", {}, node.privateIp),
    node.volumeSizeGb ? `${node.volumeSizeGb} GB` : "–",
    Object.keys(node.labels).length > 0
      ? h("code", { class: "labels" }, labelsText(node.labels).replace(/\n/g, ", "))
      : "–",
    node.deployed ? "deployed" : h("span", { class: "badge new" }, "new"),
    h(
      "div",
      { class: "row-actions" },
      h(
        "button",
        {
          type: "button",
          class: "secondary small",
          "data-action": "labels",
          onclick: () => (clear(detail), detail.appendChild(labelEditor(node, refresh))),
        },
        "Labels",
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
      table(["Name", "Role", "Type", "Location", "Private IP", "Volume", "Labels", "State", ""], rows, {
        id: "servers-table",
      }),
      detail,
    ),
    h("section", { class: "card" }, h("h2", {}, "Add a node"), addNodeForm(state, refresh)),
  );
}
