"""scratch_batchnorm.py — the evidence behind the README's note on MobileNetV2 from scratch.

Trains torchvision's MobileNetV2 (its own initialisation, PyTorch's BatchNorm, momentum 0.1) from
scratch on Animal-MNIST as the vision suite does (5 or 50 images per class, 64x64, grey to RGB,
ImageNet normalisation, AdamW lr 1e-3 wd 0.01, batches of 32, the suite's steps), and prints the
validation accuracy (20 images per class) in eval mode (running statistics) and with batch
statistics. Measured: eval mode stays at 10-11% (chance) through 64 steps, while batch statistics
give 18-50%: the running statistics lag the fast-changing weights.

Usage: benches/pytorch/.venv/bin/python benches/pytorch/scratch_batchnorm.py [data/animal-mnist]
"""
import copy
import random
import sys

import torch
import torch.nn.functional as F
import torchvision

torch.set_num_threads(2)
torch.manual_seed(0)
random.seed(0)
folder = sys.argv[1] if len(sys.argv) > 1 else "data/animal-mnist"
pixels = open(f"{folder}/train-images-idx3-ubyte", "rb").read()[16:]
labels = open(f"{folder}/train-labels-idx1-ubyte", "rb").read()[8:]
X = torch.tensor(list(pixels), dtype=torch.float32).view(-1, 1, 28, 28) / 255
Y = torch.tensor(list(labels))
by_class = {c: [i for i in range(len(Y)) if Y[i] == c] for c in range(10)}
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def prep(x):
    x = F.interpolate(x, size=(64, 64), mode="bilinear", align_corners=False)
    return (x.expand(-1, 3, 64, 64) - mean) / std


val = [i for c in range(10) for i in by_class[c][-20:]]
for per_class in (5, 50):
    train = [i for c in range(10) for i in by_class[c][:per_class]]
    model = torchvision.models.mobilenet_v2(num_classes=10)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    per_epoch = 5 if per_class == 5 else 16  # the suite's steps per epoch, 6 epochs
    for step in range(1, 6 * per_epoch + 1):
        model.train()
        batch = random.sample(train, min(32, len(train)))
        loss = F.cross_entropy(model(prep(X[batch])), Y[batch])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % per_epoch == 0:
            with torch.no_grad():
                model.eval()
                running = (model(prep(X[val])).argmax(1) == Y[val]).float().mean().item()
                # A copy, so that this pass leaves the trained model's running statistics alone.
                probe = copy.deepcopy(model).train()
                batch_stats = (probe(prep(X[val])).argmax(1) == Y[val]).float().mean().item()
            print(f"{per_class} per class, step {step}: loss {loss.item():.3f}, "
                  f"eval-mode val {running:.3f}, batch-statistics val {batch_stats:.3f}")
