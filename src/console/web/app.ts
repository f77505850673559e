/// <reference lib="dom" />
import { getJson, type Availability, type LiveView, type StateView } from "./api";
import { renderChanges } from "./changes";
import { clear, h } from "./dom";
import { liveBadge } from "./live";
import { renderOverview } from "./overview";
import { renderServers } from "./servers";
import { showState, submitEdit } from "./submit";
import { renderTenants } from "./tenants";

/** The console's single page: four tabs over one state, re-rendered after every successful edit. */

const TABS = [
  ["overview", "Overview"],
  ["servers", "Servers"],
  ["tenants", "Tenants"],
  ["changes", "Changes"],
] as const;
type Tab = (typeof TABS)[number][0];

let state: StateView | undefined;
let live: LiveView | undefined;
let flash: string | undefined;

function currentTab(): Tab {
  const wanted = window.location.hash.replace(/^#\/?/, "");
  return TABS.find(([id]) => id === wanted)?.[0] ?? "overview";
}

function refresh(next: StateView, message?: string): void {
  state = next;
  flash = message;
  render();
}

/** Undo and discard, on every tab: each says why when there is nothing to do. */
function editBar(current: StateView): HTMLElement {
  const problems = h("div", { class: "form-errors", id: "edit-bar-errors" });
  const act = (path: string, done: string) =>
    submitEdit(
      { method: "POST", path, body: {} },
      {
        accepted: showState(refresh, done),
        // One line each: the bar has no fields to put them next to.
        refused: (refusal) => {
          problems.textContent =
            (refusal.problems ?? []).map((problem) => problem.line).join("\n") || (refusal.error ?? "");
          problems.classList.add("visible");
        },
      },
    );
  const button = (id: string, label: string, availability: Availability, onclick: () => void) =>
    h(
      "button",
      {
        type: "button",
        class: "secondary small",
        id,
        disabled: !availability.available,
        title: availability.reason,
        onclick,
      },
      label,
    );
  return h(
    "div",
    { class: "edit-bar", id: "edit-bar" },
    h(
      "span",
      { class: "hint", id: "last-deployment" },
      `Last deployment: ${current.lastDeployment.description}`,
      current.lastDeployment.outputsUnavailable
        ? ` (stack outputs: ${current.lastDeployment.outputsUnavailable})`
        : "",
    ),
    button(
      "reread-button",
      "Read again",
      { available: true, reason: "read the stack's outputs again (after a pulumi up elsewhere)" },
      () => act("/api/last-deployment", "Read the last deployment again."),
    ),
    button("undo-button", "Undo last edit", current.undo, () => act("/api/undo", "Undid the last edit.")),
    button("discard-button", "Discard all edits", current.discard, () => {
      if (
        window.confirm(`Put the stack file back to ${current.committedSource}? Undo brings the edits back.`)
      )
        act("/api/discard", `The stack file is back to ${current.committedSource}.`);
    }),
    problems,
  );
}

function render(): void {
  const root = document.getElementById("app");
  if (!root || !state) return;
  const tab = currentTab();
  clear(root);
  root.appendChild(
    h(
      "header",
      {},
      h(
        "div",
        { class: "brand" },
        h("strong", {}, "hetzner-k8s"),
        h(
          "span",
          {},
          ` console · stack ${state.stack}${state.valid ? ` · cluster ${state.clusterName}` : ""}`,
        ),
      ),
      h(
        "nav",
        {},
        ...TABS.map(([id, label]) =>
          h("a", { href: `#${id}`, class: id === tab ? "active" : undefined, id: `tab-${id}` }, label),
        ),
      ),
      h("div", { id: "live-badge" }, liveBadge(live)),
    ),
  );
  const main = h("main", { "data-tab": tab });
  main.appendChild(editBar(state));
  if (flash) main.appendChild(h("div", { class: "flash", role: "status" }, flash));
  if (tab === "overview") main.appendChild(renderOverview(state, live));
  if (tab === "servers") main.appendChild(renderServers(state, refresh));
  if (tab === "tenants") main.appendChild(renderTenants(state, refresh));
  if (tab === "changes") main.appendChild(renderChanges());
  root.appendChild(main);
  root.appendChild(
    h(
      "footer",
      {},
      `Editing ${state.stackFile}; comments and formatting are kept. Changes are compared with ${state.committedSource}.`,
    ),
  );
}

/** Live status refreshes on its own; only the badge and the overview show it, so forms are never reset. */
async function pollLive(): Promise<void> {
  try {
    live = await getJson<LiveView>("/api/live");
    const badge = document.getElementById("live-badge");
    if (badge) {
      clear(badge);
      badge.appendChild(liveBadge(live));
    }
    if (currentTab() === "overview" && state) {
      const main = document.querySelector("main");
      if (main) {
        const fresh = renderOverview(state, live);
        const old = main.lastElementChild;
        if (old) main.replaceChild(fresh, old);
      }
    }
  } catch {
    // The console itself stopped; keep the last view.
  }
}

// A new action makes the last one's message stale: a button press, a submission or typing in a form clears it.
for (const type of ["click", "submit", "input"]) {
  document.addEventListener(
    type,
    (event) => {
      const target = event.target instanceof Element ? event.target : null;
      if (type === "click" && !target?.closest("button")) return;
      flash = undefined;
      document.querySelectorAll(".flash").forEach((element) => element.remove());
    },
    true,
  );
}

window.addEventListener("hashchange", () => {
  flash = undefined;
  render();
});

void (async () => {
  try {
    state = await getJson<StateView>("/api/state");
    live = await getJson<LiveView>("/api/live").catch(() => undefined);
    render();
  } catch (error) {
    const root = document.getElementById("app");
    if (root)
      root.appendChild(
        h("p", { class: "problems" }, `The console could not load the stack: ${String(error)}`),
      );
  }
  window.setInterval(() => void pollLive(), 3000);
})();
