/**
 * Hetzner Cloud label selectors (as in a firewall's `applyTos[].labelSelector`): comma-separated terms
 * that must all match. Terms: `key=value` (or `key==value`), `key!=value`, `key` (has the label), `!key`
 * (lacks it), `key in (a,b)` and `key notin (a,b)`.
 */

export type Term =
  | { readonly kind: "equals"; readonly key: string; readonly value: string }
  | { readonly kind: "notEquals"; readonly key: string; readonly value: string }
  | { readonly kind: "exists"; readonly key: string }
  | { readonly kind: "notExists"; readonly key: string }
  | { readonly kind: "in"; readonly key: string; readonly values: readonly string[] }
  | { readonly kind: "notIn"; readonly key: string; readonly values: readonly string[] };

const KEY = String.raw`[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?`;
const VALUE = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)?`;
const EQUALITY = new RegExp(String.raw`^(${KEY})\s*(==|=|!=)\s*(${VALUE})$`);
const SET = new RegExp(String.raw`^(${KEY})\s+(in|notin)\s*\(([^()]*)\)$`);
const EXISTS = new RegExp(String.raw`^(${KEY})$`);
const NOT_EXISTS = new RegExp(String.raw`^!\s*(${KEY})$`);

/** Splits on the commas that are not inside `( )`. */
function splitTerms(selector: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of selector) {
    if (char === "(") depth += 1;
    if (char === ")") depth -= 1;
    if (char === "," && depth === 0) {
      terms.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  terms.push(current);
  return terms.map((term) => term.trim());
}

function parseTerm(term: string): Term | undefined {
  let match = EQUALITY.exec(term);
  if (match) {
    const [, key, operator, value] = match;
    return operator === "!=" ? { kind: "notEquals", key, value } : { kind: "equals", key, value };
  }
  match = SET.exec(term);
  if (match) {
    const [, key, operator, list] = match;
    const values = list.split(",").map((value) => value.trim());
    return operator === "in" ? { kind: "in", key, values } : { kind: "notIn", key, values };
  }
  match = NOT_EXISTS.exec(term);
  if (match) return { kind: "notExists", key: match[1] };
  match = EXISTS.exec(term);
  if (match) return { kind: "exists", key: match[1] };
  return undefined;
}

/** The terms of a selector, or `undefined` if it is empty or any term is not valid selector syntax. */
export function parseLabelSelector(selector: string): readonly Term[] | undefined {
  if (selector.trim() === "") return undefined;
  const terms: Term[] = [];
  for (const text of splitTerms(selector)) {
    const term = parseTerm(text);
    if (!term) return undefined;
    terms.push(term);
  }
  return terms;
}

function termMatches(term: Term, labels: ReadonlyMap<string, string>): boolean {
  const value = labels.get(term.key);
  switch (term.kind) {
    case "equals":
      return value === term.value;
    case "notEquals":
      return value !== term.value;
    case "exists":
      return value !== undefined;
    case "notExists":
      return value === undefined;
    case "in":
      return value !== undefined && term.values.includes(value);
    case "notIn":
      return value === undefined || !term.values.includes(value);
  }
}

/**
 * Whether `labels` satisfy every term of `selector`. An empty or malformed selector matches nothing: a
 * policy cannot credit a firewall with servers it cannot tell it reaches.
 */
export function selectorMatches(selector: string, labels: ReadonlyMap<string, string>): boolean {
  const terms = parseLabelSelector(selector);
  return terms !== undefined && terms.every((term) => termMatches(term, labels));
}
