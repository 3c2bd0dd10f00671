"""Importance-sampled estimate of log p(x) for a VAE: the IWAE bound (Burda, Grosse & Salakhutdinov 2016, eq. 8).

    log p(x) >= L_k = E[ log (1/k) sum_{i=1..k} p(x | z_i) p(z_i) / q(z_i | x) ],   z_i ~ q(z | x)
L_1 is the ELBO; L_k grows with k towards log p(x). With a Bernoulli decoder,
log p(x | z) = sum_pixels [x log x_hat + (1 - x) log(1 - x_hat)].

That sum is a log-probability only for **binary** x. On grey levels in (0, 1) the Bernoulli "density" does not
integrate to one (the continuous Bernoulli of Loaiza-Ganem & Cunningham, 2019, NeurIPS, is the normalised version),
so L_k is then a cross-entropy, bounds nothing and cannot be compared with published likelihoods. Evaluate on
binary images (``course_lib.data.binarise``, ``load_mnist5k_binarised``): :func:`likelihood_bound` insists on it.

Besides nats per image, likelihoods of images are quoted in bits per dimension,
bpd = -log p(x) / (D ln 2) with D the number of pixels (784 for MNIST): the code length of one pixel.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..utils import eval_mode
from ..input_checks import CourseInputError, check_images


@torch.no_grad()
def iwae_log_likelihood(
    model: torch.nn.Module,
    x: torch.Tensor,
    k: int = 100,
    y: torch.Tensor | None = None,
    batch_size: int = 100,
    per_image: bool = False,
) -> float | torch.Tensor:
    """Mean over images of L_k (nats, a negative number; higher is better), or one value per image.

    ``model`` has ``encode`` -> (mu, logvar) and ``decode``; pass the labels ``y`` for a CVAE (then L_k bounds
    log p(x | y)). A bound on log p(x) only when ``x`` is binary; on grey levels it is a cross-entropy (see the module).
    """
    check_images(x, "x", shape=model.image_shape if hasattr(model, "image_shape") else (1, 28, 28))
    if not isinstance(k, int) or k < 1:
        raise CourseInputError(f"k: expected a positive number of importance samples, got {k!r}.")
    out = []
    with eval_mode(model):
        for i in range(0, len(x), batch_size):
            xb = x[i : i + batch_size]  # B x 1 x 28 x 28
            cond = () if y is None else (y[i : i + batch_size],)
            mu, logvar = model.encode(xb, *cond)  # B x D
            std = (0.5 * logvar).exp()
            z = mu + std * torch.randn(k, *mu.shape, device=mu.device)  # k x B x D
            log_q = (-0.5 * ((z - mu) / std).pow(2) - std.log() - 0.5 * math.log(2 * math.pi)).sum(-1)  # k x B
            log_prior = (-0.5 * z.pow(2) - 0.5 * math.log(2 * math.pi)).sum(-1)  # k x B
            cond_k = () if y is None else (cond[0].repeat(k),)
            x_hat = model.decode(z.flatten(0, 1), *cond_k).view(k, *xb.shape)  # k x B x 1 x 28 x 28
            log_px_z = -F.binary_cross_entropy(x_hat, xb.expand_as(x_hat), reduction="none").flatten(2).sum(-1)  # k x B
            out.append(torch.logsumexp(log_px_z + log_prior - log_q, dim=0) - math.log(k))  # B
    values = torch.cat(out)
    return values if per_image else float(values.mean())


def nats_to_bits_per_dim(nats: float | torch.Tensor, dims: int) -> float | torch.Tensor:
    """A code length -log p(x) of ``nats`` per image (positive) in bits per dimension: nats / (dims ln 2).

    Pass -L_k for the bound of :func:`iwae_log_likelihood`; e.g. 784 ln 2 nats on 784 pixels is 1 bit per pixel.
    """
    if isinstance(dims, bool) or not isinstance(dims, int) or dims < 1:
        raise CourseInputError(f"dims: expected a positive number of dimensions (pixels per image), got {dims!r}.")
    return nats / (dims * math.log(2))


def check_binary(x: torch.Tensor, name: str = "x") -> torch.Tensor:
    """``x`` holds only 0s and 1s (else say why a likelihood needs it, and how to binarise)."""
    check_images(x, name, shape=(None, None, None))
    if x.numel() and not ((x == 0) | (x == 1)).all():
        n_grey = int(((x > 0) & (x < 1)).sum())
        raise CourseInputError(
            f"{name}: expected binary images (only 0 and 1), got {n_grey:,} grey pixels of {x.numel():,}. A Bernoulli "
            "decoder's ELBO or IWAE bound is a bound on log p(x) only for binary pixels; on grey levels it is a "
            "cross-entropy. Binarise with course_lib.data.binarise(x) or use load_mnist5k_binarised()."
        )
    return x


@dataclass(frozen=True)
class LikelihoodBound:
    """The bound L_k averaged over binary images, in nats per image and in bits per dimension."""

    k: int  # importance samples (k = 1: the ELBO)
    nats: float  # mean L_k in nats per image, a lower bound on log p(x) (negative; higher is better)
    dims: int  # dimensions (pixels) per image

    @property
    def bits_per_dim(self) -> float:
        """-L_k / (D ln 2): an upper bound on the data's bits per dimension (lower is better)."""
        return nats_to_bits_per_dim(-self.nats, self.dims)

    def __str__(self) -> str:
        return f"L_{self.k} = {self.nats:.1f} nats per image = {self.bits_per_dim:.4f} bits/dim"


def likelihood_bound(
    model: torch.nn.Module, x: torch.Tensor, k: int = 1, y: torch.Tensor | None = None, batch_size: int = 100
) -> LikelihoodBound:
    """L_k of :func:`iwae_log_likelihood` on **binary** ``x`` (else a clear error), with its bits per dimension.

    The model may have been trained on grey levels: its Bernoulli decoder still defines a distribution over binary
    images, so L_k is a true lower bound on the binarised data's log-likelihood (just not the best such model).
    """
    check_binary(x)
    nats = iwae_log_likelihood(model, x, k=k, y=y, batch_size=batch_size)
    return LikelihoodBound(k, nats, x[0].numel())
