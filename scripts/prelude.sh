#!/usr/bin/env bash
set -euo pipefail
# The prelude of every node script: the few functions they all need, defined once here instead of once per
# script, so that a message or a file write looks and behaves the same on every node.
#
# It is not sourced: the program puts this file's text in front of each script's text as it reads the
# script (readNodeScript, src/remote/remoteScript.ts), so the plan and Pulumi's state show the whole text a
# node runs, and a script piped to `bash -s` or written to a server by cloud-init (an autoscaled server's
# user data) needs no other file there. A script run by hand gets it the same way:
#   cat scripts/prelude.sh scripts/restore-etcd.sh | ssh root@<node> "... bash -s"
# Hence also the `set -euo pipefail` above: the text starts here, and these functions rely on it.
#
# The scripts must not define these names themselves (test/scripts/prelude.test.ts checks it).

# The word the messages name the machine with: "node", or "gateway" (prepare-gateway.sh sets it after the
# prelude). Set here rather than taken from the environment, so that an inherited variable changes nothing.
LOG_SUBJECT=node
# The file descriptor log writes to: 1 (stdout), or 2 where stdout is the script's result
# (fetch-kubeconfig.sh, whose stdout is the kubeconfig). fail always writes to stderr.
LOG_FD=1

# Prints `hetzner-k8s: node <NODE_NAME>: step <step>: <message>` on stderr and ends the script. The tests
# and the program's error reports match this line; NODE_NAME may be unset when the check of it fails.
fail() { # fail <step> <message...>
  printf 'hetzner-k8s: %s %s: step %s: %s\n' "$LOG_SUBJECT" "${NODE_NAME:-<unset>}" "$1" "${*:2}" >&2
  exit 1
}

# Prints a progress line in the same form as fail's, on LOG_FD.
log() { # log <step> <message...>
  printf 'hetzner-k8s: %s %s: step %s: %s\n' "$LOG_SUBJECT" "${NODE_NAME:-<unset>}" "$1" "${*:2}" >&"$LOG_FD"
}

# Runs <command...> until it succeeds, every POLL_INTERVAL seconds (the script's setting; 5 without one);
# returns 1 once <timeout> seconds have passed without success. The command runs in this shell, so a
# function may set variables for the caller.
wait_until() { # wait_until <timeout> <command...>
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep "${POLL_INTERVAL:-5}"
  done
}

# Fails the check of inputs unless <value> is a number of seconds (a timeout or an interval from the env).
require_number() { # require_number <name> <value>
  [[ $2 =~ ^[0-9]+([.][0-9]+)?$ ]] || fail check-env "$1 must be a number of seconds, got '$2'"
}

# Writes <content> (plus a final newline) to <path> with <mode> only when it differs, so that a second run
# changes no file, no mtime and triggers no reload. Sets WROTE=1 when it wrote, 0 otherwise. An unchanged
# file still gets its mode back if someone loosened it. The new content goes to a file beside the target,
# renamed over it, so a crash never leaves a half-written file; mktemp creates that file with mode 0600, so
# a secret is never readable by others, not even for a moment; printf is a builtin, so the content never
# appears in a process list.
write_if_changed() { # write_if_changed <path> <mode> <content>
  local path=$1 mode=$2 content="${3%$'\n'}"$'\n' tmp
  WROTE=0
  if [[ -f $path ]] && printf '%s' "$content" | cmp -s - "$path"; then
    [[ $(stat -c %a "$path") == "${mode#0}" ]] || chmod "$mode" "$path"
    return 0
  fi
  mkdir -p "$(dirname "$path")"
  tmp=$(mktemp "$path.XXXXXX")
  printf '%s' "$content" >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$path"
  # shellcheck disable=SC2034 # read by the scripts after this prelude
  WROTE=1
}

# --- end of scripts/prelude.sh; the script follows -------------------------------------------------------
