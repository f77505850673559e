import { isTaintsCommandName } from "../model/k3s";
import { COMMAND_TYPE } from "./bootstrapPath";
import { changedValues, type PlanDiff, type ResourceChange } from "./diff";
import type { Plan, PlannedNode } from "./evaluate";
import { formatChange } from "./renderDiff";

/**
 * What a diff means for the servers that run, in words: the k3s release and the order the nodes roll in,
 * what each changed command (or volume) will do, a drain before a node goes, and settings that only new servers get.
 * Read from the two plans alone, so the plan CLI and the console say the same.
 */

export interface ExplainedDiff extends PlanDiff {
  notes: string[];
}

const RECONFIGURE = /-reconfigure$/;
const SERVER_TYPE = "hcloud:index/server:Server";
const VOLUME_TYPE = "hcloud:index/volume:Volume";
const NETWORK_POLICY_TYPE = "kubernetes:networking.k8s.io/v1:NetworkPolicy";

function list(names: readonly string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

function nodeOf(plan: Plan, resourceName: string, suffix: RegExp): PlannedNode | undefined {
  const name = resourceName.replace(suffix, "");
  return plan.nodes.find((node) => node.name === name);
}

/** A reconfigure command's change: the release it installs and the settings it writes. */
function reconfigureMeaning(before: Plan, after: Plan, name: string): string[] {
  const old = nodeOf(before, name, RECONFIGURE);
  const now = nodeOf(after, name, RECONFIGURE);
  if (!old || !now) return [];
  const lines: string[] = [];
  if (before.k3s.version !== after.k3s.version)
    lines.push(
      `installs k3s ${after.k3s.version} (now ${before.k3s.version}) and restarts k3s on ${now.name}`,
    );
  const settings = changedValues(old.k3sConfig, now.k3sConfig);
  for (const value of settings) lines.push(`config.yaml ${formatChange(value)}`);
  if (settings.length > 0 && before.k3s.version === after.k3s.version)
    lines.push(`writes the new config.yaml and restarts k3s on ${now.name}`);
  if (lines.length === 0)
    lines.push(
      "the install script changes; k3s restarts only if its release or config.yaml differ on the node",
    );
  return lines;
}

function taintsMeaning(before: Plan, after: Plan, name: string): string[] {
  const suffix = /-taints$/;
  const old = nodeOf(before, name, suffix)?.taints ?? [];
  const now = nodeOf(after, name, suffix)?.taints ?? [];
  if (JSON.stringify(old) === JSON.stringify(now)) return [];
  const shown = (taints: string[]) => (taints.length > 0 ? taints.join(", ") : "(none)");
  return [`sets the node's taints: ${shown(old)} → ${shown(now)}`];
}

function volumeMeaning(before: Plan, after: Plan, name: string): string[] {
  const suffix = /-volume$/;
  const old = nodeOf(before, name, suffix)?.volumeSizeGb;
  const now = nodeOf(after, name, suffix)?.volumeSizeGb;
  if (old === undefined || now === undefined || old === now) return [];
  return [
    `size: ${old} → ${now} GB: Hetzner grows the volume in place, with its data; then the node's ` +
      "prepare-volume command grows its filesystem online",
  ];
}

/**
 * A tenant egress policy's change that only follows the nodes: it excepts each node's public IPv4 (see
 * withNodesExcepted), so a node added or removed adds or removes an entry.
 */
function egressMeaning(before: Plan, after: Plan, entry: ResourceChange): string[] {
  const onlyExcepts = entry.paths.every((path) =>
    /^spec\.egress\[\d+\]\.to\[\d+\]\.ipBlock\.except\[\d+\]$/.test(path),
  );
  if (!onlyExcepts) return [];
  const names = (plan: Plan) => new Set(plan.nodes.map((node) => node.name));
  const [old, now] = [names(before), names(after)];
  const added = [...now].filter((name) => !old.has(name));
  const removed = [...old].filter((name) => !now.has(name));
  if (added.length + removed.length === 0) return [];
  const change = [...added.map((name) => `+ ${name}`), ...removed.map((name) => `- ${name}`)].join(", ");
  return [`the node addresses this tenant may not reach follow the nodes: ${change}`];
}

function meaningOf(before: Plan, after: Plan, entry: ResourceChange): string[] | undefined {
  let lines: string[] = [];
  if (entry.type === VOLUME_TYPE) lines = volumeMeaning(before, after, entry.name);
  else if (entry.type === NETWORK_POLICY_TYPE) lines = egressMeaning(before, after, entry);
  else if (entry.type !== COMMAND_TYPE) return undefined;
  else if (RECONFIGURE.test(entry.name)) lines = reconfigureMeaning(before, after, entry.name);
  else if (isTaintsCommandName(entry.name)) lines = taintsMeaning(before, after, entry.name);
  return lines.length > 0 ? lines : undefined;
}

function rollNote(before: Plan, after: Plan, diff: PlanDiff): string[] {
  const rolling = new Set(
    [...diff.update, ...diff.replace]
      .filter((entry) => entry.type === COMMAND_TYPE && RECONFIGURE.test(entry.name))
      .map((entry) => entry.name.replace(RECONFIGURE, "")),
  );
  if (rolling.size === 0) return [];
  const order = after.cluster.rollOrder.filter((name) => rolling.has(name));
  const release =
    before.k3s.version === after.k3s.version
      ? `k3s settings change on ${order.length} node(s)`
      : `k3s ${before.k3s.version} → ${after.k3s.version}`;
  return [
    `${release}: one node at a time, servers first, in this order: ${order.join(" → ")}; ` +
      "each waits for the one before it, and a node that fails stops the roll",
  ];
}

function removalNotes(before: Plan, after: Plan, diff: PlanDiff): string[] {
  const kept = new Set(after.nodes.map((node) => node.name));
  const deleted = new Set(diff.delete.map((entry) => entry.name));
  // A deletion runs with the settings of the last deployment: the state's drain command, not the edit's.
  const { onRemoval, timeoutSeconds } = before.cluster.drain;
  return before.nodes
    .filter((node) => !kept.has(node.name) && deleted.has(`${node.name}-server`))
    .map((node) => {
      const drain = onRemoval
        ? `${node.name} is drained before its server is deleted: cordoned, its pods evicted within their ` +
          `PodDisruptionBudgets for at most ${timeoutSeconds} s, then its Node removed; if the drain fails, ` +
          "the server stays"
        : `${node.name} is not drained (drainOnRemoval is false): its pods stop with its server`;
      const volume =
        node.volumeSizeGb !== undefined
          ? `; its ${node.volumeSizeGb} GB volume stays in Hetzner with its data (delete it there when done)`
          : "";
      return drain + volume;
    });
}

/** What a new node will be: the first boot and the k3s role it joins with. */
function creationNotes(before: Plan, after: Plan, diff: PlanDiff): string[] {
  const existing = new Set(before.nodes.map((node) => node.name));
  const created = new Set(diff.create.map((entry) => entry.name));
  return after.nodes
    .filter((node) => !existing.has(node.name) && created.has(`${node.name}-server`))
    .map(
      (node) =>
        `${node.name} is new: a ${node.serverType} in ${node.location} booting ${after.cluster.image}, joining ` +
        `as a k3s ${node.k3sRole}${node.role === "control-plane" ? " and etcd member" : ""}`,
    );
}

/** Settings a running server does not take: they differ in the plan, `pulumi up` leaves them alone. */
function unappliedNotes(before: Plan, after: Plan, diff: PlanDiff): string[] {
  const servers = diff.unapplied.filter((entry) => entry.type === SERVER_TYPE);
  const changed = (path: string) =>
    servers.filter((entry) => entry.paths.some((changedPath) => changedPath.startsWith(path)));
  const names = (entries: ResourceChange[]) =>
    list(entries.map((entry) => entry.name.replace(/-server$/, "")));
  const notes: string[] = [];
  const imaged = changed("image");
  if (imaged.length > 0)
    notes.push(
      `serverImage ${before.cluster.image} → ${after.cluster.image} applies to servers created from now on: ` +
        `${names(imaged)} keep their image (Hetzner changes it only by rebuilding a server, which erases its disk)`,
    );
  const keys = changed("userData");
  if (keys.length > 0) {
    const added = after.cluster.sshPublicKeys.filter((key) => !before.cluster.sshPublicKeys.includes(key));
    const removed = before.cluster.sshPublicKeys.filter((key) => !after.cluster.sshPublicKeys.includes(key));
    const what =
      added.length + removed.length > 0
        ? `sshPublicKeys (${added.length} added, ${removed.length} removed)`
        : "the servers' cloud-init user data";
    notes.push(
      `${what} reaches a server at its first boot only: servers created from now on get it, ${names(keys)} ` +
        "keep what they have (edit ~/.ssh/authorized_keys on them yourself)",
    );
  }
  return notes;
}

/**
 * What an edit of the autoscaled pools means for the servers the cluster-autoscaler made: they are not the
 * program's, so a removed pool leaves them running, and a new release, scripts or user data reach only the
 * servers it creates from now on.
 */
function autoscalingNotes(before: Plan, after: Plan): string[] {
  const scaled = (plan: Plan) => plan.nodePools.filter((pool) => pool.autoscaling);
  const old = new Map(scaled(before).map((pool) => [pool.name, pool]));
  const now = new Map(scaled(after).map((pool) => [pool.name, pool]));
  const runbook = "docs/runbooks/autoscaled-pools.md";
  const notes: string[] = [];
  for (const [name, pool] of old) {
    if (now.has(name) || !pool.autoscaling) continue;
    notes.push(
      `${name} is no longer autoscaled: the servers the cluster-autoscaler made for it (Hetzner label ` +
        `hcloud/node-group=${pool.autoscaling.nodeGroup}) keep running, unmanaged, and Hetzner keeps its subnet ` +
        `while they are attached; set its min to 0 and cordon its nodes first (${runbook})`,
    );
  }
  for (const [name, pool] of now) {
    const range = pool.autoscaling;
    const previous = old.get(name)?.autoscaling;
    if (!range) continue;
    if (!previous)
      notes.push(
        `${name} is autoscaled between ${range.min} and ${range.max} ${pool.serverType} in ${pool.location}: ` +
          `the cluster-autoscaler creates servers ${range.nodeGroup}-<hex> while pods wait for room`,
      );
    else if (previous.min !== range.min || previous.max !== range.max)
      notes.push(
        `${name} scales between ${range.min} and ${range.max} (was ${previous.min} and ${previous.max})`,
      );
  }
  const kept = [...now.keys()].filter((name) => old.has(name));
  if (kept.length > 0 && before.k3s.version !== after.k3s.version)
    notes.push(
      `k3s ${after.k3s.version} reaches the servers the cluster-autoscaler creates from now on: those of ` +
        `${list(kept)} that run keep ${before.k3s.version} until they go; cordon them to have them replaced (${runbook})`,
    );
  return notes;
}

export function explainDiff(before: Plan, after: Plan, diff: PlanDiff): ExplainedDiff {
  const explain = (entries: ResourceChange[]) =>
    entries.map((entry) => {
      const meaning = meaningOf(before, after, entry);
      return meaning ? { ...entry, meaning } : entry;
    });
  return {
    ...diff,
    update: explain(diff.update),
    replace: explain(diff.replace),
    notes: [
      ...rollNote(before, after, diff),
      ...creationNotes(before, after, diff),
      ...removalNotes(before, after, diff),
      ...unappliedNotes(before, after, diff),
      ...autoscalingNotes(before, after),
    ],
  };
}
