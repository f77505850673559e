#!/usr/bin/env bash
# The node tier (npm run test:node): the program's first boot and node scripts on real Debian servers.
# Builds the server image once (image/build.sh, cached), then, inside network and PID namespaces of its
# own, makes the "Hetzner" networks (a TEST-NET public bridge and the private 10.0.0.0/16 bridge, no
# uplink), serves the image's apt repository and the k3s stand-in on the public gateway, and runs
# jest.node.config.js, whose tests boot VMs under QEMU (software emulation). Arguments go to jest.
# Needs root (bridges, taps), qemu-system-x86_64, cloud-localds, python3 (test/install-prerequisites.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/test/node"
cd "$root"
if [ "$(id -u)" -ne 0 ]; then
  # debootstrap, the taps and /dev/net/tun need root; a user namespace gives none of them.
  sudo -n true 2>/dev/null || { echo "node tier: needs root (debootstrap, taps): run it as root or give this user sudo" >&2; exit 1; }
  exec sudo -E env "PATH=$PATH" bash "$0" "$@"
fi

# The images the tier verifies: Hetzner's Debian images (Ubuntu's packages cannot be had here).
images=(debian-12 debian-13)
started=$(date +%s)
work="$(mktemp -d "${TMPDIR:-/tmp}/hetzner-k8s-node.XXXXXX")"
# What the public gateway serves: each image's flat apt repository, and the k3s stand-in.
mkdir -p "$work/www"
image_dirs=()
for image in "${images[@]}"; do
  dir="$(bash "$here/image/build.sh" "$image")"
  image_dirs+=("$image=$dir")
  mkdir -p "$work/www/$image"
  for file in "$dir"/repo/*; do ln -s "$file" "$work/www/$image/"; done
done
built=$(date +%s)
cp -r "$here/k3s-stand-in" "$work/www/k3s-stand-in"
NODE_TIER_IMAGES="${image_dirs[*]}"
export NODE_TIER_IMAGES NODE_TIER_WORK="$work" NODE_TIER_FIGURES="$work/figures.tsv"
: >"$NODE_TIER_FIGURES"

status=0
# shellcheck disable=SC2016 # the inner script expands its own variables
unshare --net --pid --fork --mount-proc -- bash -c '
  set -euo pipefail
  ip link set lo up
  ip link add br-public type bridge && ip addr add 203.0.113.1/24 dev br-public && ip link set br-public up
  ip link add br-private type bridge && ip addr add 10.0.0.1/16 dev br-private && ip link set br-private up
  python3 -m http.server 8080 --bind 203.0.113.1 --directory "$NODE_TIER_WORK/www" >"$NODE_TIER_WORK/http.log" 2>&1 &
  npx jest -c jest.node.config.js "$@"
' _ "$@" || status=$?
finished=$(date +%s)
{
  printf 'image (built or from the cache)\t%s\ts\n' "$((built - started))"
  cat "$NODE_TIER_FIGURES"
  printf 'VMs and tests\t%s\ts\n' "$((finished - built))"
} | awk -F'\t' 'BEGIN { print "node tier figures:" } { printf "  %-48s %7s %s\n", $1, $2, $3 }' >&2
if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "node tier failed; consoles and logs in $work" >&2; fi
exit "$status"
