"""Reconstruction losses: how far a reconstruction ``x_hat`` is from the image ``x``.

Reduction (the course convention): **sum over the pixels of each image, mean over the batch**, so the
number is "error per image" and does not change with the batch size. ``reduction="none"`` gives one
value per image (anomaly scores), ``"sum"`` the total over the batch.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..input_checks import CourseInputError, check_images, check_tensor, describe

REDUCTIONS = ("mean", "sum", "none")


def _check_pair(x_hat: torch.Tensor, x: torch.Tensor, probabilities: bool) -> None:
    check_tensor(x_hat, "x_hat", floating=True)
    if x_hat.dim() < 2:
        raise CourseInputError(f"x_hat: expected a batch shaped N x ... (one row per image), got {describe(x_hat)}.")
    value_range = (0.0, 1.0) if probabilities else None
    check_images(x, "x", shape=tuple(x_hat.shape[1:]), value_range=value_range)
    if probabilities:
        check_images(x_hat, "x_hat (decoder probabilities: end the decoder with a sigmoid)", shape=tuple(x_hat.shape[1:]))
    if x.device != x_hat.device:
        raise CourseInputError(f"x_hat is on {x_hat.device} but x is on {x.device}; move them with .to(device).")


def reduce_batch(per_sample: torch.Tensor, reduction: str) -> torch.Tensor:
    """The course's one batch reduction of per-sample values (N,): ``"mean"`` over the batch, ``"sum"``, or ``"none"``."""
    if reduction not in REDUCTIONS:
        raise CourseInputError(f"reduction: expected one of {REDUCTIONS}, got {reduction!r}.")
    if reduction == "none":
        return per_sample
    return per_sample.mean() if reduction == "mean" else per_sample.sum()


def _reduce(per_element: torch.Tensor, reduction: str) -> torch.Tensor:
    """Sum over what describes one image (its pixels), then :func:`reduce_batch`."""
    return reduce_batch(per_element.flatten(1).sum(dim=1), reduction)


def mse_loss(x_hat: torch.Tensor, x: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Squared error summed over pixels, averaged over the batch: (1/N) sum_n ||x_hat_n - x_n||^2."""
    _check_pair(x_hat, x, probabilities=False)
    return _reduce(F.mse_loss(x_hat, x, reduction="none"), reduction)


def bce_loss(x_hat: torch.Tensor, x: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """Bernoulli negative log-likelihood summed over pixels, averaged over the batch.

    -(1/N) sum_n sum_i [x_i log x_hat_i + (1 - x_i) log(1 - x_hat_i)], with ``x_hat`` the decoder's
    probabilities in [0, 1] and ``x`` in [0, 1] (grey levels act as soft targets).
    """
    _check_pair(x_hat, x, probabilities=True)
    return _reduce(F.binary_cross_entropy(x_hat, x, reduction="none"), reduction)
