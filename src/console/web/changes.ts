/// <reference lib="dom" />
import {
  getJson,
  write,
  type ChangesView,
  type DeployAvailability,
  type DeployEvent,
  type DeployStarted,
  type ResourceChange,
} from "./api";
import { clear, h } from "./dom";

/** Changes: the offline plan diff from the committed stack file to the edited one, and preview/deploy. */

const GROUPS: [
  keyof Pick<Extract<ChangesView, { ok: true }>, "create" | "update" | "replace" | "delete">,
  string,
  string,
][] = [
  ["create", "+", "to create"],
  ["update", "~", "to update"],
  ["replace", "±", "to replace"],
  ["delete", "-", "to delete"],
];

function changeList(kind: string, symbol: string, changes: ResourceChange[]): HTMLElement {
  return h(
    "ul",
    { class: `changes ${kind}` },
    ...changes.map((change) =>
      h(
        "li",
        {},
        h("span", { class: "symbol" }, symbol),
        h("code", { class: "type" }, change.type),
        " ",
        h("strong", {}, change.name),
        change.meaning && change.meaning.length > 0
          ? h("div", { class: "paths" }, change.meaning.join("; "))
          : change.paths.length > 0
            ? h(
                "div",
                { class: "paths" },
                `${kind === "replace" ? "forced by" : "inputs"}: ${change.paths.slice(0, 12).join(", ")}${change.paths.length > 12 ? ", …" : ""}`,
              )
            : null,
      ),
    ),
  );
}

function renderDiff(target: HTMLElement, view: ChangesView): void {
  clear(target);
  if (!view.ok) {
    target.appendChild(
      h(
        "div",
        { class: "problems" },
        h("p", {}, view.reason),
        h("ul", {}, ...view.problems.map((problem) => h("li", {}, problem.line))),
      ),
    );
    return;
  }
  target.appendChild(
    h(
      "p",
      { class: "hint" },
      `From ${view.committedSource} to the stack file as edited now (offline plan; secrets masked).`,
    ),
  );
  target.appendChild(h("p", { class: "summary", id: "changes-summary" }, view.summary));
  for (const [kind, symbol, label] of GROUPS) {
    const changes = view[kind];
    if (changes.length === 0) continue;
    target.appendChild(h("h3", {}, `${changes.length} ${label}`));
    target.appendChild(changeList(kind, symbol, changes));
  }
  if (GROUPS.every(([kind]) => view[kind].length === 0))
    target.appendChild(h("p", {}, "No changes to any resource."));
  if (view.notes.length > 0) {
    target.appendChild(h("h3", {}, "What this means"));
    target.appendChild(h("ul", { id: "changes-notes" }, ...view.notes.map((note) => h("li", {}, note))));
  }
}

function deployCard(availability: DeployAvailability): HTMLElement {
  const output = h("pre", { class: "deploy-output", id: "deploy-output" });
  const status = h(
    "p",
    { class: "hint" },
    availability.available
      ? "Runs the Pulumi CLI on this machine with your credentials; output streams below."
      : `Unavailable: ${availability.reason ?? ""}`,
  );
  const run = (action: "preview" | "up") => {
    if (action === "up" && !window.confirm("Run pulumi up on this stack now?")) return;
    clear(output);
    void write<DeployStarted>("POST", "/api/deploy", { action }).then((result) => {
      if (!result.ok) {
        output.textContent = result.error ?? "could not start";
        return;
      }
      const events = new EventSource(`/api/deploy/${result.jobId}/events`);
      events.addEventListener("output", (event) => {
        const said = JSON.parse((event as MessageEvent<string>).data) as Extract<
          DeployEvent,
          { type: "output" }
        >;
        output.textContent += said.text;
        output.scrollTop = output.scrollHeight;
      });
      events.addEventListener("done", (event) => {
        const done = JSON.parse((event as MessageEvent<string>).data) as Extract<
          DeployEvent,
          { type: "done" }
        >;
        output.textContent += `\n${done.ok ? "✔" : "✘"} ${done.summary}\n`;
        events.close();
      });
    });
  };
  return h(
    "section",
    { class: "card" },
    h("h2", {}, "Preview and deploy"),
    status,
    h(
      "div",
      { class: "buttons" },
      h(
        "button",
        {
          type: "button",
          id: "preview-button",
          disabled: !availability.available,
          title: availability.reason,
          onclick: () => run("preview"),
        },
        "Preview (pulumi preview)",
      ),
      h(
        "button",
        {
          type: "button",
          class: "danger",
          id: "deploy-button",
          disabled: !availability.available,
          title: availability.reason,
          onclick: () => run("up"),
        },
        "Deploy (pulumi up)",
      ),
    ),
    output,
  );
}

export function renderChanges(): HTMLElement {
  const body = h(
    "div",
    { id: "changes-body" },
    h("p", { class: "loading" }, "Evaluating the committed and the edited stack offline…"),
  );
  const load = () => {
    clear(body);
    body.appendChild(h("p", { class: "loading" }, "Evaluating the committed and the edited stack offline…"));
    getJson<ChangesView>("/api/changes")
      .then((view) => renderDiff(body, view))
      .catch((error: unknown) => {
        clear(body);
        body.appendChild(h("p", { class: "problems" }, `Could not compute the changes: ${String(error)}`));
      });
  };
  load();
  const container = h(
    "div",
    {},
    h(
      "section",
      { class: "card" },
      h(
        "div",
        { class: "card-head" },
        h("h2", {}, "Changes"),
        h("button", { type: "button", class: "secondary small", onclick: load }, "Refresh"),
      ),
      body,
    ),
  );
  void getJson<DeployAvailability>("/api/deploy").then((availability) =>
    container.appendChild(deployCard(availability)),
  );
  return container;
}
