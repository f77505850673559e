import { callsTo, failureLine, ScriptHarness } from "./harness";

const NODE = "cp-1";
const SNAPSHOT_DIR = "/var/lib/rancher/k3s/server/db/snapshots";
const SNAPSHOT = "etcd-snapshot-cp-1-1723464004";

/** systemctl and k3s calls in order, which is what the restore procedure is about. */
function sequence(calls: string[]): string[] {
  return calls.filter((call) => call.startsWith("systemctl ") || call.startsWith("k3s "));
}

describe("restore-etcd.sh", () => {
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
    h.writeRootFile(`${SNAPSHOT_DIR}/${SNAPSHOT}`, "snapshot bytes");
    h.setActive("k3s");
  });
  afterEach(() => h.cleanup());

  it.each([undefined, "", "no", "YES", "y"])(
    "refuses without CONFIRM=yes (CONFIRM=%j) and touches nothing",
    (confirm) => {
      const env: Record<string, string> = { NODE_NAME: NODE, SNAPSHOT };
      if (confirm !== undefined) env.CONFIRM = confirm;
      const result = h.run("restore-etcd.sh", env);

      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(failureLine(NODE, "confirm"));
      expect(result.stderr).toContain("CONFIRM=yes");
      expect(result.stderr).toContain(`${SNAPSHOT_DIR}/${SNAPSHOT}`);
      expect(sequence(result.calls)).toEqual([]);
    },
  );

  it("stops k3s, resets etcd from the local snapshot, starts k3s, and prints the follow-up steps", () => {
    const result = h.run("restore-etcd.sh", { NODE_NAME: NODE, SNAPSHOT, CONFIRM: "yes" });

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(sequence(result.calls)).toEqual([
      "systemctl stop k3s",
      `k3s server --cluster-reset --cluster-reset-restore-path=${SNAPSHOT_DIR}/${SNAPSHOT}`,
      "systemctl start k3s",
    ]);
    const steps = result.stdout.slice(result.stdout.indexOf("on EACH OTHER control-plane node"));
    const stop = steps.indexOf("systemctl stop k3s");
    const remove = steps.indexOf("rm -rf /var/lib/rancher/k3s/server/db\n");
    const start = steps.indexOf("systemctl start k3s");
    expect(stop).toBeGreaterThan(0);
    expect(remove).toBeGreaterThan(stop);
    expect(start).toBeGreaterThan(remove);
    expect(result.stdout).toContain(`Do NOT run these commands on\n${NODE}`);
  });

  it("accepts an absolute snapshot path", () => {
    h.writeRootFile("/srv/backup/snap.zip", "zip");
    const result = h.run("restore-etcd.sh", {
      NODE_NAME: NODE,
      SNAPSHOT: "/srv/backup/snap.zip",
      CONFIRM: "yes",
    });

    expect(result.status).toBe(0);
    expect(callsTo(result.calls, "k3s")).toEqual([
      "server --cluster-reset --cluster-reset-restore-path=/srv/backup/snap.zip",
    ]);
  });

  it("restores an S3 snapshot by name with --etcd-s3, without looking for a local file", () => {
    const result = h.run("restore-etcd.sh", {
      NODE_NAME: NODE,
      SNAPSHOT: "on-demand-cp-1-1723550405",
      ETCD_S3: "true",
      CONFIRM: "yes",
    });

    expect(result.status).toBe(0);
    expect(sequence(result.calls)).toEqual([
      "systemctl stop k3s",
      "k3s server --cluster-reset --cluster-reset-restore-path=on-demand-cp-1-1723550405 --etcd-s3",
      "systemctl start k3s",
    ]);
  });

  it("fails before stopping k3s when the local snapshot does not exist", () => {
    const result = h.run("restore-etcd.sh", {
      NODE_NAME: NODE,
      SNAPSHOT: "no-such-snapshot",
      CONFIRM: "yes",
    });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "check-snapshot"));
    expect(sequence(result.calls)).toEqual([]);
  });

  it("leaves k3s stopped and fails with step cluster-reset when the reset fails", () => {
    const result = h.run("restore-etcd.sh", {
      NODE_NAME: NODE,
      SNAPSHOT,
      CONFIRM: "yes",
      STUB_K3S_EXIT: "1",
    });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "cluster-reset"));
    expect(sequence(result.calls).map((call) => call.split(" ").slice(0, 2).join(" "))).toEqual([
      "systemctl stop",
      "k3s server",
    ]);
  });

  it("requires SNAPSHOT", () => {
    const result = h.run("restore-etcd.sh", { NODE_NAME: NODE, CONFIRM: "yes" });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "check-env"));
  });
});
