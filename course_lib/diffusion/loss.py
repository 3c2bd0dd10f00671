"""The simple noise-prediction loss of DDPM (Ho et al. 2020, eq. 14, Algorithm 1):

    L_simple = E_{t, x_0, eps} || eps - eps_theta(sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, t) ||^2
Why it is an ELBO: a diffusion model is a hierarchical VAE with T latents x_1..x_T whose encoder q(x_{1:T} | x_0)
is fixed (no parameters) and whose top prior q(x_T) ~ N(0, I) matches it. The ELBO splits into one KL per step,
KL(q(x_{t-1} | x_t, x_0) || p_theta(x_{t-1} | x_t)); both are Gaussians with the same variance, so each KL is a squared
distance between means, and writing the mean through eps makes it
beta_t^2 / (2 sigma_t^2 alpha_t (1 - alpha_bar_t)) ||eps - eps_theta||^2. L_simple drops that weight (and the constant
terms): a reweighted ELBO that puts less weight on the easy small-t steps and samples better.

Classifier-free guidance (Ho & Salimans 2022) trains one network for both p(x | y) and p(x): with probability
``p_uncond`` a label is replaced by the "null" label (``model.null_label``, the extra class embedding).
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..input_checks import CourseInputError, check_tensor, describe
from .forward import check_batch, q_sample
from .schedule import NoiseSchedule


def predict_noise(model: nn.Module, x_t: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """eps_theta(x_t, t[, y]): ``model(x_t, t)``, or ``model(x_t, t, labels)`` for a conditional model."""
    eps = model(x_t, t) if labels is None else model(x_t, t, labels)
    if eps.shape != x_t.shape:
        raise CourseInputError(f"the model must predict noise shaped like its input {describe(x_t)}, got {describe(eps)}.")
    return eps


def null_label_of(model: nn.Module, null_label: int | None = None) -> int:
    """The "no label" class index: ``null_label`` if given, else ``model.null_label`` (n_classes for the course U-Net)."""
    value = null_label if null_label is not None else getattr(model, "null_label", None)
    if value is None:
        raise CourseInputError(
            f"classifier-free guidance needs a null label: {type(model).__name__} has no ``null_label``; build the model with "
            "n_classes=... or pass null_label=..."
        )
    return int(value)


def drop_labels(labels: torch.Tensor, p_uncond: float, null_label: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Each label replaced by ``null_label`` with probability ``p_uncond`` (independently per image)."""
    if not 0.0 <= p_uncond <= 1.0:
        raise CourseInputError(f"p_uncond: expected a probability in [0, 1], got {p_uncond!r}.")
    drop = torch.rand(len(labels), generator=generator, device=generator.device if generator else labels.device).to(labels.device) < p_uncond
    return torch.where(drop, torch.full_like(labels, null_label), labels)


def noise_prediction_loss(
    model: nn.Module,
    x0: torch.Tensor,
    schedule: NoiseSchedule,
    labels: torch.Tensor | None = None,
    p_uncond: float = 0.0,
    generator: torch.Generator | None = None,
    null_label: int | None = None,
) -> torch.Tensor:
    """L_simple for one batch: t ~ U{0..T-1} per image, eps ~ N(0, I), the mean squared error of eps_theta(x_t, t) to eps.

    x0 is N x C x H x W (scaled to [-1, 1] for images); ``labels`` (N,) makes the model conditional, and ``p_uncond``
    drops them to the null label for classifier-free guidance. Random draws use ``generator`` (on its device).
    """
    check_batch(x0, "x0")
    where = generator.device if generator is not None else x0.device
    t = torch.randint(0, schedule.T, (len(x0),), generator=generator, device=where).to(x0.device)  # N
    noise = torch.randn(x0.shape, generator=generator, device=where, dtype=x0.dtype).to(x0.device)  # N x C x H x W
    if labels is not None:
        check_tensor(labels, "labels", shape=(len(x0),), integer=True)
        if p_uncond > 0:
            labels = drop_labels(labels, p_uncond, null_label_of(model, null_label), generator)
    elif p_uncond > 0:
        raise CourseInputError(f"p_uncond={p_uncond} drops labels, but no labels came; pass labels=y or p_uncond=0.")
    return F.mse_loss(predict_noise(model, q_sample(x0, t, noise, schedule), t, labels), noise)
