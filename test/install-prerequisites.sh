#!/usr/bin/env bash
# Installs what the tests need and a fresh machine lacks (Debian or Ubuntu): shellcheck for the node
# scripts, promtool (package prometheus) for the alert rules, Chromium for the console's browser tests,
# what the real tier uses (openssl, unshare, ip), and what the node tier uses: QEMU, the image tools
# (debootstrap, qemu-img, dpkg-scanpackages), cloud-localds for the seed, an SSH client, python3 for the
# apt repository it serves. Go comes with the machine; the real tier builds its components with it
# (test/real/components/build.sh). Nothing is installed when everything is there.
set -euo pipefail

missing=()
need() { # need <command or path> <Debian package>
  if [[ $1 == /* ]]; then [ -x "$1" ] || missing+=("$2"); else command -v "$1" >/dev/null || missing+=("$2"); fi
}
need shellcheck shellcheck
need promtool prometheus
need /usr/bin/chromium chromium
need openssl openssl
need unshare util-linux
need ip iproute2
need qemu-system-x86_64 qemu-system-x86
need qemu-img qemu-utils
need debootstrap debootstrap
# Debian's archive key, which debootstrap checks Debian's packages with (Ubuntu lacks it).
need /usr/share/keyrings/debian-archive-keyring.gpg debian-archive-keyring
need cloud-localds cloud-image-utils
need dpkg-scanpackages dpkg-dev
need ssh openssh-client
need python3 python3
need sfdisk fdisk
need mkswap util-linux

if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing ${missing[*]}" >&2
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || {
  echo "go is missing: the real tier builds its components with Go 1.26 or later (https://go.dev/doc/install)" >&2
  exit 1
}
