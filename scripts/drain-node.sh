#!/usr/bin/env bash
set -euo pipefail
# Safely removes a node from the cluster before its server is destroyed: cordon, drain, delete the Node.
# Runs on a control-plane node that stays in the cluster (never on the node being removed).
#
# Run as root over SSH: `NODE_NAME='...' bash -s`,
# prelude.sh and drain-node.sh on stdin (readNodeScript puts the prelude first).
# All inputs are environment variables (the script is piped on stdin, so it has no path of its own):
#   NODE_NAME      required; the Kubernetes node to remove
#   DRAIN_TIMEOUT  seconds `kubectl drain` may take (default 300)
#   API_TIMEOUT    seconds any other single API request may take (default 30)
#
# Exits non-zero when the drain fails, so that the caller keeps the server. Idempotent: a node that is
# already gone is reported and the script exits 0.

NODE_NAME="${NODE_NAME:-}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
DRAIN_TIMEOUT="${DRAIN_TIMEOUT:-300}"
API_TIMEOUT="${API_TIMEOUT:-30}"
[[ $DRAIN_TIMEOUT =~ ^[1-9][0-9]*$ ]] || fail check-env "DRAIN_TIMEOUT must be a positive number of seconds, got '$DRAIN_TIMEOUT'"
[[ $API_TIMEOUT =~ ^[1-9][0-9]*$ ]] || fail check-env "API_TIMEOUT must be a positive number of seconds, got '$API_TIMEOUT'"

kubectl() {
  k3s kubectl --request-timeout="${API_TIMEOUT}s" "$@"
}

# --ignore-not-found separates "no such node" (empty output, exit 0) from "cannot ask the API server"
# (non-zero exit): the latter must stop us, or an unreachable API would let a server go undrained.
if ! existing=$(kubectl get node "$NODE_NAME" --ignore-not-found -o name); then
  fail lookup "could not query the API server for Node $NODE_NAME; not removing it"
fi
if [[ -z $existing ]]; then
  log lookup "Node $NODE_NAME does not exist (already removed); nothing to drain"
  exit 0
fi

kubectl cordon "$NODE_NAME" || fail cordon "kubectl cordon $NODE_NAME failed"
log cordon "cordoned $NODE_NAME"

# A node whose kubelet stopped reporting (Ready=Unknown: the server is dead or cut off) cannot terminate
# its pods, so a drain would only run into its timeout and keep a dead server forever. Its pods are not
# running anyway; deleting the Node lets their controllers start them elsewhere.
if ! ready=$(kubectl get node "$NODE_NAME" -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}'); then
  fail lookup "could not read the Ready condition of Node $NODE_NAME; not removing it"
fi
if [[ $ready == Unknown ]]; then
  log drain "$NODE_NAME is unreachable (Ready=Unknown); its pods cannot be evicted gracefully, deleting the Node so they are rescheduled"
else
  # drain evicts through the Eviction API, so PodDisruptionBudgets are honoured. Deliberately no --force
  # (would delete unmanaged pods for good) and no --disable-eviction (would bypass the budgets).
  # emptyDir data is scratch space by definition; DaemonSet pods are recreated on the node anyway.
  log drain "draining $NODE_NAME (timeout ${DRAIN_TIMEOUT}s)"
  if ! k3s kubectl drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout="${DRAIN_TIMEOUT}s"; then
    fail drain "kubectl drain $NODE_NAME did not finish within ${DRAIN_TIMEOUT}s or was refused (often a PodDisruptionBudget that allows no disruption); the node stays cordoned and its server is kept. Fix the cause and run again."
  fi
  log drain "drained $NODE_NAME"
fi

# Deleting the Node of a k3s server also makes k3s remove that server's etcd member.
kubectl delete node "$NODE_NAME" --ignore-not-found || fail delete "kubectl delete node $NODE_NAME failed"
log delete "deleted Node $NODE_NAME"
