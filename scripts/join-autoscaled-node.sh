#!/usr/bin/env bash
set -euo pipefail
# Joins a server the cluster-autoscaler created to the cluster as a k3s agent, once, at its first boot.
#
# Run by hetzner-k8s-join.service, which the server's user data writes and starts once cloud-init is done
# (src/model/autoscaling.ts). Unlike the other node scripts it reads its inputs from files the user data
# wrote, since no SSH session brings them:
#   /etc/hetzner-k8s/join.env         K3S_VERSION, NODE_SUBNET (the pool's subnet), K3S_TOKEN (the agent
#                                     token, secret: never printed), optionally K3S_INSTALL_URL; one
#                                     NAME=value per line, values without spaces or quotes
#   /etc/hetzner-k8s/k3s-config.yaml  the pool's k3s config.yaml but for node-name and node-ip
# The node's name is its hostname, which Hetzner sets to the server's name; its address is the one it holds
# in NODE_SUBNET, where Hetzner picked it. Then prepare-node.sh and install-k3s.sh run as for every node,
# from /usr/local/lib/hetzner-k8s, where the user data wrote all three with prelude.sh in front (each runs
# as a file of its own, so each carries its own copy). On success join.env is removed (the unit then never
# runs again); on failure the unit tries again (Restart=on-failure), and every step is idempotent.
#   IFACE_TIMEOUT   seconds to wait for an address in NODE_SUBNET (default 300)
#   POLL_INTERVAL   seconds between polls (default 5)
#   HK_ROOT         prefix for every file the script reads or writes (tests point it at a temp dir)

ROOT="${HK_ROOT:-}"
NODE_NAME="$(hostname)"
SCRIPTS="$ROOT/usr/local/lib/hetzner-k8s"
JOIN_ENV="$ROOT/etc/hetzner-k8s/join.env"
CONFIG_TEMPLATE="$ROOT/etc/hetzner-k8s/k3s-config.yaml"
IFACE_TIMEOUT="${IFACE_TIMEOUT:-300}"
POLL_INTERVAL="${POLL_INTERVAL:-5}"

[[ -f $JOIN_ENV ]] || fail check-env "$JOIN_ENV is missing; this server has joined already or was not made for a pool"
[[ -f $CONFIG_TEMPLATE ]] || fail check-env "$CONFIG_TEMPLATE is missing"
# Read line by line instead of sourcing: the file sets these names and nothing else.
K3S_VERSION="" NODE_SUBNET="" K3S_TOKEN="" K3S_INSTALL_URL=""
while IFS='=' read -r name value; do
  case $name in
  K3S_VERSION | NODE_SUBNET | K3S_TOKEN | K3S_INSTALL_URL) printf -v "$name" '%s' "$value" ;;
  '' | '#'*) ;;
  *) fail check-env "unexpected setting $name in $JOIN_ENV" ;;
  esac
done <"$JOIN_ENV"
[[ -n $K3S_TOKEN ]] || fail check-env "K3S_TOKEN is missing from $JOIN_ENV"
[[ $NODE_SUBNET =~ ^([0-9]{1,3}\.){3}[0-9]{1,3}/[0-9]{1,2}$ ]] ||
  fail check-env "NODE_SUBNET must be a CIDR like 10.0.2.0/24, got '$NODE_SUBNET'"

# Prints the first IPv4 address of this server inside NODE_SUBNET, or nothing.
address_in_subnet() {
  ip -o -4 addr show 2>/dev/null | awk -v subnet="$NODE_SUBNET" '
    function number(ip,   part) { split(ip, part, "."); return ((part[1] * 256 + part[2]) * 256 + part[3]) * 256 + part[4] }
    BEGIN { split(subnet, cidr, "/"); size = 2 ^ (32 - cidr[2]); base = number(cidr[1]) - number(cidr[1]) % size }
    $3 == "inet" && found == "" { split($4, addr, "/"); n = number(addr[1]); if (n >= base && n < base + size) found = addr[1] }
    END { if (found != "") print found }' || true
}

# Sets PRIVATE_IP; succeeds once it is not empty.
detect_address() {
  PRIVATE_IP=$(address_in_subnet)
  [[ -n $PRIVATE_IP ]]
}

wait_until "$IFACE_TIMEOUT" detect_address ||
  fail detect-address "no address in $NODE_SUBNET after ${IFACE_TIMEOUT}s (IFACE_TIMEOUT); is the server attached to the pool's subnet?"
log detect-address "$PRIVATE_IP in $NODE_SUBNET"

# The node's own settings after the pool's: k3s takes the last value of a key.
config_yaml="$(cat "$CONFIG_TEMPLATE")"$'\n'"node-name: \"$NODE_NAME\""$'\n'"node-ip: \"$PRIVATE_IP\""
NODE_NAME="$NODE_NAME" HK_ROOT="$ROOT" bash "$SCRIPTS/prepare-node.sh"
# Exported in a subshell, never on a command line, where any process could read the token: install-k3s.sh
# takes it from its environment, as over SSH, and passes it to no child.
(
  export NODE_NAME PRIVATE_IP K3S_VERSION K3S_TOKEN K3S_ROLE=agent K3S_CONFIG_YAML="$config_yaml" HK_ROOT="$ROOT"
  if [[ -n $K3S_INSTALL_URL ]]; then export K3S_INSTALL_URL; else unset K3S_INSTALL_URL; fi
  bash "$SCRIPTS/install-k3s.sh"
)
rm -f "$JOIN_ENV"
log join "joined the cluster; removed $JOIN_ENV"
