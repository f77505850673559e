#!/usr/bin/env bash
set -euo pipefail
# Disaster recovery: resets the embedded etcd cluster to a snapshot. Run by an operator, as root, on the
# FIRST control-plane node. Every change made to the cluster after the snapshot is lost.
#
#   cat scripts/prelude.sh scripts/restore-etcd.sh |
#     ssh root@<node> "SNAPSHOT='etcd-snapshot-cp-1-1723464004' CONFIRM=yes bash -s"
#
# prelude.sh comes first, as the program puts it in front of every node script: it defines fail and log.
#
# Inputs (environment variables):
#   SNAPSHOT       a snapshot file: an absolute path, or a file name inside
#                  /var/lib/rancher/k3s/server/db/snapshots; with ETCD_S3=true, the snapshot's name in S3
#   CONFIRM        must be "yes"; anything else refuses, because the reset cannot be undone
#   ETCD_S3        "true" to fetch SNAPSHOT from S3 with the etcd-s3-* settings already in config.yaml
#   NODE_NAME      names this node in messages (default: the host name)
#   RESET_TIMEOUT  seconds the reset may take (default 900)
#   HK_ROOT        prefix for every file the script reads (tests point it at a temp dir)
#
# Stop k3s on the OTHER control-plane nodes before running this: once this node comes back as a new
# one-member cluster, they would otherwise keep serving the old state through the load balancer.

ROOT="${HK_ROOT:-}"
SNAPSHOT_DIR=/var/lib/rancher/k3s/server/db/snapshots

# Piped alone, without prelude.sh in front: say how to run it, before anything is touched.
if ! declare -F fail >/dev/null; then
  echo "hetzner-k8s: restore-etcd.sh runs after scripts/prelude.sh: cat scripts/prelude.sh scripts/restore-etcd.sh | ssh ... bash -s" >&2
  exit 1
fi

NODE_NAME="${NODE_NAME:-$(uname -n)}"
SNAPSHOT="${SNAPSHOT:-}"
CONFIRM="${CONFIRM:-}"
ETCD_S3="${ETCD_S3:-false}"
RESET_TIMEOUT="${RESET_TIMEOUT:-900}"

[[ -n $SNAPSHOT ]] || fail check-env "SNAPSHOT is required (a file in $SNAPSHOT_DIR, or an S3 snapshot name with ETCD_S3=true)"
[[ $ETCD_S3 == true || $ETCD_S3 == false ]] || fail check-env "ETCD_S3 must be 'true' or 'false', got '$ETCD_S3'"
[[ $RESET_TIMEOUT =~ ^[1-9][0-9]*$ ]] || fail check-env "RESET_TIMEOUT must be a positive number of seconds, got '$RESET_TIMEOUT'"

if [[ $ETCD_S3 == true ]]; then
  restore_path=$SNAPSHOT
  source_text="S3 snapshot $SNAPSHOT"
else
  # A bare name means a file in the default snapshot directory, as `k3s etcd-snapshot ls` prints it.
  if [[ $SNAPSHOT == /* ]]; then restore_path=$SNAPSHOT; else restore_path="$SNAPSHOT_DIR/$SNAPSHOT"; fi
  source_text="local snapshot $restore_path"
fi

if [[ $CONFIRM != yes ]]; then
  fail confirm "refusing to restore etcd from $source_text: this resets the whole cluster to that snapshot and discards every change made since. Stop k3s on the other control-plane nodes, then re-run with CONFIRM=yes."
fi

if [[ $ETCD_S3 == false && ! -f "$ROOT$restore_path" ]]; then
  fail check-snapshot "snapshot file $restore_path does not exist (list them with 'k3s etcd-snapshot ls')"
fi

log stop "stopping k3s"
systemctl stop k3s || fail stop "systemctl stop k3s failed"

reset_args=(server --cluster-reset "--cluster-reset-restore-path=$restore_path")
# With --etcd-s3, k3s downloads the snapshot using the etcd-s3-* settings of /etc/rancher/k3s/config.yaml.
if [[ $ETCD_S3 == true ]]; then reset_args+=(--etcd-s3); fi
log cluster-reset "restoring etcd from $source_text (k3s ${reset_args[*]})"
# k3s restores, prints "restart without --cluster-reset flag now" and exits on its own.
if ! timeout --kill-after=30 "$RESET_TIMEOUT" k3s "${reset_args[@]}"; then
  fail cluster-reset "k3s --cluster-reset failed or exceeded ${RESET_TIMEOUT}s; k3s is left stopped. Read the output above; the previous data is kept in /var/lib/rancher/k3s/server/db/etcd-old-*"
fi

log start "starting k3s"
systemctl start k3s || fail start "systemctl start k3s failed; see 'journalctl -u k3s'"
log start "k3s restarted on $NODE_NAME from $source_text"

cat <<EOF

Restore done on $NODE_NAME. Now, on EACH OTHER control-plane node, one at a time, run as root:

  systemctl stop k3s
  rm -rf /var/lib/rancher/k3s/server/db
  systemctl start k3s

Each of them then joins the restored cluster as a new etcd member. Do NOT run these commands on
$NODE_NAME: that would delete the data just restored. Agents need no action.
EOF
