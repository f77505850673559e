#!/usr/bin/env bash
set -euo pipefail
# Prepares a freshly booted Hetzner server for k3s: waits for cloud-init, loads the kernel modules and
# sysctls Kubernetes networking needs, and (optionally) formats, mounts and grows the node's own volume.
#
# Run as root over SSH: `NODE_NAME='...' [VAR='...'] bash -s`,
# prelude.sh and prepare-node.sh on stdin (readNodeScript puts the prelude first).
# All inputs are environment variables (the script is piped on stdin, so it has no path of its own):
#   NODE_NAME           required; names the node in every message
#   CLOUD_INIT_TIMEOUT  seconds to wait for cloud-init (default 600)
#   VOLUME_DEVICE       optional block device of the node's volume, e.g. /dev/disk/by-id/scsi-0HC_Volume_123
#   VOLUME_MOUNT        where to mount it (default /var/lib/hetzner-k8s/volume)
#   VOLUME_LABEL        ext4 label for a blank volume (default hk-volume, at most 16 characters)
#   VOLUME_SIZE_GB      optional size of the volume in Hetzner's GB (which are GiB); the script waits, up to
#                       DEVICE_TIMEOUT, until the kernel sees at least that size before it decides whether
#                       the filesystem must grow
#   VOLUME_ONLY         1 = only the volume steps, for a node that is already up (no cloud-init wait, kernel
#                       modules or sysctls; needs VOLUME_DEVICE); default 0
#   DEVICE_TIMEOUT      seconds to wait for the volume device to appear, or to reach VOLUME_SIZE_GB (default 120)
#   POLL_INTERVAL       seconds between polls (default 5)
#   HK_ROOT             prefix for every file the script reads or writes (tests point it at a temp dir)
#
# An ext4 filesystem smaller than its device (the volume was grown) is grown online to fill it; nothing is
# ever shrunk, and only a device blkid reports as blank is ever formatted; a device holding anything but
# ext4 or xfs (Hetzner's formats) is refused untouched.
#
# Idempotent: a second run with the same inputs writes nothing, formats nothing, mounts nothing, grows nothing.

ROOT="${HK_ROOT:-}"
CHANGES=0

NODE_NAME="${NODE_NAME:-}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
CLOUD_INIT_TIMEOUT="${CLOUD_INIT_TIMEOUT:-600}"
DEVICE_TIMEOUT="${DEVICE_TIMEOUT:-120}"
POLL_INTERVAL="${POLL_INTERVAL:-5}"
VOLUME_DEVICE="${VOLUME_DEVICE:-}"
VOLUME_MOUNT="${VOLUME_MOUNT:-/var/lib/hetzner-k8s/volume}"
VOLUME_LABEL="${VOLUME_LABEL:-hk-volume}"
VOLUME_SIZE_GB="${VOLUME_SIZE_GB:-}"
VOLUME_ONLY="${VOLUME_ONLY:-0}"
require_number CLOUD_INIT_TIMEOUT "$CLOUD_INIT_TIMEOUT"
require_number DEVICE_TIMEOUT "$DEVICE_TIMEOUT"
require_number POLL_INTERVAL "$POLL_INTERVAL"
[[ $CLOUD_INIT_TIMEOUT =~ ^[0-9]+$ && $DEVICE_TIMEOUT =~ ^[0-9]+$ ]] ||
  fail check-env "CLOUD_INIT_TIMEOUT and DEVICE_TIMEOUT must be whole seconds"
if [[ -n $VOLUME_DEVICE ]]; then
  [[ $VOLUME_MOUNT == /* ]] || fail check-env "VOLUME_MOUNT must be an absolute path, got '$VOLUME_MOUNT'"
  ((${#VOLUME_LABEL} <= 16)) || fail check-env "VOLUME_LABEL '$VOLUME_LABEL' is longer than ext4's 16 characters"
fi
[[ -z $VOLUME_SIZE_GB || $VOLUME_SIZE_GB =~ ^[1-9][0-9]{0,5}$ ]] ||
  fail check-env "VOLUME_SIZE_GB must be a whole number of GB, got '$VOLUME_SIZE_GB'"
[[ $VOLUME_ONLY == 0 || $VOLUME_ONLY == 1 ]] || fail check-env "VOLUME_ONLY must be 0 or 1, got '$VOLUME_ONLY'"
if ((VOLUME_ONLY)) && [[ -z $VOLUME_DEVICE ]]; then
  fail check-env "VOLUME_ONLY=1 prepares only the volume, so it needs VOLUME_DEVICE"
fi

# --- cloud-init -------------------------------------------------------------------------------------------
# Installing packages or k3s while cloud-init still runs races its apt and its network configuration.
wait_for_cloud_init() {
  if ! command -v cloud-init >/dev/null 2>&1; then
    log cloud-init "cloud-init is not installed; nothing to wait for"
    return 0
  fi
  local rc=0
  # `timeout` bounds the wait; --kill-after makes sure a cloud-init that ignores SIGTERM cannot hang us.
  timeout --kill-after=10 "$CLOUD_INIT_TIMEOUT" cloud-init status --wait >/dev/null || rc=$?
  case $rc in
  0) log cloud-init "cloud-init has finished" ;;
  # cloud-init >= 23.4 exits 2 for "done, with recoverable errors" (e.g. deprecated keys): the boot completed.
  2) log cloud-init "cloud-init finished with recoverable errors; continuing" ;;
  124 | 137) fail cloud-init "cloud-init did not finish within ${CLOUD_INIT_TIMEOUT}s (CLOUD_INIT_TIMEOUT)" ;;
  *) fail cloud-init "cloud-init reported a failed boot (exit $rc); see 'cloud-init status --long'" ;;
  esac
}

# --- kernel modules ---------------------------------------------------------------------------------------
# overlay backs containerd's snapshotter; br_netfilter makes bridged pod traffic visible to iptables.
KERNEL_MODULES=(overlay br_netfilter)
load_kernel_modules() {
  write_if_changed "$ROOT/etc/modules-load.d/k3s.conf" 0644 "$(printf '%s\n' "${KERNEL_MODULES[@]}")"
  if ((WROTE)); then
    log kernel-modules "wrote /etc/modules-load.d/k3s.conf"
    CHANGES=$((CHANGES + 1))
  else
    log kernel-modules "/etc/modules-load.d/k3s.conf unchanged"
  fi
  local module
  for module in "${KERNEL_MODULES[@]}"; do
    if [[ -d "$ROOT/sys/module/$module" ]]; then
      log kernel-modules "$module already loaded"
      continue
    fi
    modprobe "$module" || fail kernel-modules "modprobe $module failed"
    log kernel-modules "loaded $module"
    CHANGES=$((CHANGES + 1))
  done
}

# --- sysctls ----------------------------------------------------------------------------------------------
apply_sysctls() {
  local conf="$ROOT/etc/sysctl.d/90-k3s.conf"
  write_if_changed "$conf" 0644 "# Managed by hetzner-k8s (prepare-node.sh); edits are overwritten.
net.ipv4.ip_forward = 1
net.bridge.bridge-nf-call-iptables = 1
net.bridge.bridge-nf-call-ip6tables = 1
fs.inotify.max_user_instances = 8192
fs.inotify.max_user_watches = 524288"
  if ((!WROTE)); then
    log sysctl "/etc/sysctl.d/90-k3s.conf unchanged; not re-applying"
    return 0
  fi
  if ! sysctl --system >/dev/null; then
    # Remove the file so that the next run sees a change and applies it again instead of skipping.
    rm -f "$conf"
    fail sysctl "'sysctl --system' failed; removed /etc/sysctl.d/90-k3s.conf so a re-run retries"
  fi
  log sysctl "wrote /etc/sysctl.d/90-k3s.conf and applied it"
  CHANGES=$((CHANGES + 1))
}

# --- volume -----------------------------------------------------------------------------------------------
# Prints `KEY=value` lines for what blkid finds on the device. The exit status follows blkid: 0 = found
# something, 2 = definitely nothing (a blank device), anything else = could not tell. Probing with -p
# bypasses blkid's cache, and asking for PTTYPE too means a partitioned disk never counts as blank
# (the same test Kubernetes' mount-utils uses before it formats a disk).
probe_device() {
  blkid -p -s TYPE -s UUID -s PTTYPE -o export "$VOLUME_DEVICE"
}

FS_TYPE=""
FS_UUID=""
read_probe() { # read_probe <blkid export output>
  FS_TYPE=""
  FS_UUID=""
  local line
  while IFS= read -r line; do
    case $line in
    TYPE=*) FS_TYPE=${line#TYPE=} ;;
    UUID=*) FS_UUID=${line#UUID=} ;;
    PTTYPE=*) fail volume-filesystem "$VOLUME_DEVICE holds a ${line#PTTYPE=} partition table, not a filesystem; refusing to format or mount it" ;;
    esac
  done <<<"$1"
}

ensure_filesystem() {
  local out rc=0
  out=$(probe_device) || rc=$?
  case $rc in
  0)
    read_probe "$out"
    [[ -n $FS_TYPE ]] || fail volume-filesystem "blkid found something on $VOLUME_DEVICE but no filesystem type; refusing to format it"
    # Hetzner formats a volume as ext4 or xfs; anything else (swap, a LUKS container, another system's
    # filesystem) is someone's data the node cannot mount as its volume.
    [[ $FS_TYPE == ext4 || $FS_TYPE == xfs ]] ||
      fail volume-filesystem "$VOLUME_DEVICE holds $FS_TYPE, not ext4 or xfs; refusing to format or mount it (wipe it by hand if its data is not needed)"
    log volume-filesystem "$VOLUME_DEVICE already holds $FS_TYPE (UUID $FS_UUID); not formatting"
    ;;
  2)
    # Only an explicit "nothing here" from blkid lets us format: a volume's data must never be lost.
    log volume-filesystem "$VOLUME_DEVICE is blank; formatting it as ext4 with label $VOLUME_LABEL"
    mkfs.ext4 -q -L "$VOLUME_LABEL" "$VOLUME_DEVICE" || fail volume-filesystem "mkfs.ext4 on $VOLUME_DEVICE failed"
    CHANGES=$((CHANGES + 1))
    rc=0
    out=$(probe_device) || rc=$?
    ((rc == 0)) || fail volume-filesystem "blkid cannot see the filesystem just created on $VOLUME_DEVICE (exit $rc)"
    read_probe "$out"
    ;;
  *) fail volume-filesystem "blkid could not probe $VOLUME_DEVICE (exit $rc); refusing to format it" ;;
  esac
  [[ -n $FS_UUID ]] || fail volume-filesystem "the $FS_TYPE filesystem on $VOLUME_DEVICE has no UUID to reference in /etc/fstab"
}

# The fstab entry makes the volume come back after a reboot; `nofail` keeps a detached volume from
# dropping the node into emergency mode. It references the UUID because device names can change.
ensure_fstab_entry() {
  local fstab="$ROOT/etc/fstab" source mountpoint _rest
  if [[ -f $fstab ]]; then
    while read -r source mountpoint _rest; do
      [[ -z $source || $source == \#* ]] && continue
      if [[ $source == "UUID=$FS_UUID" ]]; then
        [[ $mountpoint == "$VOLUME_MOUNT" ]] ||
          fail volume-fstab "/etc/fstab already mounts UUID=$FS_UUID at $mountpoint, not $VOLUME_MOUNT; fix /etc/fstab by hand"
        log volume-fstab "/etc/fstab already has the entry for UUID=$FS_UUID"
        return 0
      fi
      [[ $mountpoint != "$VOLUME_MOUNT" ]] ||
        fail volume-fstab "/etc/fstab already mounts $source at $VOLUME_MOUNT; refusing to add a second entry for UUID=$FS_UUID"
    done <"$fstab"
  fi
  mkdir -p "$(dirname "$fstab")"
  # Appending to a file whose last line lacks a newline would glue our entry onto it.
  if [[ -s $fstab && -n $(tail -c1 "$fstab") ]]; then
    printf '\n' >>"$fstab"
  fi
  printf 'UUID=%s %s %s defaults,nofail 0 2\n' "$FS_UUID" "$VOLUME_MOUNT" "$FS_TYPE" >>"$fstab"
  log volume-fstab "added UUID=$FS_UUID $VOLUME_MOUNT to /etc/fstab"
  CHANGES=$((CHANGES + 1))
}

ensure_mounted() {
  local target="$ROOT$VOLUME_MOUNT"
  if [[ ! -d $target ]]; then
    mkdir -p "$target"
    CHANGES=$((CHANGES + 1))
  fi
  if mountpoint -q "$target"; then
    log volume-mount "$VOLUME_MOUNT is already mounted"
    return 0
  fi
  mount -t "$FS_TYPE" -o defaults "$VOLUME_DEVICE" "$target" || fail volume-mount "mounting $VOLUME_DEVICE on $VOLUME_MOUNT failed"
  log volume-mount "mounted $VOLUME_DEVICE on $VOLUME_MOUNT"
  CHANGES=$((CHANGES + 1))
}

# --- volume size ------------------------------------------------------------------------------------------
# Hetzner's volume sizes are GiB (the Hetzner CSI driver converts them with 1024^3).
GIB=$((1024 * 1024 * 1024))
DEVICE_BYTES=0

# The kernel reads a SCSI disk's capacity when the disk appears: a Hetzner volume grown while attached keeps
# its old size on the server until the disk is rescanned. A rescan changes nothing when the size is the same.
RESCAN=""
find_rescan() {
  local disk
  disk=$(basename "$(readlink -f "$VOLUME_DEVICE")")
  RESCAN="$ROOT/sys/block/$disk/device/rescan"
  if [[ -e $RESCAN ]]; then
    log volume-grow "asking the kernel to re-read the capacity of $disk"
  else
    log volume-grow "$disk is not a SCSI disk with a rescan file; using the size the kernel knows"
    RESCAN=""
  fi
}

read_device_size() {
  if [[ -n $RESCAN ]]; then
    printf '1\n' >"$RESCAN" || fail volume-grow "could not write to ${RESCAN#"$ROOT"} to rescan $VOLUME_DEVICE"
  fi
  DEVICE_BYTES=$(blockdev --getsize64 "$VOLUME_DEVICE") || fail volume-grow "blockdev cannot read the size of $VOLUME_DEVICE"
  [[ $DEVICE_BYTES =~ ^[0-9]+$ ]] || fail volume-grow "blockdev reported '$DEVICE_BYTES' as the size of $VOLUME_DEVICE"
}

device_has_volume_size() {
  read_device_size
  ((DEVICE_BYTES >= VOLUME_SIZE_GB * GIB))
}

# Sets FS_BLOCKS, FS_BLOCK_SIZE and FS_GROUP_BLOCKS from the ext4 superblock.
read_ext4_geometry() {
  local out line
  out=$(dumpe2fs -h "$VOLUME_DEVICE" 2>/dev/null) || fail volume-grow "dumpe2fs cannot read the ext4 superblock on $VOLUME_DEVICE"
  FS_BLOCKS="" FS_BLOCK_SIZE="" FS_GROUP_BLOCKS=""
  while IFS= read -r line; do
    case $line in
    "Block count:"*) FS_BLOCKS=${line##* } ;;
    "Block size:"*) FS_BLOCK_SIZE=${line##* } ;;
    "Blocks per group:"*) FS_GROUP_BLOCKS=${line##* } ;;
    esac
  done <<<"$out"
  [[ $FS_BLOCKS =~ ^[0-9]+$ && $FS_BLOCK_SIZE =~ ^[1-9][0-9]*$ && $FS_GROUP_BLOCKS =~ ^[1-9][0-9]*$ ]] ||
    fail volume-grow "dumpe2fs gave no block count, block size and blocks per group for $VOLUME_DEVICE"
}

# Runs after ensure_mounted: ext4 grows online only while mounted, and an unmounted resize2fs would first
# demand a full e2fsck.
ensure_grown() {
  find_rescan
  if [[ -n $VOLUME_SIZE_GB ]]; then
    # Rescans until the kernel sees the size the volume was given: failing beats reporting "already fills"
    # for a filesystem that was never grown because the kernel still had the old size.
    wait_until "$DEVICE_TIMEOUT" device_has_volume_size ||
      fail volume-grow "$VOLUME_DEVICE has $DEVICE_BYTES bytes after ${DEVICE_TIMEOUT}s (DEVICE_TIMEOUT), less than the volume's $VOLUME_SIZE_GB GB (VOLUME_SIZE_GB); is the resize finished?"
  else
    read_device_size
  fi
  if [[ $FS_TYPE != ext4 ]]; then
    log volume-grow "$VOLUME_DEVICE holds $FS_TYPE; only ext4 is grown here, so it keeps its size"
    return 0
  fi
  read_ext4_geometry
  local device_blocks=$((DEVICE_BYTES / FS_BLOCK_SIZE)) before=$((FS_BLOCKS * FS_BLOCK_SIZE))
  ((device_blocks >= FS_BLOCKS)) ||
    fail volume-grow "$VOLUME_DEVICE ($DEVICE_BYTES bytes) is smaller than its ext4 filesystem ($before bytes); refusing to touch it"
  # resize2fs leaves a tail too small for a block group unused, so a smaller difference is "already full"
  # (and a second run does not resize again); Hetzner volumes grow by whole GiB, many groups at a time.
  if ((device_blocks - FS_BLOCKS < FS_GROUP_BLOCKS)); then
    log volume-grow "the ext4 filesystem already fills $VOLUME_DEVICE ($DEVICE_BYTES bytes); not resizing"
    return 0
  fi
  log volume-grow "growing the ext4 filesystem on $VOLUME_DEVICE online from $before to $DEVICE_BYTES bytes"
  # Without a size, resize2fs grows to the device's size, which the check above shows is larger. Its output
  # (a version banner on stderr, progress) only matters when it fails.
  local out
  out=$(resize2fs "$VOLUME_DEVICE" 2>&1) || fail volume-grow "resize2fs on $VOLUME_DEVICE failed: $out"
  read_ext4_geometry
  ((FS_BLOCKS * FS_BLOCK_SIZE > before)) ||
    fail volume-grow "resize2fs succeeded but the filesystem on $VOLUME_DEVICE is still $before bytes"
  log volume-grow "the ext4 filesystem on $VOLUME_DEVICE now has $((FS_BLOCKS * FS_BLOCK_SIZE)) bytes"
  CHANGES=$((CHANGES + 1))
}

prepare_volume() {
  if ! wait_until "$DEVICE_TIMEOUT" test -e "$VOLUME_DEVICE"; then
    fail volume-wait "device $VOLUME_DEVICE did not appear within ${DEVICE_TIMEOUT}s (DEVICE_TIMEOUT); is the volume attached?"
  fi
  ensure_filesystem
  ensure_fstab_entry
  ensure_mounted
  ensure_grown
}

PREPARED=node
if ((VOLUME_ONLY)); then
  # The node is already up (its bootstrap ran): only the volume can have changed since.
  log volume "VOLUME_ONLY=1: preparing only the volume"
  PREPARED=volume
else
  wait_for_cloud_init
  load_kernel_modules
  apply_sysctls
fi
if [[ -n $VOLUME_DEVICE ]]; then
  prepare_volume
else
  log volume "no VOLUME_DEVICE given; skipping"
fi

if ((CHANGES == 0)); then
  log finish "$PREPARED already prepared; nothing changed"
else
  log finish "$PREPARED prepared ($CHANGES changes)"
fi
