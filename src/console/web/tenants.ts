/// <reference lib="dom" />
import type { RawTenant, Refresh, StateView } from "./api";
import { clear, h, table } from "./dom";
import { clearProblems, field, list, numberOrText, select, textInput, value, invalidStackCard } from "./form";
import { problemsIn, showState, submitEdit } from "./submit";
import { tenantRemovalPanel } from "./tenantRemoval";

/**
 * Tenants: add a tenant, edit one (namespaces, users, quota, container limits, pod security, priority
 * classes, who may connect, whether removal deletes its namespaces), or remove one.
 */

const PRIORITY_CLASSES = ["platform-critical", "high", "default", "low"];
const DEFAULT_PRIORITY_CLASSES = ["default", "low"];

const QUOTA_FIELDS: [string, string, string, boolean][] = [
  ["requestsCpu", "Requests CPU", "e.g. 2 or 500m", false],
  ["requestsMemory", "Requests memory", "e.g. 4Gi", false],
  ["limitsCpu", "Limits CPU", "e.g. 4", false],
  ["limitsMemory", "Limits memory", "e.g. 8Gi", false],
  ["storage", "Storage", "default 0", false],
  ["persistentVolumeClaims", "PVCs", "default 0", true],
  ["pods", "Pods", "default 50", true],
  ["services", "Services", "default 10", true],
  ["loadBalancers", "Load balancers", "default 0", true],
  ["nodePorts", "Node ports", "default 0", true],
];

const LIMIT_FIELDS: [string, string, string][] = [
  ["defaultRequestCpu", "Default request CPU", "default 100m"],
  ["defaultRequestMemory", "Default request memory", "default 128Mi"],
  ["defaultLimitCpu", "Default limit CPU", "default 500m"],
  ["defaultLimitMemory", "Default limit memory", "default 512Mi"],
  ["maxCpu", "Max CPU per container", "default 2"],
  ["maxMemory", "Max memory per container", "default 4Gi"],
];

function text(raw: RawTenant | undefined, ...path: string[]): string {
  let current: unknown = raw;
  for (const key of path)
    current = current && typeof current === "object" ? (current as Record<string, unknown>)[key] : undefined;
  if (Array.isArray(current)) return current.join(", ");
  return current === undefined || current === null ? "" : String(current);
}

function section(
  values: Record<string, string | number | undefined>,
): Record<string, string | number> | undefined {
  const entries = Object.entries(values).filter(
    (entry): entry is [string, string | number] => entry[1] !== undefined,
  );
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function rawList(raw: RawTenant | undefined, key: string): string[] | undefined {
  const list = raw?.[key];
  return Array.isArray(list) ? list.map(String) : undefined;
}

function priorityClassBoxes(editing: RawTenant | undefined): HTMLElement {
  const chosen = rawList(editing, "priorityClasses") ?? DEFAULT_PRIORITY_CLASSES;
  return h(
    "div",
    { class: "field" },
    h("label", {}, "Priority classes"),
    h(
      "div",
      { class: "checks" },
      ...PRIORITY_CLASSES.map((name) => {
        const box = h("input", { type: "checkbox", "data-priority-class": name }) as HTMLInputElement;
        box.checked = chosen.includes(name);
        return h("label", { class: "check" }, box, ` ${name}`);
      }),
    ),
    h("div", { class: "hint" }, "Classes its pods may use; default: default, low."),
    h("div", { class: "field-error", "data-error-for": "priorityClasses", role: "alert" }),
  );
}

function tenantForm(state: StateView, refresh: Refresh, editing?: RawTenant): HTMLElement {
  const general = h("div", { class: "form-errors", id: "tenant-errors" });
  const name = textInput(text(editing, "name"), { placeholder: "team-c", autocomplete: "off" });
  if (editing) name.setAttribute("readonly", "");
  const form = h(
    "form",
    { id: "tenant-form", class: "tenant-form" },
    h("h2", {}, editing ? `Edit tenant ${text(editing, "name")}` : "Add a tenant"),
    h(
      "div",
      { class: "grid-form" },
      field("Name", "name", name, "DNS label; namespaces are labelled hetzner-k8s.io/tenant=<name>."),
      field(
        "Namespaces",
        "namespaces",
        textInput(text(editing, "namespaces"), { placeholder: "default: the tenant's name" }),
        "Comma-separated; quota and limits apply to each.",
      ),
      field(
        "Users",
        "users",
        textInput(text(editing, "users"), { placeholder: "alice, team-c-ci" }),
        "Comma-separated; each gets a kubeconfig for these namespaces.",
      ),
      field(
        "Pod security",
        "podSecurity",
        select(
          [
            { value: "", label: "restricted (default)" },
            { value: "restricted", label: "restricted" },
            { value: "baseline", label: "baseline" },
          ],
          text(editing, "podSecurity"),
        ),
      ),
    ),
    h(
      "div",
      { class: "grid-form" },
      field(
        "Allow connections from",
        "allowFrom",
        textInput(text(editing, "allowFrom"), { placeholder: "other namespaces, comma-separated" }),
        "Namespaces whose pods may connect to this tenant's (ingress and monitoring always may).",
      ),
      priorityClassBoxes(editing),
      h(
        "div",
        { class: "field" },
        h(
          "label",
          { class: "check" },
          (() => {
            const box = h("input", {
              type: "checkbox",
              name: "allowDeletion",
              id: "field-allowDeletion",
            }) as HTMLInputElement;
            box.checked = editing?.allowDeletion === true;
            return box;
          })(),
          " Allow deletion",
        ),
        h(
          "div",
          { class: "hint" },
          "Once applied, removing the tenant deletes its namespaces and their data; without it they stay.",
        ),
        h("div", { class: "field-error", "data-error-for": "allowDeletion", role: "alert" }),
      ),
    ),
    h("h3", {}, "Quota (per namespace)"),
    h(
      "div",
      { class: "grid-form" },
      ...QUOTA_FIELDS.map(([key, label, hint]) =>
        field(label, `quota.${key}`, textInput(text(editing, "quota", key), { placeholder: hint })),
      ),
    ),
    h("h3", {}, "Container defaults and maxima"),
    h(
      "div",
      { class: "grid-form" },
      ...LIMIT_FIELDS.map(([key, label, hint]) =>
        field(label, `limits.${key}`, textInput(text(editing, "limits", key), { placeholder: hint })),
      ),
    ),
    general,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit" }, editing ? "Save tenant" : "Add tenant"),
      editing
        ? h("button", { type: "button", class: "secondary", onclick: () => refresh(state) }, "Cancel")
        : null,
    ),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    clearProblems(form, general);
    const classes = Array.from(form.querySelectorAll<HTMLInputElement>("[data-priority-class]"))
      .filter((box) => box.checked)
      .map((box) => box.dataset.priorityClass ?? "");
    const isDefault = classes.join() === DEFAULT_PRIORITY_CLASSES.join();
    const allowDeletion = form.querySelector<HTMLInputElement>('[name="allowDeletion"]')?.checked === true;
    const tenant = {
      name: value(form, "name"),
      priorityClasses: isDefault && rawList(editing, "priorityClasses") === undefined ? undefined : classes,
      allowFrom: list(value(form, "allowFrom")),
      allowDeletion: allowDeletion ? true : undefined,
      namespaces: list(value(form, "namespaces")),
      users: list(value(form, "users")),
      podSecurity: value(form, "podSecurity") || undefined,
      quota: section(
        Object.fromEntries(
          QUOTA_FIELDS.map(([key, , , numeric]) => [
            key,
            numeric ? numberOrText(value(form, `quota.${key}`)) : value(form, `quota.${key}`) || undefined,
          ]),
        ),
      ),
      limits: section(
        Object.fromEntries(LIMIT_FIELDS.map(([key]) => [key, value(form, `limits.${key}`) || undefined])),
      ),
    };
    submitEdit(
      editing
        ? {
            method: "PUT",
            path: `/api/tenants/${encodeURIComponent(text(editing, "name"))}`,
            body: { tenant },
          }
        : { method: "POST", path: "/api/tenants", body: { tenant } },
      {
        accepted: showState(refresh, `Saved tenant ${tenant.name}. See Changes for what pulumi up will do.`),
        refused: problemsIn(form, general),
      },
    );
  });
  return form;
}

export function renderTenants(state: StateView, refresh: Refresh): HTMLElement {
  if (!state.valid) return invalidStackCard(state);
  const detail = h("div", { id: "tenant-detail" });
  const formCard = h("section", { class: "card" }, tenantForm(state, refresh));
  const rows = state.rawTenants.map((raw, index) => {
    const view = state.tenants?.[index];
    return [
      h("strong", {}, text(raw, "name")),
      (view?.namespaces ?? []).join(", "),
      text(raw, "users") || "–",
      `${text(raw, "quota", "requestsCpu")} / ${text(raw, "quota", "requestsMemory")}`,
      `${text(raw, "quota", "limitsCpu")} / ${text(raw, "quota", "limitsMemory")}`,
      view?.podSecurity ?? "",
      (view?.priorityClasses ?? []).join(", "),
      h(
        "div",
        { class: "row-actions" },
        h(
          "button",
          {
            type: "button",
            class: "secondary small",
            "data-edit": text(raw, "name"),
            onclick: () => {
              clear(formCard);
              formCard.appendChild(tenantForm(state, refresh, raw));
              formCard.scrollIntoView();
            },
          },
          "Edit",
        ),
        view
          ? h(
              "button",
              {
                type: "button",
                class: "danger small",
                "data-remove-tenant": view.name,
                onclick: () => (clear(detail), detail.appendChild(tenantRemovalPanel(view, state, refresh))),
              },
              "Remove…",
            )
          : null,
      ),
    ];
  });
  return h(
    "div",
    {},
    h(
      "section",
      { class: "card" },
      h("h2", {}, `Tenants (${rows.length})`),
      rows.length > 0
        ? table(
            [
              "Name",
              "Namespaces",
              "Users",
              "Requests CPU / memory",
              "Limits CPU / memory",
              "Pod security",
              "Priority classes",
              "",
            ],
            rows,
            { id: "tenants-edit-table" },
          )
        : h("p", { class: "hint" }, "No tenants yet."),
      detail,
    ),
    formCard,
  );
}
