import { parseLabelSelector, selectorMatches } from "../../policy/policies/labelSelector";

const labels = new Map([
  ["cluster", "dev"],
  ["role", "control-plane"],
  ["hetzner-k8s.io/tenant", "team-a"],
]);

describe("Hetzner label selectors", () => {
  it.each([
    "cluster=dev",
    "cluster==dev",
    "cluster=dev,role=control-plane",
    " cluster = dev , role=control-plane ",
    "cluster!=prod",
    "role",
    "!pool",
    "role in (control-plane,worker)",
    "role notin (worker), cluster=dev",
    "hetzner-k8s.io/tenant=team-a",
  ])("%p matches", (selector) => {
    expect(selectorMatches(selector, labels)).toBe(true);
  });

  it.each([
    "cluster=prod",
    "cluster=dev,role=worker",
    "cluster!=dev",
    "pool",
    "!role",
    "role in (worker)",
    "role notin (control-plane)",
    "cluster=",
  ])("%p does not match", (selector) => {
    expect(selectorMatches(selector, labels)).toBe(false);
  });

  it.each(["", " ", "cluster=dev,", "=dev", "cluster=dev value", "role in control-plane", "a=(b)"])(
    "%p is not a valid selector and matches nothing",
    (selector) => {
      expect(parseLabelSelector(selector)).toBeUndefined();
      expect(selectorMatches(selector, labels)).toBe(false);
    },
  );

  it("splits on commas outside parentheses only", () => {
    expect(parseLabelSelector("role in (a,b),cluster=dev")).toEqual([
      { kind: "in", key: "role", values: ["a", "b"] },
      { kind: "equals", key: "cluster", value: "dev" },
    ]);
  });
});
