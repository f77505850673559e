#!/usr/bin/env bash
set -euo pipefail
# Installs (or upgrades, or reconfigures) k3s on one node and waits until the node is ready.
#
# Run as root over SSH: `NODE_NAME='...' K3S_ROLE='...' ... bash -s`,
# prelude.sh and install-k3s.sh on stdin (readNodeScript puts the prelude first).
# All inputs are environment variables (the script is piped on stdin, so it has no path of its own):
#   NODE_NAME              required; names the node in every message
#   PRIVATE_IP             required: the node's address in the Hetzner private network (e.g. 10.0.1.13); the
#                          interface that holds it becomes flannel-iface (Flannel does not follow node-ip, and
#                          Hetzner names the interface differently per server type: enp7s0, ens10, ...)
#   K3S_ROLE               server | agent
#   K3S_VERSION            e.g. v1.33.5+k3s1
#   K3S_TOKEN              join token (secret: written to /etc/rancher/k3s/token, never printed): on servers
#                          the server token, on agents the agent token; in k3s's secure form (K10<CA hash>::...)
#                          a joining node checks the cluster's CA before it sends it
#   K3S_AGENT_TOKEN        optional, servers only, secret: the token agents join with, written to
#                          /etc/rancher/k3s/agent-token and named as agent-token-file in the node drop-in;
#                          without it agents join with the server token (clusters created before it existed)
#   K3S_CONFIG_YAML        full content of /etc/rancher/k3s/config.yaml (references token-file)
#   K3S_AUDIT_POLICY_YAML  optional, servers only: content of /etc/rancher/k3s/audit-policy.yaml
#   K3S_AUTHENTICATION_CONFIG_YAML  optional, servers only: content of
#                          /etc/rancher/k3s/authentication-config.yaml (config.yaml names it)
#   K3S_POD_SECURITY_YAML  optional, servers only: content of /etc/rancher/k3s/pod-security.yaml, the API
#                          server's admission configuration (config.yaml names it)
#   K3S_EXTRA_TLS_SANS     optional, servers only: comma-separated addresses/names appended (tls-san+) to the
#                          API certificate's tls-san list from config.yaml
#   AWS_ACCESS_KEY_ID      optional, servers only, secrets (never printed): credentials k3s reads from its
#   AWS_SECRET_ACCESS_KEY  environment to upload etcd snapshots to S3-compatible storage. Kept in
#                          /etc/rancher/k3s/etcd-s3.env, loaded by the k3s.service drop-in 50-etcd-s3.conf;
#                          both files are removed when the variables are absent
#   K3S_INSTALL_URL        installer to download (default: the install.sh of the K3S_VERSION tag in
#                          k3s-io/k3s, so the installer is the one released with that version; it downloads
#                          the release's binary and checks it against the release's sha256 sums)
#   READY_TIMEOUT          seconds to wait for the node to become ready (default 300)
#   INSTALL_TIMEOUT        seconds the installer may run, download included (default 600)
#   IFACE_TIMEOUT          seconds to wait for the interface with PRIVATE_IP to appear (default 120)
#   DOWNLOAD_ATTEMPTS      attempts to download the installer (default 5)
#   POLL_INTERVAL          seconds between polls and download retries (default 5)
#   HK_ROOT                prefix for every file the script reads or writes (tests point it at a temp dir)
#
# Besides config.yaml the script writes the drop-in /etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml
# (flannel-iface, tls-san+); k3s merges config.yaml.d/*.yaml after config.yaml. Every file counts as config.
#
# Idempotent: when k3s already runs the wanted version with the same config and token, nothing is
# written, downloaded or restarted; the script only confirms that the node is ready.

ROOT="${HK_ROOT:-}"

# --- inputs -----------------------------------------------------------------------------------------------
NODE_NAME="${NODE_NAME:-}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
PRIVATE_IP="${PRIVATE_IP:-}"
ROLE="${K3S_ROLE:-}"
VERSION="${K3S_VERSION:-}"
TOKEN="${K3S_TOKEN:-}"
AGENT_TOKEN="${K3S_AGENT_TOKEN:-}"
CONFIG_YAML="${K3S_CONFIG_YAML:-}"
AUDIT_POLICY_YAML="${K3S_AUDIT_POLICY_YAML:-}"
AUTHENTICATION_CONFIG_YAML="${K3S_AUTHENTICATION_CONFIG_YAML:-}"
POD_SECURITY_YAML="${K3S_POD_SECURITY_YAML:-}"
EXTRA_TLS_SANS="${K3S_EXTRA_TLS_SANS:-}"
S3_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-}"
S3_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-}"
INSTALL_URL="${K3S_INSTALL_URL:-https://raw.githubusercontent.com/k3s-io/k3s/${VERSION}/install.sh}"
READY_TIMEOUT="${READY_TIMEOUT:-300}"
INSTALL_TIMEOUT="${INSTALL_TIMEOUT:-600}"
IFACE_TIMEOUT="${IFACE_TIMEOUT:-120}"
DOWNLOAD_ATTEMPTS="${DOWNLOAD_ATTEMPTS:-5}"
POLL_INTERVAL="${POLL_INTERVAL:-5}"

# The S3 credentials are secrets: k3s gets them from etcd-s3.env only, never from our environment (the
# installer, systemctl, curl, ... would all inherit them). Their values now live in S3_* shell variables.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
# The k3s installer copies every K3S_* environment variable into the service's environment file
# (/etc/systemd/system/k3s*.service.env). Our inputs must not end up there: the token would be stored a
# second time and override token-file, and the multi-line config would corrupt the file. So they stay
# shell variables only and are never passed to a child process (compgen and [[ ]] are builtins).
while IFS= read -r var; do
  if [[ $var == K3S_* ]]; then export -n "${var?}"; fi
done < <(compgen -e)

case $ROLE in
server) SERVICE=k3s ;;
agent) SERVICE=k3s-agent ;;
*) fail check-env "K3S_ROLE must be 'server' or 'agent', got '$ROLE'" ;;
esac
[[ $VERSION =~ ^v[0-9]+\.[0-9]+\.[0-9]+ ]] || fail check-env "K3S_VERSION must look like v1.33.5+k3s1, got '$VERSION'"
[[ -n $TOKEN ]] || fail check-env "K3S_TOKEN is required"
[[ -n $CONFIG_YAML ]] || fail check-env "K3S_CONFIG_YAML is required"
# Dotted quad without leading zeros, each octet 0-255: `ip` prints addresses this way, so we can compare
# them as strings.
octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
[[ $PRIVATE_IP =~ ^$octet\.$octet\.$octet\.$octet$ ]] ||
  fail check-env "PRIVATE_IP must be an IPv4 address like 10.0.1.13, got '$PRIVATE_IP'"
unset octet
# Each entry becomes a double-quoted YAML string, so only characters of DNS names and IP addresses pass.
TLS_SANS=()
IFS=, read -rd '' -a sans <<<"$EXTRA_TLS_SANS" || true # -d '': a newline inside is not a separator
for san in "${sans[@]}"; do
  san="${san#"${san%%[![:space:]]*}"}"
  san="${san%"${san##*[![:space:]]}"}"
  [[ -n $san ]] || continue
  [[ $san =~ ^[A-Za-z0-9*_.:-]+$ ]] ||
    fail check-env "K3S_EXTRA_TLS_SANS entries must be DNS names or IP addresses, got '$san'"
  TLS_SANS+=("$san")
done
unset sans san
# systemd's EnvironmentFile= strips whitespace and interprets quotes and backslashes, so such values would
# not reach k3s unchanged. The messages never include the values.
check_s3_value() { # check_s3_value <name> <value>
  [[ -n $2 && ! $2 =~ [^[:graph:]] && $2 != *[\'\"\\]* ]] ||
    fail check-env "$1 must be non-empty, without whitespace, quotes or backslashes (value not shown)"
}
if [[ -n $S3_ACCESS_KEY_ID || -n $S3_SECRET_ACCESS_KEY ]]; then
  check_s3_value AWS_ACCESS_KEY_ID "$S3_ACCESS_KEY_ID"
  check_s3_value AWS_SECRET_ACCESS_KEY "$S3_SECRET_ACCESS_KEY"
fi
require_number READY_TIMEOUT "$READY_TIMEOUT"
require_number POLL_INTERVAL "$POLL_INTERVAL"
[[ $READY_TIMEOUT =~ ^[0-9]+$ ]] || fail check-env "READY_TIMEOUT must be whole seconds, got '$READY_TIMEOUT'"
[[ $INSTALL_TIMEOUT =~ ^[1-9][0-9]*$ ]] || fail check-env "INSTALL_TIMEOUT must be a positive number of seconds, got '$INSTALL_TIMEOUT'"
[[ $DOWNLOAD_ATTEMPTS =~ ^[1-9][0-9]*$ ]] || fail check-env "DOWNLOAD_ATTEMPTS must be a positive integer, got '$DOWNLOAD_ATTEMPTS'"
[[ $IFACE_TIMEOUT =~ ^[0-9]+$ ]] || fail check-env "IFACE_TIMEOUT must be whole seconds, got '$IFACE_TIMEOUT'"

# A previous run that changed config but failed before the node was ready leaves this marker, so that a
# re-run restarts k3s again instead of seeing "config unchanged" and skipping the restart.
PENDING_MARKER="$ROOT/var/lib/hetzner-k8s/k3s-restart-pending"
NODE_DROPIN=/etc/rancher/k3s/config.yaml.d/50-hetzner-k8s-node.yaml
S3_ENV_FILE=/etc/rancher/k3s/etcd-s3.env
S3_UNIT_DROPIN=/etc/systemd/system/k3s.service.d/50-etcd-s3.conf

print_journal() {
  printf 'hetzner-k8s: node %s: last 50 lines of journalctl -u %s:\n' "$NODE_NAME" "$SERVICE" >&2
  journalctl -u "$SERVICE" -n 50 --no-pager >&2 || true
}

# --- private network interface ----------------------------------------------------------------------------
# Prints the name of the interface that holds exactly PRIVATE_IP (10.0.1.1 does not match 10.0.1.13), or
# nothing. `ip -o` prints one line per address: "3: enp7s0    inet 10.0.1.13/32 brd ... scope global enp7s0\ ...".
private_interface() {
  # No early `exit` in awk: ip could then die of SIGPIPE, and pipefail would discard the answer.
  ip -o -4 addr show 2>/dev/null | awk -v want="$PRIVATE_IP" '
    $3 == "inet" && found == "" { split($4, addr, "/"); if (addr[1] == want) { found = $2; sub(/@.*/, "", found) } }
    END { if (found != "") print found }' || true
}

# Hetzner attaches the private network shortly after boot, so the interface may not be there yet.
detect_private_interface() {
  local deadline=$((SECONDS + IFACE_TIMEOUT)) waiting=0
  PRIVATE_IFACE=$(private_interface)
  until [[ -n $PRIVATE_IFACE ]]; do
    if ((SECONDS >= deadline)); then
      fail detect-private-interface "no network interface holds $PRIVATE_IP after ${IFACE_TIMEOUT}s" \
        "(IFACE_TIMEOUT); is the server attached to the private network?"
    fi
    if ((!waiting)); then
      log detect-private-interface "waiting for an interface with $PRIVATE_IP (up to ${IFACE_TIMEOUT}s)"
      waiting=1
    fi
    sleep "$POLL_INTERVAL"
    PRIVATE_IFACE=$(private_interface)
  done
  # It goes into YAML unquoted; kernel interface names never contain anything else.
  [[ $PRIVATE_IFACE =~ ^[A-Za-z0-9_.:-]+$ ]] ||
    fail detect-private-interface "unexpected interface name '$PRIVATE_IFACE' for $PRIVATE_IP"
  log detect-private-interface "$PRIVATE_IP is on $PRIVATE_IFACE"
}

# --- configuration files ----------------------------------------------------------------------------------
node_dropin_content() {
  local san
  printf '# Written by hetzner-k8s (install-k3s.sh). k3s merges this file after config.yaml.\n'
  printf 'flannel-iface: %s\n' "$PRIVATE_IFACE"
  if [[ $ROLE == server && -n $AGENT_TOKEN ]]; then
    printf 'agent-token-file: /etc/rancher/k3s/agent-token\n'
  fi
  if [[ $ROLE == server ]] && ((${#TLS_SANS[@]})); then
    # "+": append to the tls-san list of config.yaml instead of replacing it.
    printf 'tls-san+:\n'
    for san in "${TLS_SANS[@]}"; do
      printf '  - "%s"\n' "$san"
    done
  fi
}

daemon_reload() {
  systemctl daemon-reload || fail config "systemctl daemon-reload failed"
}

# Writes (or, without credentials, removes) etcd-s3.env and the k3s.service drop-in that loads it.
# Sets S3_CHANGED=1 when something changed. The installer only persists K3S_* variables in
# k3s.service.env, so the credentials need a file of their own.
write_s3_credentials() {
  local content
  S3_CHANGED=0
  if [[ -n $S3_ACCESS_KEY_ID && $ROLE == server ]]; then
    # printf -v: no subshell or child process ever sees the values.
    printf -v content 'AWS_ACCESS_KEY_ID=%s\nAWS_SECRET_ACCESS_KEY=%s\n' "$S3_ACCESS_KEY_ID" "$S3_SECRET_ACCESS_KEY"
    write_if_changed "$ROOT$S3_ENV_FILE" 0600 "$content"
    if ((WROTE)); then
      log config "wrote $S3_ENV_FILE"
      S3_CHANGED=1
    fi
    write_if_changed "$ROOT$S3_UNIT_DROPIN" 0644 $'[Service]\nEnvironmentFile='"$S3_ENV_FILE"
    if ((WROTE)); then
      log config "wrote $S3_UNIT_DROPIN"
      daemon_reload
      S3_CHANGED=1
    fi
    return 0
  fi
  if [[ -n $S3_ACCESS_KEY_ID ]]; then
    log config "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY ignored: only servers take etcd snapshots"
  fi
  # Absent credentials: revoked ones must not linger on the node.
  if [[ -e $ROOT$S3_UNIT_DROPIN ]]; then
    rm -f "$ROOT$S3_UNIT_DROPIN"
    log config "removed $S3_UNIT_DROPIN"
    daemon_reload
    S3_CHANGED=1
  fi
  if [[ -e $ROOT$S3_ENV_FILE ]]; then
    rm -f "$ROOT$S3_ENV_FILE"
    log config "removed $S3_ENV_FILE"
    S3_CHANGED=1
  fi
}

# Writes a file of /etc/rancher/k3s that only servers use, when its input is given; on an agent, says that
# the input is ignored. Returns 0 when it wrote the file.
write_server_file() { # write_server_file <file> <input name> <content> <why agents ignore it>
  [[ -n $3 ]] || return 1
  if [[ $ROLE != server ]]; then
    log config "$2 ignored: $4"
    return 1
  fi
  write_if_changed "$ROOT/etc/rancher/k3s/$1" 0600 "$3"
  ((WROTE)) || return 1
  log config "wrote /etc/rancher/k3s/$1"
}

write_configuration() {
  local changed=0
  write_if_changed "$ROOT/etc/rancher/k3s/token" 0600 "$TOKEN"
  if ((WROTE)); then
    log config "wrote /etc/rancher/k3s/token"
    changed=1
  fi
  write_server_file agent-token K3S_AGENT_TOKEN "$AGENT_TOKEN" "agents join with K3S_TOKEN" && changed=1
  write_if_changed "$ROOT/etc/rancher/k3s/config.yaml" 0600 "$CONFIG_YAML"
  if ((WROTE)); then
    log config "wrote /etc/rancher/k3s/config.yaml"
    changed=1
  fi
  if [[ $ROLE != server ]] && ((${#TLS_SANS[@]})); then
    log config "K3S_EXTRA_TLS_SANS ignored: only servers serve the API"
  fi
  write_if_changed "$ROOT$NODE_DROPIN" 0600 "$(node_dropin_content)"
  if ((WROTE)); then
    log config "wrote $NODE_DROPIN"
    changed=1
  fi
  write_s3_credentials
  ((!S3_CHANGED)) || changed=1
  write_server_file authentication-config.yaml K3S_AUTHENTICATION_CONFIG_YAML "$AUTHENTICATION_CONFIG_YAML" \
    "only servers run an API server" && changed=1
  write_server_file pod-security.yaml K3S_POD_SECURITY_YAML "$POD_SECURITY_YAML" \
    "only servers run an API server" && changed=1
  write_server_file audit-policy.yaml K3S_AUDIT_POLICY_YAML "$AUDIT_POLICY_YAML" \
    "only servers run an API server" && changed=1
  # The API server refuses to start when its audit log directory is missing.
  if [[ -n $AUDIT_POLICY_YAML && $ROLE == server && ! -d "$ROOT/var/log/kubernetes/audit" ]]; then
    mkdir -p "$ROOT/var/log/kubernetes"
    mkdir -m 0700 "$ROOT/var/log/kubernetes/audit"
    log config "created /var/log/kubernetes/audit"
  fi
  if ((changed)); then
    mkdir -p "$(dirname "$PENDING_MARKER")"
    : >"$PENDING_MARKER"
  else
    log config "config files and token unchanged"
  fi
}

# Prints the installed k3s version (e.g. v1.33.5+k3s1), or nothing when k3s is not installed.
installed_version() {
  local line
  line=$(k3s --version 2>/dev/null | head -n1) || true
  # "k3s version v1.33.5+k3s1 (abcdef12)"
  [[ $line =~ ^k3s\ version\ (v[^[:space:]]+) ]] && printf '%s' "${BASH_REMATCH[1]}"
  return 0
}

# --- install ----------------------------------------------------------------------------------------------
INSTALLER=""
trap 'rm -f "$INSTALLER"' EXIT

run_installer() { # run_installer <force-restart: true|false>
  local attempt
  INSTALLER=$(mktemp "${TMPDIR:-/tmp}/k3s-install.XXXXXX")
  for ((attempt = 1; ; attempt++)); do
    if curl -fsSL --connect-timeout 10 --max-time 120 -o "$INSTALLER" "$INSTALL_URL" &&
      [[ $(head -c2 "$INSTALLER") == '#!' ]]; then
      break
    fi
    ((attempt < DOWNLOAD_ATTEMPTS)) ||
      fail install "could not download the k3s installer from $INSTALL_URL after $DOWNLOAD_ATTEMPTS attempts"
    log install "download of $INSTALL_URL failed (attempt $attempt/$DOWNLOAD_ATTEMPTS); retrying"
    sleep "$POLL_INTERVAL"
  done
  log install "running the k3s installer for $VERSION ($ROLE)"
  # SKIP_ENABLE/SKIP_START would leave the service stopped; FORCE_RESTART is needed when the binary and
  # unit are already current, because the installer then skips the start.
  # The installer ends with `systemctl restart`, which for k3s's Type=notify unit (TimeoutStartSec=0)
  # blocks until k3s is up, possibly forever (a server that cannot reach etcd): hence the timeout.
  local rc=0
  timeout --kill-after=10 "$INSTALL_TIMEOUT" \
    env -u INSTALL_K3S_SKIP_ENABLE -u INSTALL_K3S_SKIP_START \
    INSTALL_K3S_VERSION="$VERSION" INSTALL_K3S_EXEC="$ROLE" INSTALL_K3S_FORCE_RESTART="$1" \
    sh "$INSTALLER" || rc=$?
  case $rc in
  0) ;;
  124 | 137)
    print_journal
    fail install "the k3s installer did not finish within ${INSTALL_TIMEOUT}s (INSTALL_TIMEOUT)"
    ;;
  *)
    print_journal
    fail install "the k3s installer failed (exit $rc)"
    ;;
  esac
  local now
  now=$(installed_version)
  [[ $now == "$VERSION" ]] || fail install "k3s reports version '${now:-none}' after the install, expected $VERSION"
}

apply() {
  local current
  current=$(installed_version)
  if [[ $current != "$VERSION" ]]; then
    log install "k3s ${current:-is not installed}${current:+ is installed}; installing $VERSION"
    run_installer false
  elif [[ -e $PENDING_MARKER ]]; then
    # Same binary, new config: a restart applies it; reinstalling would change nothing.
    log restart "k3s $VERSION is installed and its config changed; restarting $SERVICE"
    # --no-block: k3s's unit has no start timeout, so a blocking restart could hang; wait_ready bounds it.
    if ! systemctl restart --no-block "$SERVICE"; then
      print_journal
      fail restart "systemctl restart $SERVICE failed"
    fi
  elif ! systemctl is-active --quiet "$SERVICE"; then
    log install "k3s $VERSION is installed but $SERVICE is not active; re-running the installer"
    run_installer true
  else
    log install "k3s $VERSION is installed, $SERVICE is active and its config is unchanged; nothing to do"
  fi
}

# --- readiness --------------------------------------------------------------------------------------------
node_ready() {
  # The kubelet's healthz answers on every node; a server must also have a ready API server.
  curl -sf --max-time 5 -o /dev/null http://127.0.0.1:10248/healthz || return 1
  if [[ $ROLE == server ]]; then
    timeout 10 k3s kubectl get --raw=/readyz >/dev/null 2>&1 || return 1
  fi
  return 0
}

wait_ready() {
  local deadline=$((SECONDS + READY_TIMEOUT))
  until node_ready; do
    if ((SECONDS >= deadline)); then
      print_journal
      fail wait-ready "$SERVICE did not become ready within ${READY_TIMEOUT}s (READY_TIMEOUT)"
    fi
    sleep "$POLL_INTERVAL"
  done
  log wait-ready "$SERVICE is ready"
}

detect_private_interface
write_configuration
apply
wait_ready
rm -f "$PENDING_MARKER"
