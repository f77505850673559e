/// <reference lib="dom" />
import type { Refresh, ValidState } from "./api";
import { clear, h } from "./dom";
import { clearProblems, field, numberOrText, select, textInput, value } from "./form";
import { serverTypeOptions } from "./nodeEditor";
import { problemsIn, showState, submitEdit } from "./submit";

/**
 * Several nodes added (and some removed) in one edit, validated as a whole: the control plane grows from
 * 3 to 5 without passing through 4, and a failed control-plane node is replaced in one step. The server
 * checks the change as it is typed (a dry run), so the button is enabled only for a change it accepts.
 */

function nodeRow(state: ValidState, entry: number, onChange: () => void): HTMLElement {
  const location = select(
    state.catalogue.locations.map((candidate) => ({
      value: candidate === state.location ? "" : candidate,
      label: candidate === state.location ? `${candidate} (cluster location)` : candidate,
    })),
    "",
  );
  const type = select(serverTypeOptions(state, state.location), "cx33");
  // Only the types sold where the node goes: refill the list when its location changes.
  location.addEventListener("change", () => {
    const wanted = type.value;
    clear(type);
    const options = serverTypeOptions(state, location.value || state.location);
    for (const option of options) type.appendChild(h("option", { value: option.value }, option.label));
    type.value = options.some((option) => option.value === wanted) ? wanted : (options[0]?.value ?? "");
  });
  const row = h(
    "fieldset",
    { class: "node-row grid-form", "data-entry": entry },
    h("legend", {}, `New node ${entry + 1}`),
    field(
      "Name",
      "name",
      textInput("", { placeholder: `worker-${entry + 2}`, autocomplete: "off" }),
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
    field("Location", "location", location, `Locations of the network zone ${state.catalogue.networkZone}.`),
    field("Server type", "serverType", type, "Types Hetzner sells in the location."),
    field("Private IP", "privateIp", textInput(state.freeIps[entry] ?? ""), `In ${state.nodeSubnetCidr}.`),
    field(
      "Volume size (GB)",
      "volumeSizeGb",
      textInput("", { inputmode: "numeric", placeholder: "none" }),
      "Optional, 10–10240; retained when the node is removed.",
    ),
  );
  // Each row repeats the same fields: ids of their own, so that every label still names its input.
  row.querySelectorAll("[id^='field-']").forEach((input) => (input.id = `${input.id}-${entry}`));
  row
    .querySelectorAll("label[for^='field-']")
    .forEach((label) => label.setAttribute("for", `${label.getAttribute("for") ?? ""}-${entry}`));
  row.addEventListener("input", onChange);
  row.addEventListener("change", onChange);
  return row;
}

function rowValues(row: HTMLElement) {
  return {
    name: value(row, "name"),
    role: value(row, "role"),
    serverType: value(row, "serverType"),
    location: value(row, "location") || undefined,
    privateIp: value(row, "privateIp"),
    volumeSizeGb: numberOrText(value(row, "volumeSizeGb")),
  };
}

export function nodeBatchForm(state: ValidState, refresh: Refresh): HTMLElement {
  const general = h("div", { class: "form-errors", id: "batch-errors" });
  const rows = h("div", { class: "rows" });
  const verdict = h("p", { class: "hint", id: "batch-verdict", role: "status" });
  const submit = h(
    "button",
    { type: "submit", id: "batch-submit" },
    "Apply to the stack file",
  ) as HTMLButtonElement;
  // A pool's nodes leave by lowering the pool's count (the highest first), never one by one.
  const removals = state.nodes
    .filter((node) => node.pool === null)
    .map((node) => {
      const box = h("input", {
        type: "checkbox",
        value: node.name,
        "data-remove": node.name,
      }) as HTMLInputElement;
      box.addEventListener("change", () => schedule());
      return h("label", { class: "check" }, box, ` ${node.name} (${node.role})`);
    });
  let timer: number | undefined;
  let generation = 0;
  const form = h(
    "form",
    { id: "add-node-form" },
    h(
      "p",
      { class: "hint" },
      "Add nodes and remove others in one edit; it is checked as a whole, as pulumi up will check it.",
    ),
    rows,
    h(
      "div",
      { class: "buttons" },
      h(
        "button",
        { type: "button", class: "secondary small", id: "add-row", onclick: () => addRow() },
        "Add another node",
      ),
    ),
    h("div", { class: "removals" }, h("strong", {}, "Remove in the same change: "), ...removals),
    verdict,
    general,
    h("div", { class: "buttons" }, submit),
  );
  const body = () => ({
    add: Array.from(rows.querySelectorAll<HTMLElement>(".node-row")).map(rowValues),
    remove: Array.from(form.querySelectorAll<HTMLInputElement>("[data-remove]"))
      .filter((box) => box.checked)
      .map((box) => box.value),
  });
  // The server's dry run decides, so the page never guesses a rule; a newer check wins over an older one.
  const check = () => {
    const mine = (generation += 1);
    const refusedHere = problemsIn(form, general, "Would be refused:");
    submitEdit(
      { method: "POST", path: "/api/nodes", body: body(), dryRun: true },
      {
        accepted: () => {
          if (mine !== generation) return;
          submit.disabled = false;
          clearProblems(form, general);
          verdict.textContent = "The change passes the checks of pulumi up.";
        },
        refused: (refusal) => {
          if (mine !== generation) return;
          submit.disabled = true;
          verdict.textContent = "Not yet: the change would be refused (see below).";
          refusedHere(refusal);
        },
      },
    );
  };
  const schedule = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 300);
  };
  const addRow = () => {
    rows.appendChild(nodeRow(state, rows.children.length, schedule));
    schedule();
  };
  rows.appendChild(nodeRow(state, 0, schedule));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const change = body();
    const added = change.add.map((node) => node.name).join(", ");
    const removed = change.remove.join(", ");
    submitEdit(
      { method: "POST", path: "/api/nodes", body: change },
      {
        accepted: showState(
          refresh,
          `${added ? `Added ${added}` : ""}${added && removed ? "; " : ""}${removed ? `removed ${removed}` : ""} in the stack file. See Changes for what pulumi up will do.`,
        ),
        refused: problemsIn(form, general),
      },
    );
  });
  return form;
}
