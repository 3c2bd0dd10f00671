"""KL divergence of the encoder's Gaussian from the prior, and the (beta-)ELBO of a VAE.

Kingma & Welling (2014), "Auto-Encoding Variational Bayes", Appendix B:
    -KL(N(mu, diag sigma^2) || N(0, I)) = 1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
Higgins et al. (2017), beta-VAE: loss = reconstruction + beta * KL.
"""
from __future__ import annotations

import torch

from ..input_checks import CourseInputError, check_tensor, describe
from .reconstruction import bce_loss, mse_loss, reduce_batch


def kl_per_dim(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu_j, sigma_j^2) || N(0, 1)) of each latent dimension, same shape as mu: -1/2 (1 + log sigma^2 - mu^2 - sigma^2)."""
    return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())


def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor, reduction: str = "mean") -> torch.Tensor:
    """KL(q(z|x) || N(0, I)) in nats, summed over latent dimensions, averaged over the batch.

    ``mu`` and ``logvar`` (log sigma^2) are N x latent_dim. ``reduction="none"`` gives one value per sample.
    """
    check_tensor(mu, "mu", ndim=2, floating=True)
    check_tensor(logvar, "logvar", ndim=2, floating=True)
    if mu.shape != logvar.shape:
        raise CourseInputError(f"mu and logvar: expected the same shape N x latent_dim, got {describe(mu)} and {describe(logvar)}.")
    return reduce_batch(kl_per_dim(mu, logvar).sum(dim=1), reduction)  # summed over latent dimensions


def elbo_loss(
    x_hat: torch.Tensor,
    x: torch.Tensor,
    mu: torch.Tensor,
    logvar: torch.Tensor,
    beta: float = 1.0,
    reconstruction: str = "bce",
    reduction: str = "mean",
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Negative (beta-)ELBO: returns ``(loss, recon, kl)`` with loss = recon + beta * kl.

    recon is -log p(x|z) for one sample z ~ q(z|x) (``"bce"``: Bernoulli decoder, ``"mse"``: squared error),
    summed over pixels; kl is summed over latent dimensions; both averaged over the batch.
    """
    if reconstruction not in ("bce", "mse"):
        raise CourseInputError(f"reconstruction: expected 'bce' or 'mse', got {reconstruction!r}.")
    if not isinstance(beta, (int, float)) or beta < 0:
        raise CourseInputError(f"beta: expected a number >= 0, got {beta!r}.")
    recon = (bce_loss if reconstruction == "bce" else mse_loss)(x_hat, x, reduction=reduction)
    kl = kl_divergence(mu, logvar, reduction=reduction)
    if len(mu) != len(x):
        raise CourseInputError(f"mu: expected one row per image ({len(x)}), got {describe(mu)}.")
    return recon + beta * kl, recon, kl
