#!/usr/bin/env bash
# Runs a reuse-bench suite on a Slurm cluster: pretrain once into a shared cache, then N shards
# as a job array, then merge them into one report. Each step waits for the previous one to succeed.
#
#   deploy/slurm/submit.sh SUITE SHARDS OUT_ROOT [CACHE_DIR]
#
# SUITE     built-in name (see `reuse-bench suites`) or a suite file on the shared file system
# SHARDS    how many array tasks (slices of the run matrix)
# OUT_ROOT  shared folder; shards go to OUT_ROOT/shard-I-of-N, the merged report to OUT_ROOT/merged
# CACHE_DIR shared checkpoint cache [default: OUT_ROOT/cache]
# REUSE_BENCH (environment) the binary [default: reuse-bench on the PATH]
set -euo pipefail

if [ $# -lt 3 ]; then
  sed -n '2,12p' "$0" >&2
  exit 2
fi
suite="$1"
shards="$2"
out_root="$3"
cache_dir="${4:-$out_root/cache}"
bin="${REUSE_BENCH:-$(command -v reuse-bench)}"
here="$(cd "$(dirname "$0")" && pwd)"
mkdir -p "$out_root" "$cache_dir"

export REUSE_BENCH="$bin" SUITE="$suite" OUT_ROOT="$out_root" CACHE_DIR="$cache_dir"

# Pretraining once keeps N shards from each training the same backbone.
pretrain=$(sbatch --parsable --job-name=reuse-bench-pretrain --cpus-per-task=2 --mem=8G \
  --export=ALL --output="$out_root/pretrain-%j.out" \
  --wrap="\"$bin\" pretrain --suite \"$suite\" --cache-dir \"$cache_dir\"")

array=$(sbatch --parsable --dependency="afterok:$pretrain" --array="1-$shards" \
  --export=ALL "$here/shard.sbatch")

shard_dirs=""
for i in $(seq 1 "$shards"); do shard_dirs="$shard_dirs \"$out_root/shard-$i-of-$shards\""; done
merge=$(sbatch --parsable --dependency="afterok:$array" --job-name=reuse-bench-merge --mem=4G \
  --export=ALL --output="$out_root/merge-%j.out" \
  --wrap="\"$bin\" merge $shard_dirs --out \"$out_root/merged\"")

echo "submitted: pretrain $pretrain, shards $array (1-$shards), merge $merge"
echo "the report will be in $out_root/merged/index.html"
