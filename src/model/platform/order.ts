import type { PlatformModel } from "./platform";
import type { AddonName, ReleaseModel } from "./releaseModel";

/** One add-on in the order the platform creates them: a step of plain objects, or a Helm release. */
export type PlatformItem<T> =
  | { readonly kind: "step"; readonly step: PlatformModel<T>["steps"][number] }
  | { readonly kind: "release"; readonly release: ReleaseModel<T> };

const nameOf = <T>(item: PlatformItem<T>): AddonName =>
  item.kind === "step" ? item.step.name : item.release.name;
const afterOf = <T>(item: PlatformItem<T>): readonly AddonName[] =>
  item.kind === "step" ? item.step.after : item.release.after;

/**
 * The steps and releases in an order where each comes after everything it names in `after`: the steps
 * first, then the releases, as listed, each moved back only as far as its dependencies require. An `after`
 * naming an add-on the stack does not install, or a cycle, is a defect of the model, and throws naming it.
 */
export function orderPlatform<T>(model: Pick<PlatformModel<T>, "steps" | "releases">): PlatformItem<T>[] {
  const pending: PlatformItem<T>[] = [
    ...model.steps.map((step) => ({ kind: "step" as const, step })),
    ...model.releases.map((release) => ({ kind: "release" as const, release })),
  ];
  const present = new Set(pending.map(nameOf));
  for (const item of pending) {
    const missing = afterOf(item).filter((name) => !present.has(name));
    if (missing.length > 0)
      throw new Error(
        `platform add-on ${nameOf(item)} waits for ${missing.join(", ")}, which the stack does not install`,
      );
  }
  const ready = new Set<AddonName>();
  const ordered: PlatformItem<T>[] = [];
  while (pending.length > 0) {
    const index = pending.findIndex((item) => afterOf(item).every((name) => ready.has(name)));
    if (index < 0) throw new Error(`platform dependencies form a cycle: ${pending.map(nameOf).join(", ")}`);
    const [item] = pending.splice(index, 1);
    ordered.push(item);
    ready.add(nameOf(item));
  }
  return ordered;
}
