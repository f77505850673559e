import { diffPlans } from "../../src/plan/diff";
import { explainDiff, type ExplainedDiff } from "../../src/plan/diffNotes";
import { evaluatePlan, type Plan } from "../../src/plan/evaluate";
import { formatChange, renderDiff } from "../../src/plan/renderDiff";
import type { StackConfig } from "../../src/config/schema";
import { addWorkers, editedConfig, planStack } from "../helpers/plan";
import { stackFromConfig } from "../../src/stack";

/** What the diff says a change does to running servers, beyond the list of resources. */

async function explained(
  before: (config: StackConfig) => void,
  after: (config: StackConfig) => void,
): Promise<{ diff: ExplainedDiff; text: string; from: Plan }> {
  const from = await planStack("dev", before);
  const to = await planStack("dev", (config) => {
    before(config);
    after(config);
  });
  const diff = explainDiff(from, to, diffPlans(from, to));
  return { diff, text: renderDiff(diff, "a", "b", { notes: diff.notes }), from };
}

const nothing = () => undefined;
const meaningOf = (diff: ExplainedDiff, name: string) =>
  [...diff.update, ...diff.replace].find((entry) => entry.name === name)?.meaning;

describe("a k3s upgrade", () => {
  let result: Awaited<ReturnType<typeof explained>>;
  beforeAll(async () => {
    result = await explained(
      (config) => void (config.k3sVersion = "v1.35.5+k3s1"),
      (config) => void (config.k3sVersion = "v1.35.6+k3s1"),
    );
  });

  it("says what each node's reconfigure installs, not how many lines its script has", () => {
    for (const node of ["cp-1", "cp-2", "cp-3", "worker-1"])
      expect(meaningOf(result.diff, `${node}-reconfigure`)).toEqual([
        `installs k3s v1.35.6+k3s1 (now v1.35.5+k3s1) and restarts k3s on ${node}`,
      ]);
    expect(result.text).not.toMatch(/\(\d+ lines\)/);
  });

  it("gives the roll order: servers first, one at a time", () => {
    expect(result.from.cluster.rollOrder).toEqual(["cp-1", "cp-2", "cp-3", "worker-1"]);
    expect(result.diff.notes[0]).toMatch(
      /^k3s v1\.35\.5\+k3s1 → v1\.35\.6\+k3s1: one node at a time, servers first, in this order: cp-1 → cp-2 → cp-3 → worker-1;/,
    );
  });
});

describe("what a command's change means", () => {
  it("names the k3s settings that change, on the servers only", async () => {
    const { diff } = await explained(nothing, (config) => void (config.etcdSnapshotRetention = 10));
    expect(meaningOf(diff, "cp-2-reconfigure")).toEqual([
      "config.yaml etcd-snapshot-retention: 28 → 10",
      "writes the new config.yaml and restarts k3s on cp-2",
    ]);
    expect(meaningOf(diff, "worker-1-reconfigure")).toBeUndefined();
    expect(diff.notes[0]).toMatch(/^k3s settings change on 3 node\(s\): .* cp-1 → cp-2 → cp-3;/);
  });

  it("shows a changed taint as the node's taints before and after", async () => {
    const { diff } = await explained(nothing, (config) => {
      config.nodes[3].taints = [{ key: "dedicated", value: "db", effect: "NoSchedule" }];
    });
    expect(meaningOf(diff, "worker-1-taints")).toEqual([
      "sets the node's taints: (none) → dedicated=db:NoSchedule",
    ]);
  });

  it("says that a volume grows in place and its filesystem online", async () => {
    const { diff } = await explained(nothing, (config) => void (config.nodes[3].volumeSizeGb = 40));
    expect(meaningOf(diff, "worker-1-volume")).toEqual([
      "size: 20 → 40 GB: Hetzner grows the volume in place, with its data; then the node's prepare-volume " +
        "command grows its filesystem online",
    ]);
  });
});

describe("a node's arrival", () => {
  it("says what the new node boots and joins as, and why every tenant's egress policy changes", async () => {
    const { diff } = await explained(nothing, (config) => addWorkers(config, 1, 14));
    expect(diff.notes).toEqual(["extra-1 is new: a cx23 in fsn1 booting debian-13, joining as a k3s agent"]);
    const egress = diff.update.filter((entry) => entry.name.endsWith("/tenant-egress"));
    expect(egress.length).toBe(3);
    for (const entry of egress)
      expect(entry.meaning).toEqual([
        "the node addresses this tenant may not reach follow the nodes: + extra-1",
      ]);
  });
});

describe("a node's removal", () => {
  const withExtra = (config: StackConfig) => {
    addWorkers(config, 1, 14);
    config.nodes[config.nodes.length - 1].volumeSizeGb = 10;
  };
  const removeExtra = (config: StackConfig) => void config.nodes.pop();

  it("says the drain runs first, with the timeout, and that the volume stays", async () => {
    const { diff } = await explained(withExtra, removeExtra);
    expect(diff.notes).toEqual([
      expect.stringMatching(
        /^extra-1 is drained before its server is deleted: .* for at most 600 s, .* if the drain fails, the server stays; its 10 GB volume stays in Hetzner/,
      ),
    ]);
  });

  it("takes the drain settings of the last deployment, which the deletion runs with", async () => {
    const { diff } = await explained(
      (config) => {
        withExtra(config);
        config.drainOnRemoval = false;
      },
      (config) => {
        removeExtra(config);
        config.drainOnRemoval = true;
      },
    );
    expect(diff.notes[0]).toMatch(/^extra-1 is not drained \(drainOnRemoval is false\)/);
  });
});

describe("settings that running servers do not take", () => {
  it("says an image change applies to new servers only, where it used to read as no change", async () => {
    const { diff, text } = await explained(nothing, (config) => void (config.serverImage = "debian-12"));
    expect([diff.create, diff.update, diff.replace, diff.delete].flat()).toEqual([]);
    expect(diff.unapplied.map((entry) => entry.name)).toEqual(
      expect.arrayContaining(["cp-1-server", "worker-1-server"]),
    );
    expect(text).toContain("  no changes to any resource\n");
    expect(diff.notes).toEqual([
      "serverImage debian-13 → debian-12 applies to servers created from now on: cp-1, cp-2, cp-3 and worker-1 " +
        "keep their image (Hetzner changes it only by rebuilding a server, which erases its disk)",
    ]);
  });

  it("says new SSH keys reach new servers only", async () => {
    const { diff } = await explained(nothing, (config) => {
      config.sshPublicKeys = ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE3k1Yh8g0Qm6u1 alice@laptop"];
    });
    expect(diff.notes).toEqual([
      expect.stringMatching(/^sshPublicKeys \(1 added, 0 removed\) reaches a server at its first boot only:/),
    ]);
  });
});

describe("secrets in the diff", () => {
  /** dev with an Alertmanager webhook, set after validation as `pulumi config set --secret` would allow. */
  const withWebhook = (url: string) => {
    const config = editedConfig("dev");
    config.alertmanagerWebhookUrl = url;
    return evaluatePlan("dev", stackFromConfig(config));
  };

  it("shows a changed secret as changed, without its value", async () => {
    const from = await withWebhook("https://hooks.example.com/first-token");
    const to = await withWebhook("https://hooks.example.com/second-token");
    const diff = explainDiff(from, to, diffPlans(from, to));
    const changed = diff.update.flatMap((entry) => entry.values ?? []).filter((value) => value.secret);
    expect(changed.length).toBeGreaterThan(0);
    const text = renderDiff(diff, "a", "b");
    expect(text).toContain("[secret] → [secret] (changed)");
    expect(text).not.toMatch(/first-token|second-token/);
    expect(JSON.stringify(diff)).not.toMatch(/first-token|second-token/);
  });

  it("shows nothing for a secret that did not change", async () => {
    const from = await withWebhook("https://hooks.example.com/same-token");
    const to = await withWebhook("https://hooks.example.com/same-token");
    expect(diffPlans(from, to).update).toEqual([]);
  });
});

describe("formatChange", () => {
  it("shows where two scripts differ instead of their lengths", () => {
    expect(formatChange({ path: "update", before: "a\nb\nc\nd", after: "a\nB\nc\nd" })).toBe(
      'update: line 2 of 4: 1 line(s) → 1 line(s), "b" → "B"',
    );
  });
});

describe("autoscaled pools in a diff", () => {
  const burst = {
    name: "burst",
    autoscaling: { min: 0, max: 3 },
    serverType: "cx33",
    ipRange: "10.0.2.0/28",
  };
  const withBurst = (config: StackConfig) => void (config.nodePools = [structuredClone(burst)]);

  it("says what a new pool, a new range and a removed pool mean for the cluster-autoscaler's servers", async () => {
    const added = await explained(nothing, withBurst);
    expect(added.diff.notes).toContain(
      "burst is autoscaled between 0 and 3 cx33 in fsn1: the cluster-autoscaler creates servers dev-burst-<hex> while pods wait for room",
    );
    const resized = await explained(withBurst, (config) => {
      const pool = config.nodePools[0];
      if (pool.autoscaling) pool.autoscaling.max = 5;
    });
    expect(resized.diff.notes).toContain("burst scales between 0 and 5 (was 0 and 3)");
    const removed = await explained(withBurst, (config) => void (config.nodePools = []));
    expect(removed.diff.notes).toContainEqual(
      expect.stringMatching(
        /^burst is no longer autoscaled: the servers the cluster-autoscaler made for it \(Hetzner label hcloud\/node-group=dev-burst\) keep running, unmanaged/,
      ),
    );
  });

  it("says that a k3s upgrade reaches only the servers the cluster-autoscaler creates afterwards", async () => {
    const upgraded = await explained(
      (config) => {
        withBurst(config);
        config.k3sVersion = "v1.35.5+k3s1";
      },
      (config) => void (config.k3sVersion = "v1.35.6+k3s1"),
    );
    expect(upgraded.diff.notes).toContainEqual(
      expect.stringMatching(
        /^k3s v1\.35\.6\+k3s1 reaches the servers the cluster-autoscaler creates from now on: those of burst that run keep v1\.35\.5\+k3s1/,
      ),
    );
    const unchanged = await explained(withBurst, nothing);
    expect(unchanged.diff.notes.filter((note) => note.includes("autoscal"))).toEqual([]);
  });
});
