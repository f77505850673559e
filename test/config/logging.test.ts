import { ineffectiveKeys } from "../../src/config/ineffectiveKeys";
import { logRetentionHours } from "../../src/config/loggingRules";
import { stackConfigSchema } from "../../src/config/schema";
import { key, parsedAfter, problemsAfter } from "./fixtures";

describe("logging settings", () => {
  it("are on with a week of logs on a 20 GB volume unless the stack says otherwise", () => {
    const defaults = stackConfigSchema.parse({
      clusterName: "x",
      sshAllowedSources: ["203.0.113.7/32"],
      apiAllowedSources: ["203.0.113.7/32"],
      nodes: [],
    });
    expect([defaults.loggingEnabled, defaults.logRetention, defaults.logStorageGb]).toEqual([true, "7d", 20]);
  });

  it.each(["24h", "168h", "7d", "2w", "30d"])("accept %s as a retention", (retention) => {
    expect(problemsAfter((raw) => (raw[key("logRetention")] = retention))).toEqual([]);
    expect(parsedAfter((raw) => (raw[key("logRetention")] = retention)).logRetention).toBe(retention);
  });

  it.each(["7 days", "1d12h", "7D", "0d", "", "10m", "1y"])(
    "reject %j, which is not a duration of whole hours, days or weeks, naming the key",
    (retention) => {
      expect(problemsAfter((raw) => (raw[key("logRetention")] = retention))).toEqual([
        `hetzner-k8s:logRetention: "${retention}" is not a duration of whole hours, days or weeks (e.g. 168h, 7d, 2w)`,
      ]);
    },
  );

  it("reject a retention below Loki's least, 24h", () => {
    expect(problemsAfter((raw) => (raw[key("logRetention")] = "12h"))).toEqual([
      `hetzner-k8s:logRetention: "12h" is shorter than Loki's least retention of 24h`,
    ]);
  });

  it("count the retention in hours", () => {
    expect([logRetentionHours("36h"), logRetentionHours("7d"), logRetentionHours("2w")]).toEqual([
      36, 168, 336,
    ]);
    expect(logRetentionHours("7days")).toBeUndefined();
  });

  it("reject a volume below 10 GB or in parts of a GB, and a switch that is not a boolean", () => {
    expect(problemsAfter((raw) => (raw[key("logStorageGb")] = 5))).toEqual([
      "hetzner-k8s:logStorageGb: must be at least 10, got 5",
    ]);
    expect(problemsAfter((raw) => (raw[key("logStorageGb")] = 12.5))).toEqual([
      "hetzner-k8s:logStorageGb: must be a whole number of GB, got 12.5",
    ]);
    expect(problemsAfter((raw) => (raw[key("loggingEnabled")] = "yes"))).toHaveLength(1);
    expect(problemsAfter((raw) => (raw[key("loggingEnabled")] = "yes"))[0]).toMatch(
      /^hetzner-k8s:loggingEnabled: /,
    );
  });

  it("take a stack without logging, noting the log keys it still sets", () => {
    const config = parsedAfter((raw) => (raw[key("loggingEnabled")] = false));
    expect(config.loggingEnabled).toBe(false);
    const notes = (edit: (raw: Record<string, unknown>) => void) =>
      ineffectiveKeys(parsedAfter(edit))
        .map((note) => `${note.path.join(".")}: ${note.message}`)
        .filter((line) => line.startsWith("log"));
    expect(notes((raw) => (raw[key("loggingEnabled")] = false))).toEqual([]);
    expect(
      notes((raw) => {
        raw[key("loggingEnabled")] = false;
        raw[key("logRetention")] = "14d";
        raw[key("logStorageGb")] = 40;
      }),
    ).toEqual([
      "logRetention: has no effect with loggingEnabled false",
      "logStorageGb: has no effect with loggingEnabled false",
    ]);
    expect(notes((raw) => (raw[key("logRetention")] = "14d"))).toEqual([]);
  });
});
