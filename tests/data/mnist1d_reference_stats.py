"""Statistics of the reference MNIST-1D generator, for tests/data/mnist1d_reference_stats.json.

The Rust generator (src/data/mnist1d.rs) reimplements the published procedure;
its test compares its samples with these statistics. Regenerate with:

    python3 -m venv /tmp/m1d && /tmp/m1d/bin/pip install numpy scipy matplotlib requests mnist1d==0.0.2.post1
    /tmp/m1d/bin/python tests/data/mnist1d_reference_stats.py > tests/data/mnist1d_reference_stats.json

mnist1d (Greydanus 2020, Apache-2.0) is the reference implementation on PyPI.
"""
import json

import numpy as np
from mnist1d.data import get_dataset_args, make_dataset

args = get_dataset_args()
args.num_samples = 20000  # 2,000 per class: per-position means good to about +-0.03
args.seed = 42
data = make_dataset(args)
xs = np.concatenate([data["x"], data["x_test"]])
ys = np.concatenate([data["y"], data["y_test"]])

# The raw scale before standardisation: undo it from the returned t-scaling is not
# possible, so regenerate the raw signals with the same transform and no standardisation.
import mnist1d.data as d
from mnist1d.transform import transform
from mnist1d.utils import set_seed

templates = d.get_templates()
set_seed(args.seed)
raw = []
for label in range(10):
    for _ in range(args.num_samples // 10):
        x, _t = transform(templates["x"][label], templates["t"], args)
        raw.append(x)
raw = np.stack(raw)

print(json.dumps({
    "source": "mnist1d 0.0.2.post1 make_dataset, default args, num_samples=20000, seed=42",
    "samples_per_class": args.num_samples // 10,
    "raw_mean": float(raw.mean()),
    "raw_std": float(raw.std()),
    "class_mean": [xs[ys == c].mean(0).round(4).tolist() for c in range(10)],
    "class_std": [float(xs[ys == c].std(0).mean().round(4)) for c in range(10)],
}, indent=1))
