#!/usr/bin/env bash
# The real tier (npm run test:real): builds the real components once (components/build.sh, cached),
# installs the provider into a PULUMI_HOME of the tier's own, then, inside a network namespace with only
# loopback up, starts the control plane and runs jest.real.config.js. Arguments go to jest. With
# REAL_TIER_FIGURES=1 (npm run bench:real) it runs test/real/figures.ts instead.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
here="$root/test/real"
cd "$root"

started=$(date +%s)
mapfile -t bins < <("$here/components/build.sh" pulumi provider kubernetes etcd)
pulumi_bin="${bins[0]}" provider_bin="${bins[1]}"
built=$(date +%s)

# The provider goes in under the version the npm SDK requests, so the engine never looks for a download.
provider_version="$(node -p 'require("@pulumi/kubernetes/package.json").version')"
PULUMI_HOME="$(dirname "$provider_bin")/pulumi-home-$(basename "$provider_bin")"
export PULUMI_HOME
if [ ! -d "$PULUMI_HOME/plugins/resource-kubernetes-v$provider_version" ]; then
  PATH="$pulumi_bin:$PATH" pulumi plugin install resource kubernetes "$provider_version" \
    --file "$provider_bin/pulumi-resource-kubernetes" >/dev/null
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/hetzner-k8s-real.XXXXXX")"
export REAL_TIER_WORK_DIR="$work" REAL_TIER_BINS="${bins[*]}"
# Keep the run's logs when it fails; a passing run leaves nothing behind.
status=0
# A network namespace with only loopback and a PID namespace of its own: nothing reaches outside, and
# every server the run starts ends with it.
userns=()
[ "$(id -u)" -eq 0 ] || userns=(--user --map-root-user)
# shellcheck disable=SC2016 # the inner script expands its own variables
unshare "${userns[@]}" --net --pid --fork --mount-proc -- bash -c '
  set -euo pipefail
  ip link set lo up
  read -r -a bins <<<"$REAL_TIER_BINS"
  "$0/control-plane.sh" "$REAL_TIER_WORK_DIR/control-plane" "${bins[@]}"
  export PATH="$(IFS=:; echo "${bins[*]}"):$PATH"
  export REAL_TIER_KUBECONFIG="$REAL_TIER_WORK_DIR/control-plane/admin.kubeconfig"
  export REAL_TIER_API_SERVER=https://127.0.0.1:6443
  shift
  if [ -n "${REAL_TIER_FIGURES:-}" ]; then npx tsx test/real/figures.ts; else npx jest -c jest.real.config.js "$@"; fi
' "$here" _ "$@" || status=$?
finished=$(date +%s)
echo "real tier: components $((built - started)) s, control plane and tests $((finished - built)) s" >&2
if [ "$status" -eq 0 ]; then rm -rf "$work"; else echo "real tier failed; logs in $work" >&2; fi
exit "$status"
