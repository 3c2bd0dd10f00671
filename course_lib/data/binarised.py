"""A fixed binarisation of MNIST-5k's test split, for likelihoods that are likelihoods.

A Bernoulli decoder is a density only on binary images. The IWAE paper (Burda, Grosse & Salakhutdinov 2016)
evaluates on MNIST binarised by one draw per pixel, x_bin ~ Bernoulli(x); we do the same, once, with a fixed seed,
so every learner, run and device sees the same binary digits.
"""
from __future__ import annotations

import torch

from ..input_checks import CourseInputError, check_images
from ..utils import resolve_device
from .mnist5k import load_mnist5k
from .types import Split

BINARISE_SEED = 0  # fixed forever, like the split of MNIST-5k


def binarise(x: torch.Tensor, seed: int = BINARISE_SEED) -> torch.Tensor:
    """One seeded draw x_bin ~ Bernoulli(x) per pixel: 0./1. floats shaped like ``x``, on ``x``'s device.

    The draw is made on the CPU with its own ``torch.Generator``, so it is the same on every device and in every run
    (and does not touch the global random state).
    """
    check_images(x, "x", shape=(None, None, None), value_range=None)
    lo, hi = (float(x.min()), float(x.max())) if x.numel() else (0.0, 1.0)
    if lo < 0 or hi > 1:
        raise CourseInputError(
            f"x: expected grey levels in [0, 1] (the probability that a pixel is on), got values in [{lo:.3g}, {hi:.3g}]. "
            "Divide uint8 pixels by 255 first."
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise CourseInputError(f"seed: expected an integer, got {seed!r}.")
    g = torch.Generator().manual_seed(seed)
    u = torch.rand(x.shape, generator=g)  # on the CPU, whatever x's device
    return (u < x.detach().cpu()).to(x.dtype).to(x.device)


def load_mnist5k_binarised(seed: int = BINARISE_SEED, device: torch.device | str | None = None) -> Split:
    """MNIST-5k's 1,000 test digits binarised once with :func:`binarise` (same order and labels as ``load("mnist-5k").test``)."""
    test = load_mnist5k().test
    return Split(binarise(test.x, seed), test.y).to(resolve_device(device))
