import * as pulumi from "@pulumi/pulumi";
import { clusterHcloudToken } from "../../src/config/credentials";
import { parseStackConfig } from "../../src/config/load";
import { devRaw, key, parsedAfter, problemsAfter } from "./fixtures";

// Output's value and secrecy are not public API; reading them here needs no engine.
interface OutputInternals {
  isSecret: Promise<boolean>;
  promise(): Promise<unknown>;
}

async function read(output: pulumi.Output<string>): Promise<{ value: unknown; secret: boolean }> {
  const internals = output as unknown as OutputInternals;
  return { value: await internals.promise(), secret: await internals.isSecret };
}

describe("the cluster's Hetzner token (clusterHcloudToken)", () => {
  it("is empty unless set, so the cluster gets the program's token", async () => {
    expect(parsedAfter(() => undefined).clusterHcloudToken).toBe("");
    expect(await read(clusterHcloudToken({ clusterHcloudToken: "" }, "program-token"))).toEqual({
      value: "program-token",
      secret: true,
    });
  });

  it("replaces the program's token for the cluster when set, and stays secret", async () => {
    const raw = devRaw();
    raw[key("clusterHcloudToken")] = "cluster-token";
    const config = parseStackConfig(raw, new Set(["clusterHcloudToken"]));
    expect(config.clusterHcloudToken).toBe("cluster-token");
    expect(await read(clusterHcloudToken(config, pulumi.secret("program-token")))).toEqual({
      value: "cluster-token",
      secret: true,
    });
  });

  it("is refused in plain text, like every other credential", () => {
    expect(problemsAfter((raw) => (raw[key("clusterHcloudToken")] = "cluster-token"))).toEqual([
      "hetzner-k8s:clusterHcloudToken: is a credential stored in plain text; set it with: pulumi config set --secret hetzner-k8s:clusterHcloudToken",
    ]);
  });
});
