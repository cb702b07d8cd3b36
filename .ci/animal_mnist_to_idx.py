"""Animal-MNIST (PyPI animal-mnist 0.4) as IDX files, without numpy.

The package stores its images and labels as gzipped pickles of numpy arrays. A
numpy array pickles as a call to numpy's `_reconstruct` followed by
`__setstate__((version, shape, dtype, fortran_order, raw_bytes))`; stand-in
classes catch those arguments, so the raw pixel block is read without
importing numpy. Exact duplicate images (284 pairs: same pixels, whatever the
label) keep their first occurrence only, so no image lands in both a training
and a test split. Writes train-images-idx3-ubyte and train-labels-idx1-ubyte.

Usage: python3 animal_mnist_to_idx.py DATA.gz LABELS.gz OUT_DIR
"""
import gzip
import pickle
import struct
import sys


class Array:
    """Stands in for numpy.ndarray: keeps the shape, dtype and raw bytes."""

    def __init__(self, *args):
        self.shape, self.dtype, self.raw = None, None, None

    def __setstate__(self, state):
        _version, self.shape, self.dtype, fortran, self.raw = state
        if fortran:
            raise SystemExit("error: a Fortran-ordered array is not expected here")


class DType:
    """Stands in for numpy.dtype: keeps the type code (u1, i8, ...)."""

    def __init__(self, code, *args):
        self.code = code

    def __setstate__(self, state):
        self.byteorder = state[1]


class Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "_reconstruct":
            return lambda cls, *args: cls()
        if name == "ndarray":
            return Array
        if name == "dtype":
            return DType
        raise pickle.UnpicklingError(f"unexpected class {module}.{name}")


def load(path):
    with gzip.open(path, "rb") as f:
        return Unpickler(f).load()


def main():
    data_path, labels_path, out = sys.argv[1:4]
    images, labels = load(data_path), load(labels_path)
    n, h, w = images.shape
    if images.dtype.code != "u1" or labels.dtype.code != "i8" or labels.shape != (n,):
        raise SystemExit(f"error: unexpected arrays {images.dtype.code} {images.shape}, {labels.dtype.code} {labels.shape}")
    size = h * w
    values = struct.unpack(f"<{n}q", labels.raw)
    seen, kept_images, kept_labels = set(), [], []
    for i in range(n):
        pixels = images.raw[i * size:(i + 1) * size]
        if pixels in seen:
            continue
        seen.add(pixels)
        kept_images.append(pixels)
        kept_labels.append(values[i])
    if not all(0 <= v < 10 for v in kept_labels):
        raise SystemExit("error: a label outside 0..9")
    m = len(kept_images)
    with open(f"{out}/train-images-idx3-ubyte", "wb") as f:
        f.write(struct.pack(">iiii", 0x803, m, h, w))
        f.write(b"".join(kept_images))
    with open(f"{out}/train-labels-idx1-ubyte", "wb") as f:
        f.write(struct.pack(">ii", 0x801, m))
        f.write(bytes(kept_labels))
    print(f"{m} of {n} images kept ({n - m} exact duplicates dropped)")


main()
