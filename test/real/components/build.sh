#!/usr/bin/env bash
# Builds the real components of the real test tier from their pinned Go modules (versions.env) into
# the cache, once: a component whose binary is already cached is not rebuilt.
#   build.sh [pulumi|provider|kubernetes|etcd ...]   (default: all)
# The cache is $HETZNER_K8S_CACHE (default ~/.cache/hetzner-k8s); it prints the bin directory of each.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=/dev/null # versions.env: plain assignments
. "$here/versions.env"
cache="${HETZNER_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hetzner-k8s}/real"
export CGO_ENABLED=0 GOFLAGS=-buildvcs=false
ldflags='-s -w'

log() { printf '[build %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# tools_go DIR PACKAGE...: the wrapper module's tools.go, which makes `go mod tidy` keep the main
# packages to build and their dependencies.
tools_go() {
  local dir="$1"; shift
  { printf '//go:build tools\n\npackage tools\n\nimport (\n'; printf '\t_ "%s"\n' "$@"; printf ')\n'; } >"$dir/tools.go"
}

# The npm @pulumi/kubernetes asks the engine for this provider version.
sdk_provider_version() {
  node -e 'process.stdout.write(require(process.argv[1]).version)' \
    "$here/../../../node_modules/@pulumi/kubernetes/package.json"
}

# finish DIR: marks a build complete; a half-written build directory is never taken for a cached one.
finish() { touch "$1/.complete"; }
cached() { [ -f "$1/.complete" ]; }

build_pulumi() {
  local out="$cache/pulumi-$PULUMI_CLI_VERSION"
  cached "$out" && { echo "$out"; return; }
  log "pulumi CLI $PULUMI_CLI_VERSION (about 8 min cold)"
  local src="$cache/src/pulumi-$PULUMI_CLI_VERSION"
  rm -rf "$src" "$out" && mkdir -p "$src" "$out"
  # pkg/v3 replaces sdk/v3 with a relative path and clipboard with a fork; a replace only applies in
  # the main module, so a wrapper module requires both at one version and repeats the fork.
  cat >"$src/go.mod" <<MOD
module hetzner-k8s/real/pulumi

go 1.24

require (
	github.com/pulumi/pulumi/pkg/v3 $PULUMI_CLI_VERSION
	github.com/pulumi/pulumi/sdk/v3 $PULUMI_CLI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
MOD
  tools_go "$src" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  (cd "$src" && go mod tidy && go build -trimpath -o "$out/pulumi" \
     -ldflags "$ldflags -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_CLI_VERSION" \
     github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
  finish "$out"
  echo "$out"
}

build_provider() {
  local version; version="$(sdk_provider_version)"
  local out="$cache/pulumi-resource-kubernetes-$PULUMI_KUBERNETES_PROVIDER_MODULE-as-$version"
  cached "$out" && { echo "$out"; return; }
  log "pulumi-kubernetes provider $PULUMI_KUBERNETES_PROVIDER_MODULE as $version (about 7 min cold)"
  local src="$cache/src/pulumi-kubernetes-$PULUMI_KUBERNETES_PROVIDER_MODULE"
  local mod="github.com/pulumi/pulumi-kubernetes/provider/v4"
  rm -rf "$src" "$out" && mkdir -p "$src" "$out"
  cat >"$src/go.mod" <<MOD
module hetzner-k8s/real/provider

go 1.24

require (
	$mod $PULUMI_KUBERNETES_PROVIDER_MODULE
	github.com/pulumi/pulumi-kubernetes/sdk/v4 $PULUMI_KUBERNETES_SDK_MODULE
)
MOD
  (cd "$src" && go mod download "$mod")
  local dir; dir="$(cd "$src" && go mod download -json "$mod" | sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p')"
  # The provider's main package embeds two generated JSON files that the module zip leaves out:
  # copy the package into the wrapper and run its own generator before building it.
  cp -r "$dir/cmd/pulumi-resource-kubernetes" "$src/main" && chmod -R u+w "$src/main"
  (cd "$src" && go mod tidy >/dev/null
   cd "$src/main" && VERSION="$version" go run generate.go
   cd "$src" && go build -trimpath -o "$out/pulumi-resource-kubernetes" \
     -ldflags "$ldflags -X $mod/pkg/version.Version=$version" ./main)
  finish "$out"
  echo "$out"
}

build_kubernetes() {
  local out="$cache/kubernetes-$KUBERNETES_VERSION"
  cached "$out" && { echo "$out"; return; }
  log "kube-apiserver, kube-controller-manager, kubectl $KUBERNETES_VERSION (5-20 min cold)"
  local src="$cache/src/kubernetes-$KUBERNETES_VERSION"
  rm -rf "$src" "$out" && mkdir -p "$src" "$out"
  local staging="v0.${KUBERNETES_VERSION#v1.}"
  local upstream
  upstream="$(cd "$src" && GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" \
    | sed -n 's/^\s*"GoMod": "\(.*\)",$/\1/p')"
  {
    printf 'module hetzner-k8s/real/kubernetes\n\ngo 1.24\n\nrequire k8s.io/kubernetes %s\n\n' "$KUBERNETES_VERSION"
    # k8s.io/kubernetes replaces its staging modules with ./staging paths; the wrapper points each at
    # its published release of the same patch.
    grep -oE '^\s*k8s.io/[a-z0-9-]+ => ./staging' "$upstream" | awk -v v="$staging" '{print "replace " $1 " => " $1 " " v}'
  } >"$src/go.mod"
  tools_go "$src" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl
  local minor="${KUBERNETES_VERSION#v1.}"; minor="${minor%%.*}"
  local stamp="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  (cd "$src" && go mod tidy >/dev/null
   for cmd in kube-apiserver kube-controller-manager kubectl; do
     go build -trimpath -o "$out/$cmd" -ldflags "$ldflags $stamp" "k8s.io/kubernetes/cmd/$cmd"
   done)
  finish "$out"
  echo "$out"
}

build_etcd() {
  local out="$cache/etcd-$ETCD_VERSION"
  cached "$out" && { echo "$out"; return; }
  log "etcd $ETCD_VERSION (about 2 min cold)"
  local src="$cache/src/etcd-$ETCD_VERSION"
  rm -rf "$src" "$out" && mkdir -p "$src" "$out"
  printf 'module hetzner-k8s/real/etcd\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$src/go.mod"
  tools_go "$src" go.etcd.io/etcd/server/v3
  (cd "$src" && go mod tidy >/dev/null && go build -trimpath -o "$out/etcd" -ldflags "$ldflags" go.etcd.io/etcd/server/v3)
  finish "$out"
  echo "$out"
}

# One build of a component at a time: a second caller (CI starts the builds early, then the tier asks
# for them) waits for the first and takes its result from the cache.
locked() { # locked <component>
  mkdir -p "$cache"
  local fd
  exec {fd}>"$cache/.lock-$1"
  flock "$fd"
  "build_$1"
  exec {fd}>&-
}

[ "$#" -gt 0 ] || set -- pulumi provider kubernetes etcd
for component in "$@"; do
  case "$component" in
    pulumi | provider | kubernetes | etcd) locked "$component" ;;
    *) echo "build.sh: unknown component \"$component\" (pulumi, provider, kubernetes or etcd)" >&2; exit 2 ;;
  esac
done
