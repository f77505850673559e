#!/usr/bin/env bash
set -euo pipefail
# Makes the gateway server of a cluster with private nodes what the program needs: the SSH bastion every
# node command goes through, and (optionally) the NAT router the private nodes reach the internet by and
# the forwarder of the Kubernetes API from its public address to the API load balancer. Its packet rules
# are one nftables ruleset (/etc/nftables.conf, loaded at every boot by nftables.service); forwarding is
# refused unless a rule below admits it, so the gateway never routes the internet into the network.
#
# Run as root over SSH: `NODE_NAME='...' NETWORK_CIDR='...' [VAR='...'] bash -s`,
# prelude.sh and prepare-gateway.sh on stdin (readNodeScript puts the prelude first).
#   NODE_NAME           required; the gateway's server name, in every message
#   NETWORK_CIDR        required; the cluster's Hetzner network (e.g. 10.0.0.0/16)
#   NAT                 1 = masquerade the network's traffic to the internet out of the public address; 0 = none
#   API_FORWARD         optional <ip>:<port>: TCP to this port on the gateway's own addresses, from outside
#                       the network, goes to <ip>:<port> (the API load balancer's private address)
#   CLOUD_INIT_TIMEOUT  seconds to wait for cloud-init (default 600)
#   POLL_INTERVAL       seconds between polls (default 5)
#   HK_ROOT             prefix for every file the script writes (tests point it at a temp dir)
#
# Idempotent: a second run with the same inputs writes nothing and reloads nothing.

ROOT="${HK_ROOT:-}"
# Messages name the gateway, not a node (prelude.sh).
# shellcheck disable=SC2034 # read by fail and log, in the prelude
LOG_SUBJECT=gateway

NODE_NAME="${NODE_NAME:-}"
NETWORK_CIDR="${NETWORK_CIDR:-}"
NAT="${NAT:-0}"
API_FORWARD="${API_FORWARD:-}"
CLOUD_INIT_TIMEOUT="${CLOUD_INIT_TIMEOUT:-600}"
POLL_INTERVAL="${POLL_INTERVAL:-5}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
octet='(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])'
[[ $NETWORK_CIDR =~ ^$octet(\.$octet){3}/([0-9]|[12][0-9]|3[0-2])$ ]] ||
  fail check-env "NETWORK_CIDR must be an IPv4 CIDR, got '$NETWORK_CIDR'"
[[ $NAT == 0 || $NAT == 1 ]] || fail check-env "NAT must be 0 or 1, got '$NAT'"
[[ -z $API_FORWARD || $API_FORWARD =~ ^$octet(\.$octet){3}:[1-9][0-9]{0,4}$ ]] ||
  fail check-env "API_FORWARD must be <ip>:<port>, got '$API_FORWARD'"
[[ $CLOUD_INIT_TIMEOUT =~ ^[0-9]+$ ]] || fail check-env "CLOUD_INIT_TIMEOUT must be whole seconds"
[[ $POLL_INTERVAL =~ ^[0-9]+([.][0-9]+)?$ ]] || fail check-env "POLL_INTERVAL must be a number of seconds"

# --- cloud-init -------------------------------------------------------------------------------------------
# Installing nftables while cloud-init still runs its apt races it for the package lock.
wait_for_cloud_init() {
  command -v cloud-init >/dev/null 2>&1 || return 0
  local rc=0
  timeout --kill-after=10 "$CLOUD_INIT_TIMEOUT" cloud-init status --wait >/dev/null || rc=$?
  case $rc in
  0 | 2) log cloud-init "cloud-init has finished" ;;
  124 | 137) fail cloud-init "cloud-init did not finish within ${CLOUD_INIT_TIMEOUT}s (CLOUD_INIT_TIMEOUT)" ;;
  *) fail cloud-init "cloud-init reported a failed boot (exit $rc); see 'cloud-init status --long'" ;;
  esac
}

# --- nftables ---------------------------------------------------------------------------------------------
install_nftables() {
  if command -v nft >/dev/null 2>&1; then
    log nftables "nft is installed"
    return 0
  fi
  local attempt
  for attempt in 1 2 3; do
    if DEBIAN_FRONTEND=noninteractive apt-get install -y -q nftables >/dev/null; then
      log nftables "installed nftables"
      return 0
    fi
    log nftables "apt-get install nftables failed (attempt $attempt/3); retrying"
    apt-get update -q >/dev/null || true
    sleep "$POLL_INTERVAL"
  done
  fail nftables "could not install nftables"
}

# The whole ruleset. Only the gateway's own table is flushed, so rules another tool adds stay.
ruleset() {
  local forward="" prerouting="" postrouting=""
  if ((NAT)); then
    forward+=$'\n'"    ip saddr $NETWORK_CIDR ip daddr != $NETWORK_CIDR accept"
    postrouting+=$'\n'"    ip saddr $NETWORK_CIDR ip daddr != $NETWORK_CIDR masquerade"
  fi
  if [[ -n $API_FORWARD ]]; then
    local ip=${API_FORWARD%:*} port=${API_FORWARD##*:}
    # From outside the network to the gateway's own addresses only: a node's call to its own gateway is
    # never redirected. The load balancer sees the gateway's private address, so its answer comes back here.
    prerouting+=$'\n'"    ip saddr != $NETWORK_CIDR fib daddr type local tcp dport $port dnat to $ip:$port"
    forward+=$'\n'"    ip daddr $ip tcp dport $port ct status dnat accept"
    postrouting+=$'\n'"    ip daddr $ip tcp dport $port ct status dnat masquerade"
  fi
  cat <<EOF
#!/usr/sbin/nft -f
# Written by hetzner-k8s (prepare-gateway.sh); changes here are overwritten by the next pulumi up.
table ip hetzner_k8s_gateway
delete table ip hetzner_k8s_gateway
table ip hetzner_k8s_gateway {
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept$forward
  }
  chain prerouting {
    type nat hook prerouting priority dstnat;$prerouting
  }
  chain postrouting {
    type nat hook postrouting priority srcnat;$postrouting
  }
}
EOF
}

apply_ruleset() {
  write_if_changed "$ROOT/etc/nftables.conf" 0755 "$(ruleset)"
  if ((WROTE)); then log nftables "wrote /etc/nftables.conf"; else log nftables "/etc/nftables.conf unchanged"; fi
  # Loaded whenever the running ruleset lacks the table too (a reboot before nftables.service was enabled).
  if ((WROTE)) || ! nft list table ip hetzner_k8s_gateway >/dev/null 2>&1; then
    nft -f "$ROOT/etc/nftables.conf" || fail nftables "nft refused /etc/nftables.conf"
    log nftables "loaded the ruleset"
  fi
  systemctl enable --quiet nftables.service || fail nftables "could not enable nftables.service"
}

# --- forwarding -------------------------------------------------------------------------------------------
enable_forwarding() {
  local forwarding=0
  ((NAT)) || [[ -n $API_FORWARD ]] && forwarding=1
  write_if_changed "$ROOT/etc/sysctl.d/60-hetzner-k8s-gateway.conf" 0644 "net.ipv4.ip_forward = $forwarding"
  if ((WROTE)); then
    log forwarding "net.ipv4.ip_forward = $forwarding"
    sysctl -q -p "$ROOT/etc/sysctl.d/60-hetzner-k8s-gateway.conf" >/dev/null ||
      fail forwarding "could not set net.ipv4.ip_forward"
  else
    log forwarding "net.ipv4.ip_forward unchanged ($forwarding)"
  fi
}

wait_for_cloud_init
install_nftables
apply_ruleset
enable_forwarding
log ready "gateway ready (NAT=$NAT${API_FORWARD:+, API forwarded to $API_FORWARD})"
