#!/usr/bin/env bash
set -euo pipefail
# Prints the cluster-admin kubeconfig of a control-plane node, pointed at the cluster's public API address.
#
# Run as root over SSH: `NODE_NAME='...' API_SERVER_URL='https://...:6443' bash -s`,
# prelude.sh and fetch-kubeconfig.sh on stdin (readNodeScript puts the prelude first).
# All inputs are environment variables (the script is piped on stdin, so it has no path of its own):
#   NODE_NAME           required; names the node in every message
#   API_SERVER_URL      required; replaces the `server:` of k3s.yaml (which is https://127.0.0.1:6443)
#   KUBECONFIG_TIMEOUT  seconds to wait for k3s to write /etc/rancher/k3s/k3s.yaml (default 120)
#   POLL_INTERVAL       seconds between polls (default 5)
#   RENEW_WARN_DAYS     warn when the admin client certificate expires within this many days (default 120)
#   HK_ROOT             prefix for every file the script reads (tests point it at a temp dir)
#
# stdout carries the kubeconfig and nothing else (the caller stores it as a secret); messages go to stderr.

ROOT="${HK_ROOT:-}"
# log writes to stderr (prelude.sh): stdout is the kubeconfig.
# shellcheck disable=SC2034 # read by log, in the prelude
LOG_FD=2

NODE_NAME="${NODE_NAME:-}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
API_SERVER_URL="${API_SERVER_URL:-}"
KUBECONFIG_TIMEOUT="${KUBECONFIG_TIMEOUT:-120}"
POLL_INTERVAL="${POLL_INTERVAL:-5}"
RENEW_WARN_DAYS="${RENEW_WARN_DAYS:-120}"
[[ $API_SERVER_URL =~ ^https://[^[:space:]/]+/?$ ]] ||
  fail check-env "API_SERVER_URL must look like https://203.0.113.10:6443, got '$API_SERVER_URL'"
[[ $KUBECONFIG_TIMEOUT =~ ^[0-9]+$ ]] || fail check-env "KUBECONFIG_TIMEOUT must be whole seconds, got '$KUBECONFIG_TIMEOUT'"
[[ $POLL_INTERVAL =~ ^[0-9]+([.][0-9]+)?$ ]] || fail check-env "POLL_INTERVAL must be a number of seconds, got '$POLL_INTERVAL'"
[[ $RENEW_WARN_DAYS =~ ^[0-9]+$ ]] || fail check-env "RENEW_WARN_DAYS must be whole days, got '$RENEW_WARN_DAYS'"

KUBECONFIG_FILE="$ROOT/etc/rancher/k3s/k3s.yaml"

# k3s writes the file once its API server has come up; until it holds a `server:` line it is not usable.
kubeconfig_present() {
  [[ -s $KUBECONFIG_FILE ]] && grep -q '^[[:space:]]*server:[[:space:]]' "$KUBECONFIG_FILE"
}

wait_until "$KUBECONFIG_TIMEOUT" kubeconfig_present ||
  fail wait-kubeconfig "/etc/rancher/k3s/k3s.yaml did not appear within ${KUBECONFIG_TIMEOUT}s (KUBECONFIG_TIMEOUT); is k3s running?"

# Rewrite in bash rather than sed: the URL is data and must not be interpreted as a sed replacement.
# The whole result is built first so that a failure never leaves half a kubeconfig on stdout.
output=""
while IFS= read -r line || [[ -n $line ]]; do
  if [[ $line =~ ^([[:space:]]*)server:[[:space:]] ]]; then
    line="${BASH_REMATCH[1]}server: $API_SERVER_URL"
  fi
  output+="$line"$'\n'
done <"$KUBECONFIG_FILE"
printf '%s' "$output"
log fetch-kubeconfig "printed /etc/rancher/k3s/k3s.yaml with server $API_SERVER_URL"

# k3s renews its certificates (this admin client certificate included) only when it starts and they expire
# within 120 days; a server that has not restarted since keeps handing out the old one. Say so in time.
cert_data=$(sed -n 's/^[[:space:]]*client-certificate-data:[[:space:]]*//p' "$KUBECONFIG_FILE" | head -n1)
cert_pem=$(printf '%s' "$cert_data" | base64 -d 2>/dev/null) || cert_pem=""
# Only a certificate openssl can read is judged; the check is advice, never a reason to fail the fetch.
if [[ -n $cert_pem ]] && command -v openssl >/dev/null && openssl x509 -noout <<<"$cert_pem" 2>/dev/null; then
  if ! openssl x509 -noout -checkend $((RENEW_WARN_DAYS * 86400)) <<<"$cert_pem" >/dev/null; then
    log certificate "warning: the admin client certificate expires within ${RENEW_WARN_DAYS} days; restart k3s on this server (systemctl restart k3s) so it renews it, then run pulumi up"
  fi
fi
