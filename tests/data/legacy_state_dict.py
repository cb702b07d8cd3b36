"""Writes legacy_state_dict.pth: a small state dict in PyTorch's legacy (pre-zip)
format, with a non-contiguous view and two tensors sharing one storage, for
src/model/pth.rs's tests. Run with PyTorch (e.g. benches/pytorch/.venv) from the
repository root: python tests/data/legacy_state_dict.py"""
import collections

import torch

sd = collections.OrderedDict()
sd["features.0.0.weight"] = torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) / 10
sd["features.0.1.running_mean"] = torch.tensor([0.5, -1.25])
sd["features.0.1.num_batches_tracked"] = torch.tensor(7)
base = torch.arange(12, dtype=torch.float32)
sd["classifier.1.weight"] = base.reshape(3, 4).t()  # a non-contiguous view
sd["classifier.1.bias"] = base[4:7]  # an offset into the same storage
torch.save(sd, "tests/data/legacy_state_dict.pth", _use_new_zipfile_serialization=False)
