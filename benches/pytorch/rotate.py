#!/usr/bin/env python3
"""Rotates several reuse-bench binaries and PyTorch on one workload, round after round, and
prints each round's samples/s and every binary's per-round ratio to PyTorch (and, with two
binaries, the second's to the first's).

Why beside compare.sh: to tell whether a change to reuse-bench is faster on a machine whose
speed drifts by 2x within minutes, the two builds must run in the same rounds as PyTorch,
each round a few seconds apart; the per-round ratios then cancel most of the drift.

Usage (from the repository root, after benches/pytorch/setup.sh):
  benches/pytorch/rotate.py [--avx2] [--rounds N] [--threads T] WORKLOAD BINARY [BINARY...]

  WORKLOAD   bert-step, bert-forward, cnn-epoch, mlp-epoch or mobilenet-step
  BINARY     reuse-bench executables (say target/release/reuse-bench and an older build)
  --avx2     emulate a CPU without AVX-512: REUSE_BENCH_SIMD=avx2 for reuse-bench and
             ATEN_CPU_CAPABILITY=avx2 ONEDNN_MAX_CPU_ISA=AVX2 MKL_ENABLE_INSTRUCTIONS=AVX2 for
             PyTorch (pair it with a --no-default-features build, whose candle products
             use AVX2 too)
Each round starts with the next side in turn. Each process runs 10 timed iterations after 3
untimed ones (2 for the *-epoch workloads), as compare.sh does; the figure per process is its
samples/s. Run nothing else meanwhile.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from sides import AVX2_ENV, WORKLOADS, check, command, defaults


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workload", choices=WORKLOADS)
    parser.add_argument("binaries", nargs="+", metavar="BINARY")
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--threads", type=int, help="default: 2 for bert-* and mobilenet-step, else 1")
    parser.add_argument("--avx2", action="store_true", help="emulate an AVX2 CPU on both sides")
    parser.add_argument("--model-dir", default="data/all-MiniLM-L6-v2")
    args = parser.parse_args()
    check("rotate.py", args.binaries + ["pytorch"])
    default_threads, warmup = defaults(args.workload)
    threads = str(args.threads or default_threads)
    common = ["--workload", args.workload, "--threads", threads, "--iters", "10",
              "--warmup", str(warmup), "--model-dir", args.model_dir]
    env = dict(os.environ, **(AVX2_ENV if args.avx2 else {}))
    sides = list(args.binaries) + ["pytorch"]
    names = {s: (s if s == "pytorch" else f"[{i + 1}] {s}") for i, s in enumerate(sides)}
    samples = {s: [] for s in sides}
    for r in range(args.rounds):
        turn = sides[r % len(sides):] + sides[:r % len(sides)]
        for side in turn:
            cmd = command(side, common)
            done = subprocess.run(cmd, capture_output=True, text=True, env=env)
            lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
            if done.returncode != 0 or not lines:
                sys.exit(f"rotate.py: {' '.join(cmd)} failed:\n{done.stderr[-2000:]}")
            samples[side].append(json.loads(lines[-1])["samples_per_s"])
        print(f"round {r + 1}: " + ", ".join(f"{names[s]} {samples[s][-1]:.1f}" for s in sides), flush=True)
    print(f"\n{args.workload}, {threads} thread(s), {args.rounds} rounds{', AVX2 emulated' if args.avx2 else ''}")
    print(f"pytorch: median {statistics.median(samples['pytorch']):.1f} samples/s")
    for side in args.binaries:
        ratios = [a / b for a, b in zip(samples[side], samples["pytorch"])]
        print(f"{names[side]}: median {statistics.median(samples[side]):.1f} samples/s; ratio to PyTorch "
              f"median {statistics.median(ratios):.2f} (rounds {' / '.join(f'{x:.2f}' for x in ratios)})")
    if len(args.binaries) == 2:
        first, second = args.binaries
        ratios = [a / b for a, b in zip(samples[second], samples[first])]
        print(f"[2] / [1]: median {statistics.median(ratios):.3f} (rounds {' / '.join(f'{x:.2f}' for x in ratios)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
