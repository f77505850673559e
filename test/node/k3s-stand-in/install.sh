#!/bin/sh
# The node tier's stand-in for the k3s installer (the k3s binary cannot be had here). install-k3s.sh
# downloads and runs it exactly as it runs k3s's own install.sh (INSTALL_K3S_VERSION, INSTALL_K3S_EXEC,
# INSTALL_K3S_FORCE_RESTART); it records how it was called, installs a `k3s` that records its own calls,
# and a unit of the name k3s's installer uses (k3s or k3s-agent), enabled and started as k3s's is.
# Not k3s: nothing here reads the config or joins a cluster.
set -eu
record=/var/lib/node-tier-stand-in
mkdir -p "$record"
# Everything from the environment the real installer would copy into the service's env file.
{ env | grep -E '^(INSTALL_K3S_|K3S_)' | sort; echo ---; } >>"$record/installer-calls"
version="${INSTALL_K3S_VERSION:?}"
exec_role="${INSTALL_K3S_EXEC:-server}"
case $exec_role in server*) service=k3s ;; agent*) service=k3s-agent ;; *) echo "stand-in: unknown INSTALL_K3S_EXEC $exec_role" >&2; exit 1 ;; esac
base="http://203.0.113.1:8080/k3s-stand-in"
curl -fsS -o /usr/local/bin/k3s.new "$base/k3s"
sed "s/@VERSION@/$version/" /usr/local/bin/k3s.new >/usr/local/bin/k3s
rm -f /usr/local/bin/k3s.new
chmod 0755 /usr/local/bin/k3s
cat >"/etc/systemd/system/$service.service" <<UNIT
[Unit]
Description=k3s stand-in of the node tier ($exec_role)
Wants=network-online.target
After=network-online.target

[Service]
Type=simple
ExecStart=/usr/local/bin/k3s $exec_role
Restart=always

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable "$service" >/dev/null 2>&1
if [ "${INSTALL_K3S_FORCE_RESTART:-false}" = true ] || ! systemctl is-active --quiet "$service"; then
  systemctl restart "$service"
fi
