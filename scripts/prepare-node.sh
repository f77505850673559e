#!/usr/bin/env bash
set -euo pipefail
# Prepares a freshly booted Hetzner server for k3s: waits for cloud-init, loads the kernel modules and
# sysctls Kubernetes networking needs, and (optionally) formats and mounts the node's own volume.
#
# Run as root over SSH: `NODE_NAME='...' [VAR='...'] bash -s < prepare-node.sh`.
# All inputs are environment variables (the script is piped on stdin, so it has no path of its own):
#   NODE_NAME           required; names the node in every message
#   CLOUD_INIT_TIMEOUT  seconds to wait for cloud-init (default 600)
#   VOLUME_DEVICE       optional block device of the node's volume, e.g. /dev/disk/by-id/scsi-0HC_Volume_123
#   VOLUME_MOUNT        where to mount it (default /var/lib/hetzner-k8s/volume)
#   VOLUME_LABEL        ext4 label for a blank volume (default hk-volume, at most 16 characters)
#   DEVICE_TIMEOUT      seconds to wait for the volume device to appear (default 120)
#   POLL_INTERVAL       seconds between polls (default 5)
#   HK_ROOT             prefix for every file the script reads or writes (tests point it at a temp dir)
#
# Idempotent: a second run with the same inputs writes nothing, formats nothing, mounts nothing.

ROOT="${HK_ROOT:-}"
CHANGES=0

fail() { # fail <step> <message...>
  printf 'hetzner-k8s: node %s: step %s: %s\n' "${NODE_NAME:-<unset>}" "$1" "${*:2}" >&2
  exit 1
}
log() { # log <step> <message...>
  printf 'hetzner-k8s: node %s: step %s: %s\n' "$NODE_NAME" "$1" "${*:2}"
}
require_number() { # require_number <name> <value>
  [[ $2 =~ ^[0-9]+([.][0-9]+)?$ ]] || fail check-env "$1 must be a number of seconds, got '$2'"
}

# Polls "$@" until it succeeds or <timeout> seconds have passed; returns 1 on timeout.
wait_until() { # wait_until <timeout> <command...>
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep "$POLL_INTERVAL"
  done
}

# Writes <content> (plus a final newline) to <path> only when it differs, so that a re-run does not touch
# mtimes or trigger re-application. Sets WROTE=1 when it wrote, 0 otherwise.
write_if_changed() { # write_if_changed <path> <mode> <content>
  local path=$1 mode=$2 content="${3%$'\n'}"$'\n' tmp
  WROTE=0
  if [[ -f $path ]] && printf '%s' "$content" | cmp -s - "$path"; then
    return 0
  fi
  mkdir -p "$(dirname "$path")"
  # Write beside the target and rename, so a crash never leaves a half-written file behind.
  tmp=$(mktemp "$path.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  WROTE=1
}

NODE_NAME="${NODE_NAME:-}"
[[ -n $NODE_NAME ]] || fail check-env "NODE_NAME is required"
CLOUD_INIT_TIMEOUT="${CLOUD_INIT_TIMEOUT:-600}"
DEVICE_TIMEOUT="${DEVICE_TIMEOUT:-120}"
POLL_INTERVAL="${POLL_INTERVAL:-5}"
VOLUME_DEVICE="${VOLUME_DEVICE:-}"
VOLUME_MOUNT="${VOLUME_MOUNT:-/var/lib/hetzner-k8s/volume}"
VOLUME_LABEL="${VOLUME_LABEL:-hk-volume}"
require_number CLOUD_INIT_TIMEOUT "$CLOUD_INIT_TIMEOUT"
require_number DEVICE_TIMEOUT "$DEVICE_TIMEOUT"
require_number POLL_INTERVAL "$POLL_INTERVAL"
[[ $CLOUD_INIT_TIMEOUT =~ ^[0-9]+$ && $DEVICE_TIMEOUT =~ ^[0-9]+$ ]] ||
  fail check-env "CLOUD_INIT_TIMEOUT and DEVICE_TIMEOUT must be whole seconds"
if [[ -n $VOLUME_DEVICE ]]; then
  [[ $VOLUME_MOUNT == /* ]] || fail check-env "VOLUME_MOUNT must be an absolute path, got '$VOLUME_MOUNT'"
  ((${#VOLUME_LABEL} <= 16)) || fail check-env "VOLUME_LABEL '$VOLUME_LABEL' is longer than ext4's 16 characters"
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
    log volume-filesystem "$VOLUME_DEVICE already holds $FS_TYPE (UUID $FS_UUID); not formatting"
    ;;
  2)
    # Only an explicit "nothing here" from blkid lets us format: a volume's data must never be lost.
    log volume-filesystem "$VOLUME_DEVICE is blank; formatting it as ext4 with label $VOLUME_LABEL"
    mkfs.ext4 -L "$VOLUME_LABEL" "$VOLUME_DEVICE" >/dev/null || fail volume-filesystem "mkfs.ext4 on $VOLUME_DEVICE failed"
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

prepare_volume() {
  if ! wait_until "$DEVICE_TIMEOUT" test -e "$VOLUME_DEVICE"; then
    fail volume-wait "device $VOLUME_DEVICE did not appear within ${DEVICE_TIMEOUT}s (DEVICE_TIMEOUT); is the volume attached?"
  fi
  ensure_filesystem
  ensure_fstab_entry
  ensure_mounted
}

wait_for_cloud_init
load_kernel_modules
apply_sysctls
if [[ -n $VOLUME_DEVICE ]]; then
  prepare_volume
else
  log volume "no VOLUME_DEVICE given; skipping"
fi

if ((CHANGES == 0)); then
  log finish "node already prepared; nothing changed"
else
  log finish "node prepared ($CHANGES changes)"
fi
