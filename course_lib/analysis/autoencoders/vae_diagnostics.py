"""Looking inside a VAE: a Monte-Carlo KL next to the closed form, and the KL carried by each latent dimension.

Monte-Carlo KL (what a VAE would have to use if the closed form did not exist, e.g. for a non-Gaussian q):

    KL(q || p) = E_{z ~ q}[ log q(z) - log p(z) ]  ~  (1/S) sum_s [ log q(z_s) - log p(z_s) ],   z_s ~ q

It is unbiased, and its spread shrinks like 1 / sqrt(S).

KL per dimension: for a diagonal Gaussian q and the prior N(0, I), the KL is a sum over dimensions,
KL_j = -1/2 (1 + log sigma_j^2 - mu_j^2 - sigma_j^2). A dimension whose KL is ~0 for every image has
q(z_j|x) = p(z_j): it tells the decoder nothing (posterior collapse); the active units of Burda et al.
(2016) are the others.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ...losses.kl import kl_per_dim
from ...utils import eval_mode
from ...input_checks import CourseInputError, check_images, check_tensor, describe


def _log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """log N(z; mu, diag exp(logvar)), summed over the last dimension."""
    return (-0.5 * (math.log(2 * math.pi) + logvar + (z - mu).pow(2) / logvar.exp())).sum(-1)


def kl_monte_carlo(mu: torch.Tensor, logvar: torch.Tensor, n_samples: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """One Monte-Carlo estimate of KL(N(mu, diag sigma^2) || N(0, I)) per row of ``mu`` (N x D -> N), from ``n_samples`` draws."""
    check_tensor(mu, "mu", ndim=2, floating=True)
    if logvar.shape != mu.shape:
        raise CourseInputError(f"mu and logvar: expected the same shape N x D, got {describe(mu)} and {describe(logvar)}.")
    if not isinstance(n_samples, int) or n_samples < 1:
        raise CourseInputError(f"n_samples: expected a positive whole number, got {n_samples!r}.")
    eps = torch.randn((n_samples, *mu.shape), generator=generator, dtype=mu.dtype).to(mu.device)  # S x N x D
    z = mu + torch.exp(0.5 * logvar) * eps
    zeros = torch.zeros_like(mu)
    return (_log_normal(z, mu, logvar) - _log_normal(z, zeros, zeros)).mean(0)  # N


def kl_closed_form(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag sigma^2) || N(0, I)) per row (N x D -> N): -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)."""
    return kl_per_dim(mu, logvar).sum(-1)


@torch.no_grad()
def kl_per_dimension(model: nn.Module, x: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Mean over the images x of the KL of each latent dimension, shape (latent_dim,). Sums to the mean KL."""
    check_images(x, "x", shape=getattr(model, "image_shape", (1, 28, 28)))
    total = None
    with eval_mode(model):
        for xb in x.split(batch_size):
            mu, logvar = model.encode(xb)
            part = kl_per_dim(mu, logvar).sum(0)  # D
            total = part if total is None else total + part
    return total / len(x)
