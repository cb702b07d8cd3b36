#!/usr/bin/env bash
# compare.sh — times reuse-bench (candle) and PyTorch side by side on this machine, on the same
# four workloads (see bench.py), and prints a Markdown table of samples/s and peak RSS.
#
# Usage: benches/pytorch/compare.sh [--reuse-bench PATH] [ROUNDS] [WORKLOADS...]
#        benches/pytorch/compare.sh --lockstep [--reuse-bench PATH] [PAIRS] [WORKLOADS...]
#   ROUNDS     rounds per workload (default 3); each round runs both sides once, each in its own
#              process (so peak RSS is per workload), the side that goes first alternating
#   --lockstep keep both sides' processes live and let them take turns, one iteration each
#              (lockstep.py), PAIRS pairs per workload (default 40): the ratio is the median over
#              pairs of neighbouring iterations, with a 95% confidence interval. On a machine whose
#              speed drifts (a shared VM) this is the figure to quote: rounds of separate processes
#              scatter by 0.2-0.7 in ratio there, lockstep pairs by a few hundredths
#   WORKLOADS  any of bert-step bert-forward cnn-epoch mlp-epoch mobilenet-step (default the first four;
#              mobilenet-step needs torchvision in the venv: setup.sh installs it)
# Env:
#   REUSE_BENCH=PATH   the reuse-bench binary (default target/release/reuse-bench; build it with
#                      cargo build --release); --reuse-bench PATH does the same
#   THREADS=N          compute threads for every workload (default: bert-* 2, *-epoch 1)
#   ITERS=N WARMUP=K   timed / untimed iterations for every workload (default: bert-* 10 + 3,
#                      *-epoch 10 + 2); with --lockstep, PAIRS takes the place of ITERS
#   MODEL_DIR=DIR      all-MiniLM-L6-v2 (default data/all-MiniLM-L6-v2; bash .ci/fetch-data.sh data)
#   OUT=FILE           where the JSON lines go (default benches/pytorch/last-run.jsonl); each
#                      process's stderr goes to FILE with .log instead of .jsonl
# Needs: bash benches/pytorch/setup.sh first (the venv at benches/pytorch/.venv).
# The figures are only as good as the machine is quiet: run nothing else meanwhile.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

die() { echo "compare.sh: $*" >&2; exit 1; }
usage() { sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; }

reuse_bench="${REUSE_BENCH:-target/release/reuse-bench}"
lockstep=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --lockstep) lockstep=1; shift ;;
    --reuse-bench) [ $# -ge 2 ] || die "--reuse-bench needs a path"; reuse_bench="$2"; shift 2 ;;
    --reuse-bench=*) reuse_bench="${1#*=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
set -- ${args[@]+"${args[@]}"}

rounds=3
[ "$lockstep" = 0 ] || rounds=40
if [ $# -gt 0 ] && [[ "$1" =~ ^[0-9]+$ ]]; then rounds="$1"; shift; fi
[ "$rounds" -ge 1 ] || die "ROUNDS (or PAIRS) must be at least 1"
workloads=("$@")
[ ${#workloads[@]} -gt 0 ] || workloads=(bert-step bert-forward cnn-epoch mlp-epoch)
needs_model=0
for w in "${workloads[@]}"; do
  case "$w" in
    bert-step|bert-forward) needs_model=1 ;;
    cnn-epoch|mlp-epoch|mobilenet-step) ;;
    *) die "unknown workload '$w' (bert-step, bert-forward, cnn-epoch, mlp-epoch, mobilenet-step)" ;;
  esac
done

py="$here/.venv/bin/python"
[ -x "$py" ] && "$py" -c 'import torch, transformers, safetensors, numpy' 2>/dev/null \
  || die "no working PyTorch venv at $here/.venv: run benches/pytorch/setup.sh first"
model_dir="${MODEL_DIR:-data/all-MiniLM-L6-v2}"
if [ "$needs_model" = 1 ] && { [ ! -f "$model_dir/config.json" ] || [ ! -f "$model_dir/model.safetensors" ]; }; then
  die "no all-MiniLM-L6-v2 in $model_dir (config.json, model.safetensors): bash .ci/fetch-data.sh data"
fi
[ -x "$reuse_bench" ] || die "no reuse-bench binary at $reuse_bench: cargo build --release (or set REUSE_BENCH=PATH)"
rb_version="$("$reuse_bench" --version 2>/dev/null | head -n1)" || die "$reuse_bench --version failed"

out="${OUT:-$here/last-run.jsonl}"
log="${out%.jsonl}.log"
[ "$log" != "$out" ] || log="$out.log"
: > "$out"
: > "$log"

# run SIDE WORKLOAD THREADS ITERS WARMUP: one process, its JSON line appended to $out.
run() {
  local side="$1" w="$2" t="$3" n="$4" k="$5" cmd stdout line
  if [ "$side" = reuse-bench ]; then
    cmd=("$reuse_bench" bench --workload "$w" --threads "$t" --iters "$n" --warmup "$k" --model-dir "$model_dir" --json)
  else
    cmd=("$py" "$here/bench.py" --workload "$w" --threads "$t" --iters "$n" --warmup "$k" --model-dir "$model_dir")
  fi
  echo "== ${cmd[*]}" >> "$log"
  if ! stdout="$("${cmd[@]}" 2>>"$log")"; then
    tail -n 15 "$log" >&2
    die "$side failed on $w (command: ${cmd[*]}; its stderr is in $log)"
  fi
  line="$(printf '%s\n' "$stdout" | grep '^{' | tail -n 1)" || true
  [ -n "$line" ] || die "$side printed no JSON line on $w (stdout: $(printf '%s' "$stdout" | head -c 300))"
  printf '%s\n' "$line" >> "$out"
  "$py" -c 'import json, sys; r = json.loads(sys.argv[1])
print("  %-12s %12.1f samples/s  peak RSS %5.0f MiB" % (r["impl"], r["samples_per_s"], r["peak_rss_bytes"] / 2**20))' "$line" >&2
}

# lockstep_run WORKLOAD THREADS WARMUP: lockstep.py's lines (both results, its summary) onto $out.
lockstep_run() {
  local w="$1" t="$2" k="$3" part="$out.part"
  local cmd=("$py" "$here/lockstep.py" --pairs "$rounds" --threads "$t" --warmup "$k"
             --model-dir "$model_dir" --out "$part" "$w" pytorch "$reuse_bench")
  echo "== ${cmd[*]}" >> "$log"
  if ! "${cmd[@]}" >&2 2>>"$log"; then
    tail -n 15 "$log" >&2
    die "lockstep.py failed on $w (command: ${cmd[*]}; its stderr is in $log)"
  fi
  cat "$part" >> "$out" && rm -f "$part"
}

for w in "${workloads[@]}"; do
  case "$w" in
    bert-*|mobilenet-step) t="${THREADS:-2}"; n="${ITERS:-10}"; k="${WARMUP:-3}" ;;
    *) t="${THREADS:-1}"; n="${ITERS:-10}"; k="${WARMUP:-2}" ;;
  esac
  if [ "$lockstep" = 1 ]; then
    echo "$w, $rounds lockstep pairs, $t thread(s), $k warm-up iterations each" >&2
    lockstep_run "$w" "$t" "$k"
    continue
  fi
  for ((r = 1; r <= rounds; r++)); do
    echo "$w, round $r/$rounds, $t thread(s), $n iterations + $k warm-up" >&2
    if (( r % 2 == 1 )); then
      run reuse-bench "$w" "$t" "$n" "$k"; run pytorch "$w" "$t" "$n" "$k"
    else
      run pytorch "$w" "$t" "$n" "$k"; run reuse-bench "$w" "$t" "$n" "$k"
    fi
  done
done

echo >&2
"$py" "$here/table.py" "$out" --reuse-bench-version "$rb_version"
echo >&2
echo "compare.sh: JSON lines in $out, stderr of each process in $log" >&2
