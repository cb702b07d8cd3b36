#!/usr/bin/env python3
"""Times two implementations of one workload in lockstep: both run as live processes, model
built and warmed up, and take turns one iteration at a time; the speed ratio is the median over
pairs of neighbouring iterations, with a 95% confidence interval.

Why beside compare.sh and rotate.py: on a machine whose speed drifts by 2x within a minute,
processes that run one after the other (a compare.sh round, some seconds each) see different
speeds, and their ratios scatter from 0.6 to 1.5. Two iterations a fraction of a second apart see
nearly the same machine, so the per-pair ratios are tight and a few dozen pairs settle the median.

Usage (from the repository root, after benches/pytorch/setup.sh):
  benches/pytorch/lockstep.py [--pairs N] [--threads T] [--warmup K] [--gap-s S] [--avx2]
                              [--model-dir DIR] [--out FILE] WORKLOAD [A B]

  WORKLOAD   bert-step, bert-forward, cnn-epoch, mlp-epoch or mobilenet-step
  A, B       `pytorch`, or the path of a reuse-bench binary (default: pytorch and
             target/release/reuse-bench); the ratio is B's speed over A's
  --pairs    pairs of iterations (default 40); A goes first in even pairs, B in odd ones
  --threads  compute threads of each side (default: 2 for bert-* and mobilenet-step, else 1)
  --warmup   untimed iterations of each side before the first pair (default: 3, epochs 2)
  --gap-s    pause before each turn (default 0.1 s), so that the other side's worker threads,
             which may spin for some milliseconds after their work, are idle when a turn starts
  --avx2     emulate a CPU without AVX-512 on both sides (as rotate.py --avx2)
  --out      where both processes' final JSON lines and a summary line go (default
             benches/pytorch/last-lockstep.jsonl)

Both processes stay resident (their peak RSS is each one's own, in the JSON lines); while one
computes, the other waits on a pipe. Run nothing else meanwhile.
"""

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import time

from sides import AVX2_ENV, HERE, WORKLOADS, check, command, defaults

ROOT = os.path.dirname(os.path.dirname(HERE))


class Side:
    """One live benchmark process, driven over its stdin and stdout."""

    def __init__(self, name, cmd, env):
        self.name, self.cmd = name, cmd
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
        self.iter_s = []
        self.expect("ready")

    def fail(self, what):
        self.proc.kill()
        sys.exit(f"lockstep.py: {self.name} ({' '.join(self.cmd)}) {what}; its stderr is above")

    def expect(self, word):
        line = self.proc.stdout.readline()
        if not line.startswith(word):
            self.fail(f"said {line.strip()!r} where {word!r} was due")
        return line

    def turn(self):
        """Runs one timed iteration and returns its seconds."""
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()
        seconds = float(self.expect("iter_s ").split()[1])
        self.iter_s.append(seconds)
        return seconds

    def finish(self):
        """Ends the run and returns the process's final JSON result."""
        out, _ = self.proc.communicate("done\n")
        lines = [line for line in out.splitlines() if line.startswith("{")]
        if self.proc.returncode != 0 or not lines:
            self.fail(f"ended with status {self.proc.returncode} and no result")
        return json.loads(lines[-1])


def median_interval(values, z=1.96):
    """The distribution-free ~95% confidence interval of the median: order statistics around n/2."""
    v, n = sorted(values), len(values)
    half = z * math.sqrt(n) / 2
    lo, hi = max(0, math.floor(n / 2 - half)), min(n - 1, math.ceil(n / 2 + half) - 1)
    return v[lo], v[hi]


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("workload", choices=WORKLOADS)
    p.add_argument("sides", nargs="*", metavar="SIDE", help="A and B: pytorch or a reuse-bench binary")
    p.add_argument("--pairs", type=int, default=40)
    p.add_argument("--threads", type=int, help="default: 2 for bert-* and mobilenet-step, else 1")
    p.add_argument("--warmup", type=int, help="default: 3, or 2 for the *-epoch workloads")
    p.add_argument("--gap-s", type=float, default=0.1)
    p.add_argument("--avx2", action="store_true", help="emulate an AVX2 CPU on both sides")
    p.add_argument("--model-dir", default=os.path.join(ROOT, "data", "all-MiniLM-L6-v2"))
    p.add_argument("--out", default=os.path.join(HERE, "last-lockstep.jsonl"))
    a = p.parse_args()
    sides = a.sides or ["pytorch", os.path.join(ROOT, "target", "release", "reuse-bench")]
    if len(sides) != 2:
        p.error(f"give two sides (A B), or none for pytorch and target/release/reuse-bench; got {len(sides)}")
    if a.pairs < 1 or (a.threads is not None and a.threads < 1) or a.gap_s < 0:
        p.error("--pairs and --threads must be at least 1, --gap-s at least 0")
    check("lockstep.py", sides)
    default_threads, default_warmup = defaults(a.workload)
    threads = a.threads or default_threads
    warmup = a.warmup if a.warmup is not None else default_warmup
    common = ["--workload", a.workload, "--threads", str(threads), "--warmup", str(warmup),
              "--model-dir", a.model_dir, "--lockstep"]
    env = dict(os.environ, **(AVX2_ENV if a.avx2 else {}))
    names = [f"A ({s})" if i == 0 else f"B ({s})" for i, s in enumerate(sides)]
    live = []
    for name, side in zip(names, sides):
        live.append(Side(name, command(side, common), env))
    print(f"{a.workload}, {threads} thread(s){', AVX2 emulated' if a.avx2 else ''}: "
          f"{a.pairs} pairs, {warmup} warm-up iterations each, {a.gap_s} s between turns", file=sys.stderr)

    ratios = []
    for i in range(a.pairs):
        order = live if i % 2 == 0 else live[::-1]
        for side in order:
            time.sleep(a.gap_s)
            side.turn()
        ratios.append(live[0].iter_s[-1] / live[1].iter_s[-1])
        if (i + 1) % 10 == 0 or i + 1 == a.pairs:
            print(f"  {i + 1} pairs: median ratio B/A so far {statistics.median(ratios):.3f}", file=sys.stderr)
    results = [side.finish() for side in live]

    lo, hi = median_interval(ratios)
    q = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else [ratios[0]] * 3
    summary = {
        "lockstep": a.workload,
        "threads": threads,
        "avx2_emulated": a.avx2,
        "a": sides[0],
        "b": sides[1],
        "pairs": a.pairs,
        "ratio_b_over_a": statistics.median(ratios),
        "ratio_ci95": [lo, hi],
        "ratio_quartiles": [q[0], q[2]],
        "b_faster_pairs": sum(r > 1 for r in ratios),
        "pair_ratios": ratios,
    }
    with open(a.out, "w") as f:
        for line in results + [summary]:
            f.write(json.dumps(line) + "\n")

    mib = 1 << 20
    for name, r in zip(names, results):
        print(f"{name}: median {r['samples_per_s']:.1f} samples/s over {len(r['iter_s'])} iterations, "
              f"peak RSS {r['peak_rss_bytes'] / mib:,.0f} MiB")
    print(f"B/A speed: median {summary['ratio_b_over_a']:.3f} over {a.pairs} pairs, 95% CI {lo:.3f}-{hi:.3f}, "
          f"quartiles {q[0]:.3f}-{q[2]:.3f}; B faster in {summary['b_faster_pairs']} of {a.pairs} pairs")
    print(f"lockstep.py: JSON lines in {a.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
