#!/usr/bin/env bash
# setup.sh — builds the Python environment for the PyTorch side of the speed comparison
# (bench.py, compare.sh, table.py in this folder): a virtual environment at
# benches/pytorch/.venv with PyTorch 2.x (used on CPU only), transformers, safetensors, numpy.
#
# Usage: bash benches/pytorch/setup.sh        (from anywhere; idempotent, re-running is cheap)
# Env:   PYTHON=python3.11   interpreter for the venv (default python3, needs >= 3.10)
#        TORCH_VERSION=...   PyTorch version (default below); others pinned below too
#        FORCE=1             reinstall even if the venv already checks out
#
# How PyTorch is installed: first from the CPU-only wheel index (download.pytorch.org/whl/cpu),
# which is small. Where that host cannot be reached, from PyPI. PyPI's Linux torch wheel is the
# CUDA build: its libtorch_cuda.so is linked against the CUDA libraries (cuBLAS, cuDNN, NCCL...),
# so `pip install --no-deps torch` does not import ("libcudart.so.13: cannot open shared object
# file"); those nvidia-* wheels must be installed too (a few GB on disk), though nothing here
# ever runs on a GPU. Only triton (the GPU kernel compiler for torch.compile, never imported by
# bench.py) and cuda-bindings (Python bindings, imported lazily) are left out.
# PyTorch is never a build or test dependency of reuse-bench itself.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
PYTHON="${PYTHON:-python3}"
TORCH_VERSION="${TORCH_VERSION:-2.15.0}"
TRANSFORMERS_VERSION="${TRANSFORMERS_VERSION:-5.24.0}"
SAFETENSORS_VERSION="${SAFETENSORS_VERSION:-0.8.0}"
NUMPY_VERSION="${NUMPY_VERSION:-2.4.6}"
TORCHVISION_VERSION="${TORCHVISION_VERSION:-0.29.2}"
CPU_INDEX="https://download.pytorch.org/whl/cpu"

py="$venv/bin/python"
pip() { "$py" -m pip --disable-pip-version-check "$@"; }

# The check that decides "already set up": the four packages import, torch is the wanted
# version, and a matrix product runs on the CPU.
check() {
  "$py" - "$TORCH_VERSION" <<'EOF'
import sys
import numpy, safetensors, transformers, torch, torchvision
want = sys.argv[1]
have = torch.__version__.split("+")[0]
if have != want:
    sys.exit(f"torch {have} installed, {want} wanted")
x = torch.ones(4, 4)
assert float((x @ x).sum()) == 64.0
print(f"ok: torch {torch.__version__}, transformers {transformers.__version__}, "
      f"safetensors {safetensors.__version__}, numpy {numpy.__version__}")
EOF
}

if [ -x "$py" ] && [ "${FORCE:-0}" != 1 ] && check 2>/dev/null; then
  echo "setup.sh: $venv is already set up"
  exit 0
fi

if [ ! -x "$py" ]; then
  "$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 10) else "Python >= 3.10 is needed")'
  echo "setup.sh: creating $venv with $("$PYTHON" --version)"
  "$PYTHON" -m venv "$venv"
fi
pip install --quiet --upgrade pip "setuptools>=77.0.3" wheel packaging

# 1. The CPU-only build, if its index answers (quick failure otherwise: no retries).
if pip install --quiet --retries 0 --timeout 20 --index-url "$CPU_INDEX" \
     "torch==$TORCH_VERSION" 2>/dev/null; then
  echo "setup.sh: torch $TORCH_VERSION installed from the CPU-only index"
else
  # 2. PyPI: torch without its dependencies, then every runtime dependency it declares except
  #    triton and cuda-bindings (read from the wheel's own metadata, so this follows versions).
  echo "setup.sh: CPU-only index not reachable; installing torch $TORCH_VERSION from PyPI" \
       "(with the CUDA libraries it links against; a few GB)"
  pip install --quiet --no-deps "torch==$TORCH_VERSION"
  mapfile -t deps < <("$py" - <<'EOF'
import re
from importlib.metadata import requires
from packaging.requirements import Requirement
for spec in requires("torch") or []:
    req = Requirement(spec)
    if req.marker is not None and not req.marker.evaluate({"extra": ""}):
        continue  # an extra, or another platform
    if req.name in ("triton", "cuda-bindings"):
        continue  # GPU compiler / bindings, not needed to run on the CPU
    req.marker = None
    print(str(req))
EOF
)
  echo "setup.sh: (pip may warn that torch requires triton and cuda-bindings: expected, they are left out)"
  pip install --quiet "${deps[@]}"
fi

pip install --quiet "transformers==$TRANSFORMERS_VERSION" "safetensors==$SAFETENSORS_VERSION" \
  "numpy==$NUMPY_VERSION"
# torchvision (MobileNetV2 for the mobilenet-step workload, and tests/data/mobilenet_v2_reference.py):
# --no-deps, so that it never replaces the torch installed above; pillow is its one other need.
pip install --quiet --no-deps "torchvision==$TORCHVISION_VERSION"
pip install --quiet pillow

check
echo "setup.sh: venv ready at $venv ($(du -sh "$venv" | cut -f1))"
