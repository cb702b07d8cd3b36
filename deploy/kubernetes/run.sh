#!/usr/bin/env bash
# Applies deploy/kubernetes/reuse-bench.yaml one step at a time: the shared volume, pretraining,
# the shards (an Indexed Job), then the merge, each after the previous one completed.
#   deploy/kubernetes/run.sh [NAMESPACE]
set -euo pipefail
ns="${1:-default}"
manifest="$(dirname "$0")/reuse-bench.yaml"
k() { kubectl --namespace "$ns" "$@"; }

k apply -f "$manifest" --selector '!step'                 # the PersistentVolumeClaim
for step in pretrain shards merge; do
  k apply -f "$manifest" --selector "step=$step"
  k wait --for=condition=complete --timeout=24h "job/reuse-bench-$step"
done
echo "report: /shared/reports/merged/index.html on the reuse-bench-shared volume"
