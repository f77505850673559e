import { orderPlatform, type PlatformItem } from "../../src/model/platform/order";
import type { PlatformModel } from "../../src/model/platform/platform";
import type { AddonName, ReleaseModel, ReleaseName } from "../../src/model/platform/releaseModel";
import { CHARTS } from "../../src/versions";
import { platformOf } from "../helpers/platformModel";
import { shippedConfig } from "../helpers/plan";

/** The platform's order of creation: each add-on after what it waits for, as listed otherwise. */

const nameOf = (item: PlatformItem<string>): AddonName =>
  item.kind === "step" ? item.step.name : item.release.name;

function release(name: ReleaseName, after: AddonName[]): ReleaseModel<string> {
  return { name, namespace: name, chart: CHARTS.traefik, values: {}, after, timeoutSeconds: 60 };
}
function step(name: PlatformModel<string>["steps"][number]["name"], after: AddonName[]) {
  return { name, after, manifests: [] };
}

describe("the platform's order", () => {
  it("keeps the listed order where nothing waits, and moves an add-on after what it names", () => {
    const order = orderPlatform<string>({
      steps: [step("priority-class", []), step("cluster-issuers", ["cert-manager"])],
      releases: [
        release("rancher", ["cluster-issuers", "traefik"]),
        release("traefik", []),
        release("cert-manager", ["priority-class"]),
      ],
    });
    expect(order.map(nameOf)).toEqual([
      "priority-class",
      "traefik",
      "cert-manager",
      "cluster-issuers",
      "rancher",
    ]);
  });

  it("refuses an add-on that waits for one the stack does not install, naming both", () => {
    expect(() =>
      orderPlatform<string>({ steps: [], releases: [release("rancher", ["cert-manager"])] }),
    ).toThrow("platform add-on rancher waits for cert-manager, which the stack does not install");
  });

  it("refuses a cycle, naming what is in it", () => {
    expect(() =>
      orderPlatform<string>({
        steps: [],
        releases: [release("traefik", ["cert-manager"]), release("cert-manager", ["traefik"])],
      }),
    ).toThrow("platform dependencies form a cycle: traefik, cert-manager");
  });

  it.each(["dev", "prod"] as const)("puts every add-on of the %s stack after all it waits for", (stack) => {
    const order = orderPlatform(platformOf(shippedConfig(stack)));
    const position = new Map(order.map((item, index) => [nameOf(item), index]));
    for (const item of order) {
      const after = item.kind === "step" ? item.step.after : item.release.after;
      const at = position.get(nameOf(item)) ?? -1;
      for (const name of after)
        expect([nameOf(item), name, (position.get(name) ?? at) < at]).toEqual([nameOf(item), name, true]);
    }
    expect(position.get("network-policies")).toBeLessThan(position.get("cert-manager") ?? -1);
  });
});
