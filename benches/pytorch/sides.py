"""sides.py — what rotate.py and lockstep.py share: the workloads, how to start either side of a
comparison (PyTorch's bench.py in the venv, or a reuse-bench binary), and the environment that
holds both sides to AVX2. Standard library only."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = os.path.join(HERE, ".venv", "bin", "python")
WORKLOADS = ["bert-step", "bert-forward", "cnn-epoch", "mlp-epoch", "mobilenet-step"]
# A CPU without AVX-512, emulated: our kernels, ATen, oneDNN and MKL each capped at AVX2.
AVX2_ENV = {
    "REUSE_BENCH_SIMD": "avx2",
    "ATEN_CPU_CAPABILITY": "avx2",
    "ONEDNN_MAX_CPU_ISA": "AVX2",
    "MKL_ENABLE_INSTRUCTIONS": "AVX2",
}


def check(prog, sides):
    """Exits with the fix when a side cannot start: no venv for `pytorch`, or no binary."""
    if "pytorch" in sides and not os.access(PYTHON, os.X_OK):
        sys.exit(f"{prog}: no venv at benches/pytorch/.venv: run benches/pytorch/setup.sh first")
    for side in sides:
        if side != "pytorch" and not os.access(side, os.X_OK):
            sys.exit(f"{prog}: {side} is not an executable (cargo build --release)")


def defaults(workload):
    """(threads, warm-up iterations) as compare.sh uses them: epochs on one thread, the rest on two."""
    return (1, 2) if workload.endswith("-epoch") else (2, 3)


def command(side, args):
    """The command that runs `side` (`pytorch` or a reuse-bench binary) with bench arguments `args`."""
    if side == "pytorch":
        return [PYTHON, os.path.join(HERE, "bench.py")] + args
    return [side, "bench", "--json"] + args
