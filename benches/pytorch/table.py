"""table.py — turns the JSON lines of a compare.sh run into a Markdown table (run by compare.sh).

Usage: python table.py RUN.jsonl [--reuse-bench-version TEXT]

Each line is one process's result, from `reuse-bench bench --json` ("impl": "reuse-bench") or
bench.py ("impl": "pytorch"), or the summary of a lockstep.py run ("lockstep": workload). Per
workload and implementation: samples/s is the median over rounds of each round's figure (itself
samples_per_iter / median iteration time); peak RSS is the largest VmHWM over rounds. The ratio is
reuse-bench / PyTorch samples/s: above 1, reuse-bench is faster. Where a lockstep summary exists
for the workload (compare.sh --lockstep), the ratio is its median over pairs of neighbouring
iterations instead, with its 95% confidence interval. Standard library only.
"""

import argparse
import datetime
import json
import os
import statistics
import sys

ORDER = ("bert-step", "bert-forward", "cnn-epoch", "mlp-epoch")
MIB = 1 << 20


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "unknown CPU"


def main():
    p = argparse.ArgumentParser(description="Markdown table of a compare.sh run")
    p.add_argument("jsonl")
    p.add_argument("--reuse-bench-version", default="?")
    a = p.parse_args()

    runs = {}  # (workload, impl) -> [result, ...]
    lockstep = {}  # workload -> lockstep.py summary (reuse-bench as B, PyTorch as A)
    with open(a.jsonl) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
                if "lockstep" in r:
                    if r["a"] != "pytorch" or r["b"] == "pytorch":
                        sys.exit(f"table.py: {a.jsonl}:{n}: a lockstep run of {r['a']} against {r['b']}, "
                                 "not PyTorch (A) against reuse-bench (B)")
                    lockstep[r["lockstep"]] = r
                else:
                    runs.setdefault((r["workload"], r["impl"]), []).append(r)
            except (ValueError, KeyError) as e:
                sys.exit(f"table.py: {a.jsonl}:{n}: not a benchmark result ({e})")
    if not runs:
        sys.exit(f"table.py: no results in {a.jsonl}")

    torch_versions = sorted({r["version"] for (_, i), rs in runs.items() if i == "pytorch" for r in rs})
    rounds = max(len(rs) for rs in runs.values())
    kernels = sorted({r.get("kernels") for (_, i), rs in runs.items() if i == "reuse-bench" for r in rs} - {None, ""})
    pairs = ", ".join("%s %d pairs" % (w, r["pairs"]) for w, r in lockstep.items())
    how = f"lockstep: {pairs}" if lockstep else f"{rounds} round(s)"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"Machine: {cpu_model()}, {os.cpu_count()} cores; "
        f"{datetime.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}; "
        f"PyTorch {', '.join(torch_versions) or '-'} (CPU); {a.reuse_bench_version}"
        f"{' (kernels ' + ', '.join(kernels) + ')' if kernels else ''}; "
        f"{how}, load average {load:.2f} at the end"
    )
    print()
    print(
        "| workload | threads | reuse-bench samples/s | PyTorch samples/s | ratio (reuse-bench/PyTorch) "
        "| reuse-bench peak RSS (MiB) | PyTorch peak RSS (MiB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")

    workloads = sorted({w for w, _ in runs}, key=lambda w: (ORDER.index(w) if w in ORDER else len(ORDER), w))
    import_rss = []
    for w in workloads:
        rb, pt = runs.get((w, "reuse-bench"), []), runs.get((w, "pytorch"), [])
        threads = sorted({r["threads"] for r in rb + pt})

        def speed(rs):
            return statistics.median(r["samples_per_s"] for r in rs) if rs else None

        def rss(rs):
            return max(r["peak_rss_bytes"] for r in rs) / MIB if rs else None

        s_rb, s_pt = speed(rb), speed(pt)
        ratio = f"{s_rb / s_pt:.2f}" if s_rb and s_pt else "-"
        if w in lockstep:
            ls = lockstep[w]
            lo, hi = ls["ratio_ci95"]
            ratio = f"**{ls['ratio_b_over_a']:.2f}** ({lo:.2f}-{hi:.2f})"
        fmt = lambda x, d: "-" if x is None else f"{x:,.{d}f}"  # noqa: E731
        print(
            f"| {w} | {'/'.join(map(str, threads))} | {fmt(s_rb, 1)} | {fmt(s_pt, 1)} | {ratio} "
            f"| {fmt(rss(rb), 0)} | {fmt(rss(pt), 0)} |"
        )
        import_rss += [r["import_rss_bytes"] for r in pt if "import_rss_bytes" in r]
    if lockstep:
        print()
        print(
            "Ratios: the median over pairs of neighbouring iterations, the two processes taking turns "
            "(lockstep.py), with its 95% confidence interval; samples/s: each process's median iteration."
        )
    if import_rss:
        print()
        print(
            f"PyTorch's peak RSS includes about {statistics.median(import_rss) / MIB:,.0f} MiB that "
            "`import torch` alone takes (PyPI's CUDA build, its libraries mapped; no GPU is used)."
        )


if __name__ == "__main__":
    main()
