"""Reference logits of torchvision's MobileNetV2 (ImageNet weights) for
tests/mobilenet.rs: one fixed 28x28 grey image, resized to 96x96 (bilinear,
align_corners=False, no antialias), replicated to RGB, normalised with
ImageNet's means and standard deviations, then the model in eval mode.

Run with PyTorch and torchvision (e.g. benches/pytorch/.venv plus
`pip install torchvision pillow`; never a project dependency):
    python tests/data/mobilenet_v2_reference.py mobilenet_v2-b0353104.pth > tests/data/mobilenet_v2_reference.json
"""
import json
import math
import sys

import torch
import torch.nn.functional as F
import torchvision

SIDE, SIZE = 28, 96


def pixel(i, j):
    """The fixed test image: smooth stripes in [0, 1]."""
    return 0.5 + 0.5 * math.sin(i * 0.37 + j * 0.23) * math.cos(j * 0.11)


def main():
    model = torchvision.models.mobilenet_v2()
    model.load_state_dict(torch.load(sys.argv[1], map_location="cpu"))
    model.eval()
    image = torch.tensor([[pixel(i, j) for j in range(SIDE)] for i in range(SIDE)], dtype=torch.float32)
    x = F.interpolate(image[None, None], size=(SIZE, SIZE), mode="bilinear", align_corners=False, antialias=False)
    x = x.expand(1, 3, SIZE, SIZE)
    mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
    std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
    with torch.no_grad():
        logits = model((x - mean) / std)[0]
    json.dump(
        {
            "side": SIDE,
            "image_size": SIZE,
            "torch": torch.__version__,
            "torchvision": torchvision.__version__,
            "logits": [round(v, 6) for v in logits.tolist()],
        },
        sys.stdout,
    )


main()
