"""Over-fitting, measured: reconstruction error on the training images and on unseen ones as the training set shrinks.

For each size n, a fresh model is trained on the first n training images for (about) the same number of
gradient steps, so a small set is not simply under-trained: it is seen many more times. The gap between
the test error and the train error is the generalisation gap; it opens as n shrinks.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch
import torch.nn as nn

from ...data.types import Split
from ...utils import batched
from ...train.generative import train_autoencoder
from ...input_checks import CourseInputError


@torch.no_grad()
def reconstruction_error(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Squared error per image, summed over pixels: sum_i (model(x)_i - x_i)^2, shape N (model in eval mode)."""
    return batched(lambda xb: ((model(xb) - xb) ** 2).flatten(1).sum(1), x, batch_size=batch_size, model=model)


def epochs_for(n: int, steps: int, batch_size: int) -> int:
    """Epochs of ceil(n / batch_size) batches that make about ``steps`` gradient steps (at least 1)."""
    return max(1, round(steps / math.ceil(n / min(batch_size, n))))


def overfitting_curve(
    make_model: Callable[[], nn.Module],
    train: Split,
    test: Split,
    sizes: Sequence[int],
    *,
    steps: int,
    batch_size: int,
    lr: float,
    loss: str = "mse",
    seed: int = 0,
) -> list[dict[str, Any]]:
    """Train ``make_model()`` on the first n training images for each n in ``sizes`` (about ``steps`` steps each).

    Returns one row per size: ``n``, ``epochs``, ``train_error`` (on those n images) and ``test_error`` (on all of
    ``test``), both the mean over images of the squared error summed over pixels, and the trained ``model`` (eval mode).
    """
    if not sizes or any(not isinstance(n, int) or not 1 <= n <= len(train) for n in sizes):
        raise CourseInputError(f"sizes: expected whole numbers from 1 to {len(train)}, got {list(sizes)!r}.")
    rows = []
    for n in sizes:
        torch.manual_seed(seed)
        model = make_model()
        subset = train.subset(n)
        epochs = epochs_for(n, steps, batch_size)
        train_autoencoder(model, subset, epochs=epochs, batch_size=min(batch_size, n), lr=lr, loss=loss, seed=seed, desc=f"n = {n}")
        rows.append({
            "n": n, "epochs": epochs,
            "train_error": float(reconstruction_error(model, subset.x).mean()),
            "test_error": float(reconstruction_error(model, test.x).mean()),
            "model": model.eval(),
        })
    return rows
