#!/usr/bin/env bash
# Builds the node tier's server image from Debian packages only, once, into the cache:
#   build.sh debian-12|debian-13   prints the image directory (disk.qcow2, vmlinuz, initrd.img, repo/)
# A minimal Debian with what Hetzner's own images carry for the program (systemd, openssh-server,
# cloud-init), packed with `mke2fs -d` (no loop mount) and booted without a bootloader by the tier.
# repo/ is a flat apt repository of the image's own packages plus those the program's user data installs,
# so cloud-init's `package_update`/`packages` work in a network with no uplink.
# The cache key is this script's text: a change of the package list builds a new image.
# Needs root (debootstrap), debootstrap with Debian's archive keyring, mke2fs, qemu-img, dpkg-scanpackages.
set -euo pipefail
image="${1:-debian-12}"
# Hetzner's image names and the Debian releases they are.
case $image in
debian-12) suite=bookworm ;;
debian-13) suite=trixie ;;
*) echo "build.sh: unknown image '$image' (known: debian-12, debian-13)" >&2; exit 2 ;;
esac
here="$(cd "$(dirname "$0")" && pwd)"
if [ "$(id -u)" -ne 0 ]; then
  sudo -n true 2>/dev/null || { echo "build.sh: debootstrap needs root: run it as root or give this user sudo" >&2; exit 1; }
  exec sudo -E env "PATH=$PATH" bash "$0" "$@"
fi
mirror="${NODE_TIER_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
key=$(sha256sum "$here/build.sh" | cut -c1-12)
cache="${HETZNER_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hetzner-k8s}/node"
out="$cache/$image-$key"
log() { printf '[image %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

[ -f "$out/.complete" ] && { echo "$out"; exit 0; }
mkdir -p "$cache"
exec 9>"$cache/$image.lock"
flock 9
[ -f "$out/.complete" ] && { echo "$out"; exit 0; }
# Standard output carries the image directory only: the tools' chatter goes to standard error.
exec 3>&1 1>&2

# What a Hetzner Debian image has that the program relies on: systemd and udev (by-id names of volumes),
# sshd, cloud-init with ifupdown to render its (static) network config, e2fsprogs/util-linux for volumes, curl
# for the k3s installer, kmod/procps for modules and sysctls, locales for cloud-init's locale module.
packages=(linux-image-amd64 initramfs-tools systemd systemd-sysv udev dbus openssh-server cloud-init
  ifupdown iproute2 e2fsprogs util-linux kmod procps curl ca-certificates iptables
  python3 gnupg locales
  # debootstrap does not resolve virtual packages: python3-cryptography (cloud-init) needs the cffi backend.
  python3-cffi-backend)
# Installed by the program at first boot (user data; the gateway's setup), so only downloaded into the repository.
first_boot_packages=(unattended-upgrades nftables)

started=$SECONDS
work="$cache/work-$image-$key"
rm -rf "$work" "$out"
mkdir -p "$work" "$out/repo"
root="$work/rootfs"
log "debootstrap $suite ($((${#packages[@]})) packages)"
# The keyring named, so that debootstrap refuses to go on without checking the archive's signatures.
debootstrap --keyring=/usr/share/keyrings/debian-archive-keyring.gpg --variant=minbase \
  --include="$(IFS=,; echo "${packages[*]}")" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }

# The first-boot packages and their dependencies, downloaded into apt's cache beside what debootstrap kept.
chroot "$root" apt-get update -qq
chroot "$root" apt-get install -qq -y --download-only "${first_boot_packages[@]}" >/dev/null
cp "$root"/var/cache/apt/archives/*.deb "$out/repo/"
(cd "$out/repo" && dpkg-scanpackages --multiversion . /dev/null >Packages 2>/dev/null && gzip -k9 Packages)
chroot "$root" apt-get clean
rm -rf "$root"/var/lib/apt/lists/*

# As on a cloud image: no host keys or machine id baked in (cloud-init and systemd make them at first
# boot), root on the first virtio disk, the serial console, apt pointed at the repository the tier serves.
rm -f "$root"/etc/ssh/ssh_host_*
: >"$root/etc/machine-id"
printf '/dev/vda / ext4 defaults,errors=remount-ro 0 1\n' >"$root/etc/fstab"
printf 'deb [trusted=yes] http://203.0.113.1:8080/%s/ ./\n' "$image" >"$root/etc/apt/sources.list"
cat >"$root/etc/cloud/cloud.cfg.d/90-node-tier.cfg" <<'CFG'
# The node tier's "Hetzner": a NoCloud seed, the tier's apt repository kept as the image's sources.
datasource_list: [NoCloud, None]
apt:
  preserve_sources_list: true
CFG
printf 'node-tier\n' >"$root/etc/hostname"
# Hetzner's images run in en_US.UTF-8, which cloud-init's locale module sets; Debian's locale-gen makes
# only the locales /etc/locale.gen names, so the image has it made already.
sed -i 's/^# *\(en_US.UTF-8 UTF-8\)/\1/' "$root/etc/locale.gen"
chroot "$root" locale-gen >/dev/null

# The kernel's initramfs was made before e2fsprogs was unpacked: made again, it checks the root filesystem
# at boot as an installed system does.
chroot "$root" update-initramfs -u >/dev/null 2>&1
cp "$root"/boot/vmlinuz-* "$out/vmlinuz"
cp "$root"/boot/initrd.img-* "$out/initrd.img"
chmod 0644 "$out/vmlinuz" "$out/initrd.img"
log "packing the root filesystem"
mke2fs -q -t ext4 -L root -d "$root" "$work/root.ext4" 3G
qemu-img convert -O qcow2 "$work/root.ext4" "$out/disk.qcow2"
printf '%s\n' "${packages[@]}" >"$out/packages"
# shellcheck disable=SC2016 # dpkg-query expands its own fields
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' >"$out/installed"
rm -rf "$work"
touch "$out/.complete"
# Older builds of this image (another package list) are not used again.
find "$cache" -maxdepth 1 -name "$image-*" ! -path "$out" -exec rm -rf {} +
log "built $image in $((SECONDS - started)) s: $(du -sh "$out/disk.qcow2" | cut -f1)"
echo "$out" >&3
