import { nodePoolsUniform } from "../../policy/policies/nodePoolsUniform";
import { SERVER_TYPE } from "../../policy/policies/serversPrivateAndFirewalled";
import { runStack, urnOf, type ResourceSpec } from "./helpers";

function server(
  name: string,
  labels: Record<string, string>,
  props: Record<string, unknown> = {},
): ResourceSpec {
  return {
    type: SERVER_TYPE,
    name,
    props: {
      name: `prod-${name}`,
      serverType: "cpx42",
      image: "debian-13",
      location: "fsn1",
      labels,
      ...props,
    },
  };
}

const worker = (pool: string) => ({ cluster: "prod", role: "worker", pool });

describe("node-pools-uniform", () => {
  it("accepts pools of alike workers, and servers outside any pool of any kind", async () => {
    const violations = await runStack(nodePoolsUniform, [
      server("general-1", worker("general")),
      server("general-2", worker("general")),
      server("batch-1", worker("batch"), { serverType: "ccx33" }),
      server("cp-1", { cluster: "prod", role: "control-plane" }, { serverType: "ccx23" }),
      server("db-1", { cluster: "prod", role: "worker" }, { location: "nbg1" }),
    ]);
    expect(violations).toEqual([]);
  });

  it("refuses a control-plane server in a pool, naming it", async () => {
    const violations = await runStack(nodePoolsUniform, [
      server("general-1", { cluster: "prod", role: "control-plane", pool: "general" }),
      server("general-2", { cluster: "prod", pool: "general" }),
    ]);
    expect(violations).toEqual([
      {
        message: expect.stringMatching(
          /^server "general-1" \(prod-general-1\) is in node pool "general" but has role control-plane: /,
        ) as string,
        urn: urnOf(SERVER_TYPE, "general-1"),
      },
      {
        message: expect.stringContaining('is in node pool "general" but has role (none)') as string,
        urn: urnOf(SERVER_TYPE, "general-2"),
      },
    ]);
  });

  it.each(["serverType", "image", "location"])(
    "refuses a pool whose servers differ in %s",
    async (property) => {
      const violations = await runStack(nodePoolsUniform, [
        server("general-1", worker("general")),
        server("general-2", worker("general")),
        server("general-3", worker("general"), { [property]: "other" }),
      ]);
      expect(violations).toHaveLength(1);
      expect(violations[0].message).toMatch(
        new RegExp(
          `^node pool "general" mixes ${property}s: .* \\(server "general-1" \\(prod-general-1\\) and server "general-2" \\(prod-general-2\\)\\) and other \\(server "general-3" \\(prod-general-3\\)\\)`,
        ),
      );
    },
  );
});
