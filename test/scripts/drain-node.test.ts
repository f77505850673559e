import { callsTo, failureLine, ScriptHarness } from "./harness";

const NODE = "worker-3";

/** A k3s whose kubectl knows one Node (STUB_NODE, empty for none) and fails the verbs it is told to. */
const K3S_KUBECTL = `
args=" $* "
verb=""
for candidate in get cordon drain delete; do
  if [[ $args == *" $candidate "* ]]; then verb=$candidate; break; fi
done
case $verb in
get)
  [[ \${STUB_GET_EXIT:-0} == 0 ]] || { echo "The connection to the server was refused" >&2; exit 1; }
  if [[ $args == *jsonpath* ]]; then echo "\${STUB_READY:-True}"; exit 0; fi
  if [[ -n \${STUB_NODE:-} ]]; then echo "node/$STUB_NODE"; fi ;;
cordon) exit "\${STUB_CORDON_EXIT:-0}" ;;
drain)
  [[ \${STUB_DRAIN_EXIT:-0} == 0 ]] || { echo "error when evicting pods: Cannot evict pod as it would violate the pod's disruption budget." >&2; exit 1; } ;;
delete) exit "\${STUB_DELETE_EXIT:-0}" ;;
*) exit 64 ;;
esac`;

/** The kubectl verb of each k3s call, in order. */
function verbs(calls: string[]): string[] {
  return callsTo(calls, "k3s").map((call) => {
    const verb = call.split(" ").find((word) => ["get", "cordon", "drain", "delete"].includes(word));
    return verb ?? call;
  });
}

describe("drain-node.sh", () => {
  let h: ScriptHarness;
  beforeEach(() => {
    h = new ScriptHarness();
    h.stub("k3s", K3S_KUBECTL);
  });
  afterEach(() => h.cleanup());

  it("exits 0 without draining when the Node does not exist", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: "" });

    expect(result.status).toBe(0);
    expect(verbs(result.calls)).toEqual(["get"]);
    expect(result.stdout).toContain(`Node ${NODE} does not exist`);
  });

  it("cordons, drains through the eviction API, then deletes the Node, in that order", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, DRAIN_TIMEOUT: "120" });

    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    expect(verbs(result.calls)).toEqual(["get", "cordon", "get", "drain", "delete"]);
    const k3s = callsTo(result.calls, "k3s");
    expect(k3s[1]).toMatch(new RegExp(`cordon ${NODE}$`));
    const drain = k3s[3];
    expect(drain).toBe(`kubectl drain ${NODE} --ignore-daemonsets --delete-emptydir-data --timeout=120s`);
    expect(drain).not.toContain("--disable-eviction");
    expect(drain).not.toContain("--force");
    expect(k3s[4]).toMatch(new RegExp(`delete node ${NODE}( |$)`));
  });

  it("deletes an unreachable node (Ready=Unknown) without waiting for a drain that cannot finish", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, STUB_READY: "Unknown" });

    expect(result.status).toBe(0);
    expect(verbs(result.calls)).toEqual(["get", "cordon", "get", "delete"]);
    expect(result.stdout).toContain("unreachable (Ready=Unknown)");
  });

  it("still drains a node that is reachable but not ready (Ready=False)", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, STUB_READY: "False" });
    expect(verbs(result.calls)).toEqual(["get", "cordon", "get", "drain", "delete"]);
  });

  it("uses DRAIN_TIMEOUT's default of 300 seconds", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE });
    expect(callsTo(result.calls, "k3s")[3]).toContain("--timeout=300s");
  });

  it("fails with step drain and keeps the Node when the drain fails (e.g. a PodDisruptionBudget)", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, STUB_DRAIN_EXIT: "1" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "drain"));
    expect(result.stderr).toContain("disruption budget");
    expect(verbs(result.calls)).toEqual(["get", "cordon", "get", "drain"]);
  });

  it("fails, without draining or deleting, when the API server cannot be asked", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, STUB_GET_EXIT: "1" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "lookup"));
    expect(verbs(result.calls)).toEqual(["get"]);
  });

  it("fails with step cordon, without draining, when cordon fails", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, STUB_CORDON_EXIT: "1" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "cordon"));
    expect(verbs(result.calls)).toEqual(["get", "cordon"]);
  });

  it("fails with step delete when deleting the Node fails", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, STUB_DELETE_EXIT: "1" });

    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine(NODE, "delete"));
  });

  it("bounds every other API request", () => {
    const result = h.run("drain-node.sh", { NODE_NAME: NODE, STUB_NODE: NODE, API_TIMEOUT: "7" });
    const k3s = callsTo(result.calls, "k3s");
    for (const call of [k3s[0], k3s[1], k3s[2], k3s[4]]) expect(call).toContain("--request-timeout=7s");
  });

  it("requires NODE_NAME", () => {
    const result = h.run("drain-node.sh", {});
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(failureLine("<unset>", "check-env"));
    expect(result.calls).toEqual([]);
  });
});
