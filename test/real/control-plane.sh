#!/usr/bin/env bash
# Starts a real Kubernetes control plane on 127.0.0.1, the way a k3s server configures its own: etcd,
# kube-apiserver with Node and RBAC authorization and the admission plugins k3s enables, and the
# controller manager (quota status, service-account tokens, namespace deletion, garbage collection).
#   control-plane.sh DIR BIN_DIR...
# Writes DIR/admin.kubeconfig and DIR/env (the addresses), logs to DIR/*.log, and waits until the API is
# ready. Run it inside a network namespace of its own (run.sh does); the processes stop with it.
set -euo pipefail
dir="$1"; shift
repo="$(cd "$(dirname "$0")/../.." && pwd)"
for bin in "$@"; do PATH="$bin:$PATH"; done
export PATH
mkdir -p "$dir/pki" "$dir/etcd"
pki="$dir/pki"
api_port=6443

# Certificates: one CA for serving and clients (as in a k3s server, which also keeps them apart only
# by name); an RSA service-account key, as k3s uses.
cert() { # name subject [san]
  local name="$1" subject="$2" san="${3:-}"
  openssl req -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -subj "$subject" -out "$pki/$name.csr" 2>/dev/null
  local ext=()
  if [ -n "$san" ]; then
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >"$pki/$name.ext"
  else
    printf 'extendedKeyUsage=clientAuth\n' >"$pki/$name.ext"
  fi
  ext=(-extfile "$pki/$name.ext")
  openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
    -days 2 -out "$pki/$name.crt" "${ext[@]}" 2>/dev/null
}
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -subj "/CN=hetzner-k8s-test-ca" \
  -days 2 -out "$pki/ca.crt" 2>/dev/null
cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,IP:10.43.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc"
cert admin "/O=system:masters/CN=admin"
cert controller-manager "/CN=system:kube-controller-manager"
openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null

kubeconfig() { # file user
  cat >"$1" <<KC
apiVersion: v1
kind: Config
clusters:
  - name: test
    cluster:
      server: https://127.0.0.1:$api_port
      certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
  - name: $2
    user:
      client-certificate-data: $(base64 -w0 "$pki/$2.crt")
      client-key-data: $(base64 -w0 "$pki/$2.key")
contexts:
  - name: test
    context: { cluster: test, user: $2 }
current-context: test
KC
}
kubeconfig "$dir/admin.kubeconfig" admin
kubeconfig "$dir/controller-manager.kubeconfig" controller-manager

etcd --name test --data-dir "$dir/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster test=http://127.0.0.1:2380 --log-level warn >"$dir/etcd.log" 2>&1 &

# Authentication uses the program's own file (anonymous only for /livez and /readyz), as its servers do,
# and so does Pod Security admission (restricted where a namespace has no label, system namespaces exempt).
kube-apiserver \
  --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$api_port" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --api-audiences=https://kubernetes.default.svc.cluster.local,k3s \
  --authorization-mode=Node,RBAC \
  --authentication-config="$repo/scripts/k3s-authentication-config.yaml" \
  --enable-admission-plugins=NodeRestriction \
  --admission-control-config-file="$repo/scripts/k3s-pod-security.yaml" \
  --service-cluster-ip-range=10.43.0.0/16 --service-node-port-range=30000-32767 \
  --endpoint-reconciler-type=none --allow-privileged=true \
  --profiling=false >"$dir/apiserver.log" 2>&1 &

export KUBECONFIG="$dir/admin.kubeconfig"
for _ in $(seq 1 120); do
  kubectl get --raw /readyz >/dev/null 2>&1 && break
  sleep 0.5
done
kubectl get --raw /readyz >/dev/null || { tail -n 30 "$dir/apiserver.log" >&2; echo "control-plane.sh: the API server did not become ready" >&2; exit 1; }

kube-controller-manager \
  --kubeconfig="$dir/controller-manager.kubeconfig" \
  --authentication-kubeconfig="$dir/controller-manager.kubeconfig" \
  --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
  --bind-address=127.0.0.1 --secure-port=10257 \
  --use-service-account-credentials=true \
  --service-account-private-key-file="$pki/sa.key" --root-ca-file="$pki/ca.crt" \
  --cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
  --controllers='*,tokencleaner' --leader-elect=false \
  --profiling=false >"$dir/controller-manager.log" 2>&1 &

# The controller manager is ready once the token controller has filled the default ServiceAccount.
for _ in $(seq 1 120); do
  kubectl -n default get serviceaccount default >/dev/null 2>&1 && break
  sleep 0.5
done
kubectl -n default get serviceaccount default >/dev/null || { tail -n 30 "$dir/controller-manager.log" >&2; echo "control-plane.sh: the controller manager did not start" >&2; exit 1; }
printf 'KUBECONFIG=%s\nAPI_SERVER=https://127.0.0.1:%s\n' "$dir/admin.kubeconfig" "$api_port" >"$dir/env"
