/// <reference lib="dom" />
import type { Refresh, TenantView, ValidState } from "./api";
import { h } from "./dom";
import { problemsIn, showState, submitEdit, type Edit } from "./submit";

/** What removing a tenant does, from allowDeletion as last applied (git HEAD tells: outputs do not record tenants). */
export function tenantRemovalPanel(tenant: TenantView, state: ValidState, refresh: Refresh): HTMLElement {
  const general = h("div", { class: "form-errors" });
  const { removal } = tenant;
  const removeTenant: Edit = { method: "DELETE", path: `/api/tenants/${encodeURIComponent(tenant.name)}` };
  const facts: HTMLElement[] = [];
  if (!removal.deployed) {
    facts.push(
      h("li", {}, `${tenant.name} is not in ${state.committedSource}: removing it only drops the entry.`),
    );
  } else if (removal.allowDeletion) {
    facts.push(
      h(
        "li",
        {},
        `allowDeletion is set in ${state.committedSource}: pulumi up deletes its namespaces (${tenant.namespaces.join(", ")}) and everything in them, data included.`,
      ),
    );
  } else {
    facts.push(
      h(
        "li",
        { id: "tenant-keeps" },
        `Kept in the cluster: its namespaces ${removal.keptNamespaces.join(", ")} with their workloads and data, and their ${removal.keptKinds.join(", ")} (so what runs there stays isolated and bounded). allowDeletion is not set in ${state.committedSource}.`,
      ),
    );
    facts.push(
      h(
        "li",
        {},
        "Deleted: the Role tenant-workloads and its RoleBindings, and the users' ServiceAccounts and tokens, so every user's access ends.",
      ),
    );
    facts.push(
      h("li", {}, "To delete the namespaces too: set Allow deletion, pulumi up, then remove the tenant."),
    );
  }
  const refusal = h("ul", { class: "refusal", hidden: true });
  const panel = h(
    "div",
    { class: "removal", role: "dialog", id: "tenant-removal" },
    h("h3", {}, `Remove tenant ${tenant.name}?`),
    h("ul", { class: "warnings" }, ...facts),
    refusal,
    general,
  );
  panel.appendChild(
    h(
      "div",
      { class: "buttons" },
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "tenant-remove-confirm",
          disabled: true,
          onclick: () =>
            submitEdit(removeTenant, {
              accepted: showState(refresh, `Removed tenant ${tenant.name} from the stack file.`),
              refused: problemsIn(panel, general),
            }),
        },
        `Remove ${tenant.name}`,
      ),
      h("button", { type: "button", class: "secondary", onclick: () => panel.remove() }, "Cancel"),
    ),
  );
  // A dry run of this very removal says whether pulumi up would accept it.
  const confirm = panel.querySelector<HTMLButtonElement>("#tenant-remove-confirm");
  submitEdit(
    { ...removeTenant, dryRun: true },
    {
      accepted: () => {
        if (confirm) confirm.disabled = false;
      },
      refused: (refused) => {
        if (confirm) confirm.disabled = true;
        for (const problem of refused.problems ?? [])
          refusal.appendChild(h("li", { class: "problem-line" }, problem.message));
        refusal.hidden = false;
      },
    },
  );
  return panel;
}
