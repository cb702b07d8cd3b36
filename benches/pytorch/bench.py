"""bench.py — the PyTorch (CPU) side of reuse-bench's speed comparison.

Runs one of the five workloads that `reuse-bench bench` runs (src/speed/), with the same shapes,
inputs and optimiser settings, and prints one JSON line in the same form:

  {"impl": "pytorch", "version": ..., "workload": ..., "threads": ..., "samples_per_iter": ...,
   "iter_s": [...], "samples_per_s": ..., "peak_rss_bytes": ..., "import_rss_bytes": ...}

samples_per_s is samples_per_iter / median(iter_s); peak_rss_bytes is VmHWM at the end.
import_rss_bytes (PyTorch only) is VmHWM right after importing torch and numpy, before any model: with
PyPI's CUDA build of torch it is several hundred MiB of library pages, part of peak_rss_bytes.

Workloads:
  bert-step     one fine-tuning step of all-MiniLM-L6-v2 (train mode, dropout 0.1), mean pooling,
                Linear(384, 2), cross-entropy, AdamW(lr 1e-4, wd 0.01): 16 texts x 48 tokens
  bert-forward  one evaluation forward pass (eval, inference mode) of the same: 32 x 48 tokens
  cnn-epoch     validation accuracy (500), one epoch over 1,250 examples in shuffled batches of
                32 with AdamW(lr 1e-3, wd 1e-2), validation again: MNIST-1D-shaped CNN
  mlp-epoch     the same with Linear(40,256)-ReLU-Linear(256,256)-ReLU-Linear(256,5)
  mobilenet-step  one training step of torchvision's MobileNetV2 (10 classes, its own init, train
                mode) on 32 grey 28x28 images resized to 64x64 (bilinear), replicated to RGB and
                normalised for ImageNet, AdamW(lr 1e-3, wd 1e-2); needs torchvision (setup.sh)

The model and optimiser are built once; K untimed warm-up iterations, then N timed ones.

Usage (after `bash benches/pytorch/setup.sh`; compare.sh runs it for you):
  benches/pytorch/.venv/bin/python benches/pytorch/bench.py --workload bert-step \
      --threads 2 --iters 5 --warmup 1 [--model-dir data/all-MiniLM-L6-v2] [--verbose]
--verbose prints each iteration's loss (bert-step) or accuracies (epochs) to stderr.
--lockstep takes turns with another process (lockstep.py drives it), as `reuse-bench bench
--lockstep` does: after the warm-up it prints `ready`, then runs one timed iteration per `go` line
on stdin and prints `iter_s SECONDS`; `done` or the end of input ends the run (--iters is ignored).
"""

import argparse
import json
import os
import statistics
import sys
import time

# Offline: the model comes from a local folder, never from a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

WORKLOADS = ("bert-step", "bert-forward", "cnn-epoch", "mlp-epoch", "mobilenet-step")
TOKENS = 48
BERT_STEP_ROWS = 16
BERT_FORWARD_ROWS = 32
FEATURES = 40
CLASSES = 5
EPOCH_TRAIN = 1250
EPOCH_VAL = 500
EPOCH_BATCH = 32
IMAGE_SIDE = 28
IMAGE_SIZE = 64
IMAGE_CLASSES = 10


def log(verbose, msg):
    if verbose:
        print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- inputs (as src/speed/inputs.rs)


def token_id(i, j):
    """Row i holds 48 - (5i mod 24) real tokens, then padding (id 0)."""
    length = TOKENS - (i * 5 % 24)
    return 1000 + ((i * TOKENS + j) * 7919) % 29000 if j < length else 0


def token_batch(rows):
    ids = torch.tensor([[token_id(i, j) for j in range(TOKENS)] for i in range(rows)], dtype=torch.long)
    labels = torch.tensor([i % 2 for i in range(rows)], dtype=torch.long)
    return ids, labels


def epoch_data():
    """Normal features (numpy default_rng(0)) and cycling labels 0..5: training, then validation."""
    rng = np.random.default_rng(0)

    def part(n):
        x = torch.from_numpy(rng.standard_normal((n, FEATURES), dtype=np.float32))
        y = torch.arange(n, dtype=torch.long) % CLASSES
        return x, y

    return part(EPOCH_TRAIN), part(EPOCH_VAL)


def image_batch(rows):
    """Pixel (i, j) of image r is 0.5 + 0.5 sin(0.37 i + 0.23 j + r); labels r mod 10."""
    i = torch.arange(IMAGE_SIDE, dtype=torch.float32).view(1, IMAGE_SIDE, 1)
    j = torch.arange(IMAGE_SIDE, dtype=torch.float32).view(1, 1, IMAGE_SIDE)
    r = torch.arange(rows, dtype=torch.float32).view(rows, 1, 1)
    x = 0.5 + 0.5 * torch.sin(0.37 * i + 0.23 * j + r)
    return x.view(rows, 1, IMAGE_SIDE, IMAGE_SIDE), torch.arange(rows, dtype=torch.long) % IMAGE_CLASSES


# ---------------------------------------------------------------- models


class BertClassifier(nn.Module):
    """BertModel (no pooler), mean over non-padding tokens, Linear(hidden, 2)."""

    def __init__(self, model_dir):
        super().__init__()
        from transformers import BertModel
        from transformers.utils import logging as hf_logging

        hf_logging.set_verbosity_error()  # the checkpoint's unused pooler weights are expected
        hf_logging.disable_progress_bar()
        self.bert = BertModel.from_pretrained(
            model_dir, add_pooling_layer=False, local_files_only=True, dtype=torch.float32
        )
        self.head = nn.Linear(self.bert.config.hidden_size, 2)

    def forward(self, ids):
        mask = ids != 0
        token_type_ids = torch.zeros_like(ids)
        h = self.bert(input_ids=ids, attention_mask=mask.long(), token_type_ids=token_type_ids).last_hidden_state
        m = mask.unsqueeze(-1).to(h.dtype)
        pooled = (h * m).sum(dim=1) / m.sum(dim=1).clamp(min=1.0)
        return self.head(pooled)


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(1, 32, kernel_size=5, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(32, 32, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(32, 32, kernel_size=3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(32 * 5, CLASSES),
        )

    def forward(self, x):
        return self.net(x.unsqueeze(1))


def mlp():
    return nn.Sequential(
        nn.Linear(FEATURES, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, CLASSES)
    )


# ---------------------------------------------------------------- workloads


def bert_model(model_dir):
    if not os.path.isfile(os.path.join(model_dir, "config.json")) or not os.path.isfile(
        os.path.join(model_dir, "model.safetensors")
    ):
        sys.exit(
            f"bench.py: no all-MiniLM-L6-v2 in {model_dir} (config.json, model.safetensors); "
            "fetch it with: bash .ci/fetch-data.sh data"
        )
    return BertClassifier(model_dir)


def make_iteration(workload, model_dir, verbose):
    """Builds model, data and optimiser once; returns (samples per iteration, one iteration)."""
    loss_fn = nn.CrossEntropyLoss()

    if workload == "bert-step":
        model = bert_model(model_dir)
        model.train()  # dropout 0.1 on, as in config.json
        ids, labels = token_batch(BERT_STEP_ROWS)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)

        def step():
            loss = loss_fn(model(ids), labels)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            if verbose:
                log(verbose, f"loss {loss.item():.6f}")

        return BERT_STEP_ROWS, step

    if workload == "bert-forward":
        model = bert_model(model_dir)
        model.eval()
        ids, _ = token_batch(BERT_FORWARD_ROWS)

        def forward():
            with torch.inference_mode():
                model(ids)

        return BERT_FORWARD_ROWS, forward

    if workload == "mobilenet-step":
        import torch.nn.functional as F
        import torchvision

        model = torchvision.models.mobilenet_v2(num_classes=IMAGE_CLASSES)
        model.train()
        x, labels = image_batch(EPOCH_BATCH)
        mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
        std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)

        def image_step():
            # The input path is part of the step, as it is in reuse-bench's network.
            resized = F.interpolate(x, size=(IMAGE_SIZE, IMAGE_SIZE), mode="bilinear", align_corners=False)
            loss = loss_fn(model((resized.expand(-1, 3, -1, -1) - mean) / std), labels)
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
            log(verbose, f"loss {loss.item():.6f}")

        return EPOCH_BATCH, image_step

    model = Cnn() if workload == "cnn-epoch" else mlp()
    (train_x, train_y), (val_x, val_y) = epoch_data()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
    shuffle = torch.Generator().manual_seed(0)

    def accuracy():
        model.eval()
        with torch.no_grad():
            return (model(val_x).argmax(dim=1) == val_y).float().mean().item()

    def epoch():
        before = accuracy()
        model.train()
        order = torch.randperm(EPOCH_TRAIN, generator=shuffle)
        for start in range(0, EPOCH_TRAIN, EPOCH_BATCH):  # 40 steps, the last of 2 examples
            idx = order[start : start + EPOCH_BATCH]
            loss = loss_fn(model(train_x[idx]), train_y[idx])
            loss.backward()
            opt.step()
            opt.zero_grad(set_to_none=True)
        after = accuracy()
        if verbose:
            log(verbose, f"val accuracy {before:.4f} -> {after:.4f}, last batch loss {loss.item():.6f}")

    return EPOCH_TRAIN, epoch


def peak_rss_bytes():
    """VmHWM of this process, in bytes (0 where /proc is absent)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def turn(iter_s):
    """One turn of --lockstep: report the last iteration (or `ready`), then wait for `go` or `done`."""
    print(f"iter_s {iter_s[-1]}" if iter_s else "ready", flush=True)
    line = sys.stdin.readline()
    if line == "":  # the end of input
        return False
    if line.strip() not in ("go", "done"):
        sys.exit(f"bench.py: --lockstep: expected `go` or `done` on stdin, got `{line.strip()}`")
    return line.strip() == "go"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--workload", required=True, choices=WORKLOADS)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--iters", type=int, default=5, help="timed iterations (their median is the figure)")
    p.add_argument("--warmup", type=int, default=1, help="untimed iterations first")
    p.add_argument("--model-dir", default="data/all-MiniLM-L6-v2")
    p.add_argument("--verbose", action="store_true", help="losses/accuracies to stderr")
    p.add_argument("--lockstep", action="store_true", help="one timed iteration per `go` on stdin")
    a = p.parse_args()
    if a.threads < 1 or a.iters < 1 or a.warmup < 0:
        p.error("--threads and --iters must be >= 1, --warmup >= 0")

    import_rss = peak_rss_bytes()  # what `import torch` (the CUDA build's libraries) costs alone
    # Before any parallel work starts (set_num_interop_threads fails after it).
    torch.set_num_interop_threads(1)
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)

    samples, iteration = make_iteration(a.workload, a.model_dir, a.verbose)
    for _ in range(a.warmup):
        iteration()
    iter_s = []
    while turn(iter_s) if a.lockstep else len(iter_s) < a.iters:
        t0 = time.perf_counter()
        iteration()
        iter_s.append(time.perf_counter() - t0)
    if not iter_s:
        sys.exit("bench.py: --lockstep: told to stop before any timed iteration ran; send `go` at least once")

    print(
        json.dumps(
            {
                "impl": "pytorch",
                "version": torch.__version__,
                "workload": a.workload,
                "threads": a.threads,
                "samples_per_iter": samples,
                "iter_s": iter_s,
                "samples_per_s": samples / statistics.median(iter_s),
                "peak_rss_bytes": peak_rss_bytes(),
                "import_rss_bytes": import_rss,
            }
        ),
        flush=True,
    )


if __name__ == "__main__":
    main()
