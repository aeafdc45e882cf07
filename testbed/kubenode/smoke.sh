#!/usr/bin/env bash
# Proves a kubenode (or k3s) cluster runs real pods: needs kubectl and
# KUBECONFIG. Prints timings; exits non-zero at the first failed check.
#
#   1. the Node becomes Ready;
#   2. a Deployment of 2 pods (the pause image's `serve` mode) rolls out and
#      both pods answer through the API server's service proxy;
#   3. a rollout whose pods never become ready ends in
#      ProgressDeadlineExceeded while the old pods keep serving;
#   4. `rollout undo` restores it;
#   5. with SMOKE_REGISTRY_IMAGE=host:port/repo:tag, a pod runs that image,
#      pulled through registries.yaml (it must run `/pause serve`, e.g. the
#      pause image pushed there).
set -euo pipefail

image=${SMOKE_IMAGE:-registry.k8s.io/pause:3.10}
ns=smoke-$$
t0=$EPOCHREALTIME
say() { printf 'smoke: [%5ss] %s\n' "$(awk -v a="$EPOCHREALTIME" -v b="$t0" 'BEGIN { printf "%.1f", a - b }')" "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
cleanup() { kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true; }
trap cleanup EXIT

for _ in $(seq 120); do
	kubectl get nodes -o name 2>/dev/null | grep -q . && break
	sleep 1
done
kubectl wait --for=condition=Ready node --all --timeout=120s >/dev/null || fail "node not Ready"
say "node Ready: $(kubectl get nodes -o jsonpath='{.items[*].metadata.name}')"

kubectl create namespace "$ns" >/dev/null
kubectl -n "$ns" apply -f - >/dev/null <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  progressDeadlineSeconds: 20
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 2
      containers:
      - name: web
        image: $image
        imagePullPolicy: IfNotPresent
        command: ["/pause", "serve", "--addr=:8080"]
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
EOF
kubectl -n "$ns" rollout status deploy/web --timeout=120s >/dev/null || fail "first rollout"
say "deployment web: 2 pods ready"

proxy=/api/v1/namespaces/$ns/services/web:80/proxy/
# Both pods must answer; kube-proxy and endpoints may take a moment.
declare -A seen=()
for _ in $(seq 60); do
	if out=$(kubectl get --raw "$proxy" 2>/dev/null); then seen[$out]=1; fi
	[ ${#seen[@]} -ge 2 ] && break
	sleep 0.5
done
[ ${#seen[@]} -ge 2 ] || fail "service proxy: answers from ${#seen[@]} pod(s), want 2: ${!seen[*]}"
say "service proxy: answers from 2 pods: $(printf '%s; ' "${!seen[@]}")"

kubectl -n "$ns" patch deploy web --type=json -p \
	'[{"op":"replace","path":"/spec/template/spec/containers/0/readinessProbe/httpGet/path","value":"/never"}]' >/dev/null
if kubectl -n "$ns" rollout status deploy/web --timeout=120s >/tmp/smoke-rollout.$$ 2>&1; then
	fail "never-ready rollout reported success"
fi
grep -q "exceeded its progress deadline" /tmp/smoke-rollout.$$ || fail "rollout status: $(cat /tmp/smoke-rollout.$$)"
rm -f /tmp/smoke-rollout.$$
reason=$(kubectl -n "$ns" get deploy web -o jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}')
[ "$reason" = ProgressDeadlineExceeded ] || fail "Progressing reason $reason, want ProgressDeadlineExceeded"
kubectl get --raw "$proxy" >/dev/null || fail "old pods stopped serving during the stalled rollout"
say "never-ready rollout: ProgressDeadlineExceeded, old pods still serving"

kubectl -n "$ns" rollout undo deploy/web >/dev/null
kubectl -n "$ns" rollout status deploy/web --timeout=120s >/dev/null || fail "rollout undo"
say "rollout undo: restored"

if [ -n "${SMOKE_REGISTRY_IMAGE:-}" ]; then
	kubectl -n "$ns" run pulled --image="$SMOKE_REGISTRY_IMAGE" --image-pull-policy=Always \
		--command -- /pause serve >/dev/null
	kubectl -n "$ns" wait --for=condition=Ready pod/pulled --timeout=120s >/dev/null ||
		fail "pod from $SMOKE_REGISTRY_IMAGE: $(kubectl -n "$ns" get events --field-selector involvedObject.name=pulled -o jsonpath='{.items[*].message}')"
	say "pod from $SMOKE_REGISTRY_IMAGE: Ready (pulled through registries.yaml)"
fi
say "all checks passed"
