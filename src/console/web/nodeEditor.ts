/// <reference lib="dom" />
import { getJson, type ChangesView, type NodeView, type Refresh, type ValidState } from "./api";
import { h } from "./dom";
import { field, numberOrText, select, textInput, value } from "./form";
import { problemsIn, showState, submitEdit } from "./submit";

/** Editing one node: labels, taints, server type, volume size and delete protection, saved as one edit. */

type Taint = NodeView["taints"][number];
const EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];

export function labelsText(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, val]) => `${key}=${val}`)
    .join("\n");
}

export function parseLabels(text: string): Record<string, string> {
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

/** `key=value:Effect`, one per line, as kubectl taint writes them. */
export function taintsText(taints: readonly Taint[]): string {
  return taints
    .map((taint) => `${taint.key}${taint.value ? `=${taint.value}` : ""}:${taint.effect}`)
    .join("\n");
}

/** Lines the page cannot read are sent as they are, so that the server's validation names them. */
export function parseTaints(text: string): Record<string, string>[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const colon = line.lastIndexOf(":");
      const [keyValue, effect] = colon < 0 ? [line, ""] : [line.slice(0, colon), line.slice(colon + 1)];
      const equals = keyValue.indexOf("=");
      const taint: Record<string, string> = {
        key: equals < 0 ? keyValue : keyValue.slice(0, equals),
        effect,
      };
      if (equals >= 0) taint.value = keyValue.slice(equals + 1);
      return taint;
    });
}

export function serverTypeOptions(state: ValidState, location: string) {
  return state.catalogue.serverTypes
    .filter((type) => type.locations.some((sold) => sold === location))
    .map((type) => {
      const price = (type.prices as Record<string, string | undefined>)[location];
      return {
        value: type.name,
        label: `${type.name} — ${type.vcpus} vCPU, ${type.memoryGb} GB RAM, ${type.diskGb} GB disk${type.architecture === "arm" ? ", ARM" : ""}${price ? ` — ${price}` : ""}`,
      };
    });
}

/** The plan's lines about one node's resources, after an edit: what pulumi up will do to it. */
async function nodeChanges(node: string): Promise<string> {
  const view = await getJson<ChangesView>("/api/changes");
  if (!view.ok) return "";
  const mine = (["create", "update", "replace", "delete"] as const).flatMap((kind) =>
    view[kind]
      .filter((change) => change.name.startsWith(`${node}-`))
      .map(
        (change) => `${kind} ${change.name}${change.paths.length > 0 ? ` (${change.paths.join(", ")})` : ""}`,
      ),
  );
  return ` ${view.summary}${mine.length > 0 ? `; for ${node}: ${mine.join("; ")}` : ""}.`;
}

export function nodeEditor(node: NodeView, state: ValidState, refresh: Refresh): HTMLElement {
  const general = h("div", { class: "form-errors" });
  const labels = h("textarea", { rows: 3, placeholder: "key=value, one per line" }) as HTMLTextAreaElement;
  labels.value = labelsText(node.labels);
  const taints = h("textarea", {
    rows: 3,
    placeholder: "key=value:NoSchedule, one per line",
  }) as HTMLTextAreaElement;
  taints.value = taintsText(node.taints);
  const options = serverTypeOptions(state, node.location);
  if (!options.some((option) => option.value === node.serverType))
    options.unshift({ value: node.serverType, label: `${node.serverType} (running; no longer sold here)` });
  const type = select(options, node.serverType);
  const fixed = node.serverTypeFixed.length > 0;
  if (fixed) type.setAttribute("disabled", "");
  const protection = h("input", { type: "checkbox" }) as HTMLInputElement;
  protection.checked = node.deleteProtection;
  const form = h(
    "form",
    { class: "inline-form grid-form", id: "node-editor", "data-node": node.name },
    h("h3", { class: "full" }, `Edit ${node.name}`),
    field("Kubernetes labels", "labels", labels, "One key=value per line; empty removes all labels."),
    field(
      "Taints",
      "taints",
      taints,
      `One key=value:Effect per line (${EFFECTS.join(", ")}); empty removes all.`,
    ),
    field(
      "Server type",
      "serverType",
      type,
      fixed ? node.serverTypeFixed.join(" ") : "Not deployed yet: the type of the server pulumi up creates.",
    ),
    field(
      "Volume size (GB)",
      "volumeSizeGb",
      textInput(node.volumeSizeGb === null ? "" : String(node.volumeSizeGb), {
        inputmode: "numeric",
        placeholder: "none",
      }),
      "Volumes only grow; a new one is mounted by pulumi up.",
    ),
    h("label", { class: "check" }, protection, " Delete protection (Hetzner refuses to delete the server)"),
    general,
    h("div", { class: "buttons full" }, h("button", { type: "submit" }, `Save ${node.name}`)),
  );
  protection.setAttribute("name", "deleteProtection");
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const changedType = !fixed && value(form, "serverType") !== node.serverType;
    const body: Record<string, unknown> = {
      labels: parseLabels(labels.value),
      taints: parseTaints(taints.value),
      volumeSizeGb: numberOrText(value(form, "volumeSizeGb")) ?? null,
      deleteProtection: protection.checked,
    };
    if (!fixed) body.serverType = value(form, "serverType");
    const saved = (plan: string) =>
      `Saved ${node.name}.${plan || " See Changes for what pulumi up will do."}`;
    submitEdit(
      { method: "PUT", path: `/api/nodes/${encodeURIComponent(node.name)}`, body },
      {
        // A new server type replaces the server: say so, from the plan, once the edit is in.
        accepted: showState(
          refresh,
          changedType ? async () => saved(await nodeChanges(node.name).catch(() => "")) : saved(""),
        ),
        refused: problemsIn(form, general),
      },
    );
  });
  return form;
}
