"""Measurements of chapter 05: what the losses' gradients do, and how good the samples are along training.

- :func:`loss_curves`: the saturating and non-saturating generator losses and their gradients as functions of
  D(G(z)), in closed form (the picture behind "the saturating loss stalls").
- :func:`generator_gradient_norm`: the size of the generator's gradient under either loss, measured.
- :func:`exact_w1`: the exact Wasserstein-1 distance between two equal-size point clouds (an optimal matching),
  the ground truth a WGAN critic tries to estimate.
- :func:`toy_quality`: modes covered, high-quality fraction and exact W1 of each snapshot of a toy GAN.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from ..input_checks import CourseInputError, check_tensor, describe
from ..train.settings import TOY_SNAPSHOTS  # chapter 05's snapshots of each toy run


def loss_curves(d: np.ndarray | Sequence[float]) -> dict[str, np.ndarray]:
    """For D(G(z)) = d in (0, 1), with logit l = log(d / (1 - d)):

    - ``saturating``     = log(1 - d)   (minimised by G),  |d loss / d l| = d
    - ``non_saturating`` = -log d,                        |d loss / d l| = 1 - d
    Early in training D rejects the fakes (d near 0): the saturating gradient vanishes, the other is near 1.
    """
    d = np.asarray(d, dtype=float)
    if np.any((d <= 0) | (d >= 1)):
        raise CourseInputError("d: expected values strictly between 0 and 1 (D's probabilities).")
    return {
        "saturating": np.log1p(-d),
        "non_saturating": -np.log(d),
        "grad_saturating": d,
        "grad_non_saturating": 1 - d,
    }


def generator_gradient_norm(
    generator: nn.Module, discriminator: nn.Module, loss: Callable[[torch.Tensor], torch.Tensor], n: int = 256
) -> float:
    """||d loss(D(G(z))) / d theta_G||_2 over all generator parameters, for one batch of ``n`` noise vectors."""
    params = [p for p in generator.parameters() if p.requires_grad]
    fake = generator(generator.noise(n))
    grads = torch.autograd.grad(loss(discriminator(fake)), params, allow_unused=True)
    return float(torch.sqrt(sum((g.detach().float() ** 2).sum() for g in grads if g is not None)))


def exact_w1(a: torch.Tensor, b: torch.Tensor) -> float:
    """W1 between the empirical distributions of two N x D point sets of equal size: the mean Euclidean distance
    of the optimal one-to-one matching (scipy's Hungarian algorithm; keep N to a few hundred)."""
    from scipy.optimize import linear_sum_assignment

    check_tensor(a, "a", ndim=2, floating=True)
    if b.shape != a.shape:
        raise CourseInputError(f"a and b: expected point sets of the same shape, got {describe(a)} and {describe(b)}.")
    cost = torch.cdist(a.detach().double().cpu(), b.detach().double().cpu()).numpy()
    rows, cols = linear_sum_assignment(cost)
    return float(cost[rows, cols].mean())


def toy_quality(
    snapshots: Sequence[tuple[int, torch.Tensor]],
    name: str,
    reference: torch.Tensor,
    n_w1: int = 500,
) -> dict[str, list[float]]:
    """For each ``(step, samples)`` snapshot of a toy GAN on ``name`` ("ring8" or "grid25"): the step, the modes
    covered and high-quality fraction (:func:`course_lib.metrics.mode_coverage`, scaled to 2,500 samples) and the
    exact W1 between ``n_w1`` samples and ``n_w1`` points of ``reference`` (real data)."""
    from ..metrics.modes import N_SAMPLES, mode_coverage

    out: dict[str, list[float]] = {"step": [], "modes": [], "hq": [], "w1": []}
    ref = reference[:n_w1].detach().float().cpu()
    for step, samples in snapshots:
        samples = samples.detach().float().cpu()
        if len(samples) < n_w1:
            raise CourseInputError(f"snapshot at step {step}: expected at least {n_w1} samples for W1, got {len(samples)}.")
        # mode_coverage asks for 20 high-quality samples per mode out of 2,500; keep that share for other sizes
        needed = max(1, round(20 * len(samples) / N_SAMPLES))
        cov = mode_coverage(samples, name, n_required=needed)
        out["step"].append(step)
        out["modes"].append(cov.modes)
        out["hq"].append(cov.hq)
        out["w1"].append(exact_w1(samples[:n_w1], ref))
    return out


def history_steps(record) -> list[int]:
    """The generator step at the end of each History entry of a GAN's ``training_record`` (one per ``log_every`` steps)."""
    train = record.spec["train"]
    log_every = min(int(train["log_every"]), int(train["steps"]))
    return [(i + 1) * log_every for i in range(len(record.history))]


def record_curves(record) -> dict[str, list[float]]:
    """The losses of a GAN's ``training_record`` by name (for plots and :class:`TrainingExplorer`)."""
    h = record.history
    critic = "critic loss" if "train_wasserstein" in h else "D loss"
    return {critic: h["train_d_loss"], "G loss": h["train_g_loss"]}


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    """Spearman's rank correlation of two equal-length sequences (ties broken by order)."""
    if len(x) != len(y) or len(x) < 3:
        raise CourseInputError(f"expected two sequences of the same length (at least 3), got {len(x)} and {len(y)}.")
    rx = torch.tensor(np.argsort(np.argsort(np.asarray(x, dtype=float))), dtype=torch.float64)
    ry = torch.tensor(np.argsort(np.argsort(np.asarray(y, dtype=float))), dtype=torch.float64)
    return float(F.cosine_similarity((rx - rx.mean()).unsqueeze(0), (ry - ry.mean()).unsqueeze(0)))


__all__ = ["TOY_SNAPSHOTS", "exact_w1", "generator_gradient_norm", "history_steps", "loss_curves", "record_curves", "spearman", "toy_quality"]
