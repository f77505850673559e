import * as pulumi from "@pulumi/pulumi";
import { entryOf } from "../../src/lookup";

/** A component's lookups of what it built: the entry, or an error on the component naming map and key. */

beforeAll(async () => {
  await pulumi.runtime.setMocks(
    { newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }), call: (args) => args.inputs },
    "hetzner-k8s",
    "dev",
    false,
  );
});

describe("entryOf", () => {
  let parent: pulumi.ComponentResource;
  beforeAll(() => {
    parent = new pulumi.ComponentResource("hetzner-k8s:test:Parent", "parent");
  });
  const servers = new Map([["cp-1", "server of cp-1"]]);

  it("returns the entry of a key the map has", () => {
    expect(entryOf(servers, "cp-1", "the servers", parent)).toBe("server of cp-1");
  });

  it("throws a ResourceError on the component that names the map and the key", () => {
    expect(() => entryOf(servers, "cp-9", "the servers", parent)).toThrow(pulumi.ResourceError);
    expect(() => entryOf(servers, "cp-9", "the servers", parent)).toThrow(
      "the servers has no entry for cp-9",
    );
  });
});
