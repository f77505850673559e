#!/usr/bin/env bash
set -euo pipefail
# Keeps a Node's taints as the stack file says, and touches no other taint: the cloud controller's
# node.cloudprovider.kubernetes.io/uninitialized, the node controller's not-ready and unreachable, a
# cordon's unschedulable. A Node's taint list is one atomic field for server-side apply, so applying the
# list would strip those; this reads the Node and adds or removes one taint at a time by key and effect.
# The taints it set last time are kept in an annotation, so a taint deleted from the stack file is removed
# and a taint someone else set is never touched.
#
# Run as root on a control-plane node over SSH: `NODE_NAME=... NODE_TAINTS=... bash -s`,
# prelude.sh and apply-node-taints.sh on stdin (readNodeScript puts the prelude first).
#   NODE_NAME    required; the Kubernetes node
#   NODE_TAINTS  the node's taints from the stack file, one `key[=value]:Effect` per line (may be empty)
#   KUBECTL      the kubectl command (default `k3s kubectl`)
#   API_TIMEOUT  seconds a single API request may take (default 30)

NODE_NAME="${NODE_NAME:-}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
NODE_TAINTS="${NODE_TAINTS:-}"
API_TIMEOUT="${API_TIMEOUT:-30}"
[[ $API_TIMEOUT =~ ^[1-9][0-9]*$ ]] || fail check-env "API_TIMEOUT must be a positive number of seconds, got '$API_TIMEOUT'"
read -r -a KUBECTL_COMMAND <<<"${KUBECTL:-k3s kubectl}"
ANNOTATION=hetzner-k8s.io/managed-taints
TAINT_PATTERN='^[A-Za-z0-9./_-]+(=[A-Za-z0-9._-]*)?:(NoSchedule|PreferNoSchedule|NoExecute)$'

kubectl() {
  command "${KUBECTL_COMMAND[@]}" --request-timeout="${API_TIMEOUT}s" "$@"
}

# key:Effect identifies a taint; the value may change in place.
identity() { # identity <key[=value]:Effect>
  local effect="${1##*:}" key="${1%:*}"
  printf '%s:%s' "${key%%=*}" "$effect"
}

desired=()
while IFS= read -r taint; do
  [[ -z $taint ]] && continue
  [[ $taint =~ $TAINT_PATTERN ]] || fail check-env "NODE_TAINTS: '$taint' is not key[=value]:Effect"
  desired+=("$taint")
done <<<"$NODE_TAINTS"

if ! previous_text=$(kubectl get node "$NODE_NAME" -o "jsonpath={.metadata.annotations.hetzner-k8s\\.io/managed-taints}"); then
  fail lookup "could not read Node $NODE_NAME"
fi
IFS=',' read -r -a previous <<<"$previous_text"

# A taint this script set before and the stack file no longer lists goes; one that only changed its
# value is overwritten below instead.
for taint in "${previous[@]}"; do
  [[ -z $taint ]] && continue
  keep=false
  for wanted in "${desired[@]}"; do
    [[ $(identity "$wanted") == "$(identity "$taint")" ]] && keep=true
  done
  if ! $keep; then
    # Someone may have removed it already: not an error.
    kubectl taint node "$NODE_NAME" "$(identity "$taint")-" >/dev/null 2>&1 || true
    log remove "removed taint $(identity "$taint")"
  fi
done

for taint in "${desired[@]}"; do
  kubectl taint node "$NODE_NAME" "$taint" --overwrite >/dev/null || fail apply "could not set taint $taint"
  log apply "taint $taint"
done

joined="$(IFS=','; echo "${desired[*]}")"
kubectl annotate node "$NODE_NAME" --overwrite "$ANNOTATION=$joined" >/dev/null \
  || fail record "could not record the managed taints on Node $NODE_NAME"
