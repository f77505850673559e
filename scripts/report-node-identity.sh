#!/usr/bin/env bash
set -euo pipefail
# Prints what identifies the node to the program, at the end of its first SSH session (the bootstrap),
# each on a line of its own:
#   hetzner-k8s-host-key: <the server's ED25519 SSH host key>
#     the program requires exactly this key on every later session to the node, so a server answering
#     with another key is refused before any secret is sent (trust on first use);
#   hetzner-k8s-ca-hash: <sha256 of the cluster CA>   (servers only)
#     from k3s's own secure server token; joining nodes get tokens in k3s's secure form with this hash,
#     so they check the cluster's CA before they send their token.
#
# Run as root over SSH: `NODE_NAME='...' K3S_ROLE='...' bash -s`,
# prelude.sh and report-node-identity.sh on stdin (readNodeScript puts the prelude first).
#   NODE_NAME  required; names the node in every message
#   K3S_ROLE   server | agent | gateway; a server also reports the CA hash (the gateway runs no k3s)
#   HK_ROOT    prefix for every file the script reads (tests point it at a temp dir)

ROOT="${HK_ROOT:-}"
NODE_NAME="${NODE_NAME:-}"
ROLE="${K3S_ROLE:-}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
[[ $ROLE == server || $ROLE == agent || $ROLE == gateway ]] ||
  fail check-env "K3S_ROLE must be 'server', 'agent' or 'gateway', got '$ROLE'"

key_file="$ROOT/etc/ssh/ssh_host_ed25519_key.pub"
[[ -s $key_file ]] || fail host-key "$key_file is missing or empty; sshd has no ED25519 host key"
read -r type key _comment <"$key_file" || true
[[ $type == ssh-ed25519 && $key =~ ^[A-Za-z0-9+/]+=*$ ]] ||
  fail host-key "$key_file does not hold an ED25519 public key"
# Each marker starts its line, so log lines around it can never be mistaken for it.
printf 'hetzner-k8s-host-key: %s %s\n' "$type" "$key"

if [[ $ROLE == server ]]; then
  token_file="$ROOT/var/lib/rancher/k3s/server/token"
  # k3s writes its server token in the secure form K10<CA hash>::server:<password>; only the hash is read.
  [[ -s $token_file ]] || fail ca-hash "$token_file is missing; k3s has not initialized this server"
  prefix=$(head -c 69 "$token_file")
  [[ $prefix =~ ^K10([0-9a-f]{64})::$ ]] || fail ca-hash "$token_file is not in k3s's secure token form"
  printf 'hetzner-k8s-ca-hash: %s\n' "${BASH_REMATCH[1]}"
fi
