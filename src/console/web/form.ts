/// <reference lib="dom" />
import type { Problem, StateView } from "./api";
import { clear, h, type Child } from "./dom";

/** Form fields with a place for their own error, and the mapping of server problems onto them. */

export function field(label: string, name: string, input: HTMLElement, hint?: string): HTMLElement {
  input.setAttribute("name", name);
  input.setAttribute("id", `field-${name}`);
  return h(
    "div",
    { class: "field" },
    h("label", { for: `field-${name}` }, label),
    input,
    hint ? h("div", { class: "hint" }, hint) : null,
    h("div", { class: "field-error", "data-error-for": name, role: "alert" }),
  );
}

export function textInput(value = "", attrs: Record<string, string> = {}): HTMLInputElement {
  const input = h("input", { type: "text", ...attrs }) as HTMLInputElement;
  input.value = value;
  return input;
}

export function select(options: { value: string; label: string }[], value = ""): HTMLSelectElement {
  const element = h(
    "select",
    {},
    ...options.map((option) => h("option", { value: option.value }, option.label)),
  ) as HTMLSelectElement;
  element.value = value;
  return element;
}

export function value(form: HTMLElement, name: string): string {
  const element = form.querySelector<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>(
    `[name="${name}"]`,
  );
  return element ? element.value.trim() : "";
}

/** "" stays unset (the default applies), whole numbers become numbers, anything else is sent as typed. */
export function numberOrText(text: string): number | string | undefined {
  if (text === "") return undefined;
  return /^-?\d+$/.test(text) ? Number(text) : text;
}

export function list(text: string): string[] | undefined {
  const items = text
    .split(/[,\s]+/)
    .map((item) => item.trim())
    .filter((item) => item !== "");
  return items.length > 0 ? items : undefined;
}

export function clearProblems(form: HTMLElement, general: HTMLElement): void {
  form.querySelectorAll(".field-error").forEach((element) => clear(element));
  form.querySelectorAll(".invalid").forEach((element) => element.classList.remove("invalid"));
  clear(general);
  general.classList.remove("visible");
}

/**
 * Puts each problem next to its field (`quota.pods`, or `labels` for `labels.x`), inside the part of the
 * form for its entry (`data-entry`) when the edit had several; the rest in `general`.
 */
export function showProblems(
  form: HTMLElement,
  general: HTMLElement,
  problems: Problem[],
  fallback?: string,
  heading = "Not saved — the stack file is unchanged:",
): void {
  clearProblems(form, general);
  const rest: Child[] = [];
  for (const problem of problems) {
    const scope =
      problem.entry !== undefined
        ? (form.querySelector<HTMLElement>(`[data-entry="${problem.entry}"]`) ?? form)
        : form;
    let target: Element | null = null;
    if (problem.field) {
      const parts = problem.field.split(".");
      for (let length = parts.length; length > 0 && !target; length -= 1) {
        target = scope.querySelector(`[data-error-for="${parts.slice(0, length).join(".")}"]`);
      }
    }
    if (target) {
      target.appendChild(h("div", {}, problem.message));
      target.parentElement?.querySelector("input, select, textarea")?.classList.add("invalid");
    } else rest.push(h("li", { class: "problem-line" }, problem.line));
  }
  if (fallback) rest.push(h("li", { class: "problem-line" }, fallback));
  if (rest.length > 0) {
    general.appendChild(h("div", {}, heading));
    general.appendChild(h("ul", {}, ...rest));
    general.classList.add("visible");
  } else if (problems.length > 0) {
    general.appendChild(h("div", {}, `${heading.replace(/:$/, ".")} See the marked fields.`));
    general.classList.add("visible");
  }
}

/** Shown instead of a page's forms while the stack file itself has problems: nothing can be edited safely. */
export function invalidStackCard(state: StateView): HTMLElement {
  return h(
    "section",
    { class: "card problems" },
    h("h2", {}, "Fix the stack file first"),
    h("ul", {}, ...state.problems.map((problem) => h("li", { class: "problem-line" }, problem.line))),
  );
}
