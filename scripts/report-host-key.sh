#!/usr/bin/env bash
set -euo pipefail
# Prints the server's ED25519 SSH host key on one line of its own, at the end of the node's first SSH
# session (its bootstrap). The program requires exactly this key on every later session to the node, so a
# server that answers with another key is refused before any secret is sent (trust on first use).
#
# Run as root over SSH: `NODE_NAME='...' bash -s < report-host-key.sh`.
#   NODE_NAME  required; names the node in every message
#   HK_ROOT    prefix for every file the script reads (tests point it at a temp dir)

ROOT="${HK_ROOT:-}"
NODE_NAME="${NODE_NAME:-}"
fail() { # fail <step> <message...>
  printf 'hetzner-k8s: node %s: step %s: %s\n' "${NODE_NAME:-<unset>}" "$1" "${*:2}" >&2
  exit 1
}
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"

key_file="$ROOT/etc/ssh/ssh_host_ed25519_key.pub"
[[ -s $key_file ]] || fail host-key "$key_file is missing or empty; sshd has no ED25519 host key"
read -r type key _comment <"$key_file" || true
[[ $type == ssh-ed25519 && $key =~ ^[A-Za-z0-9+/]+=*$ ]] ||
  fail host-key "$key_file does not hold an ED25519 public key"
# The marker starts the line, so log lines around it can never be mistaken for it.
printf 'hetzner-k8s-host-key: %s %s\n' "$type" "$key"
