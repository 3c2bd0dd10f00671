"""Importance-sampled estimate of log p(x) for a VAE: the IWAE bound (Burda, Grosse & Salakhutdinov 2016, eq. 8).

    log p(x) >= L_k = E[ log (1/k) sum_{i=1..k} p(x | z_i) p(z_i) / q(z_i | x) ],   z_i ~ q(z | x)
L_1 is the ELBO; L_k grows with k towards log p(x). With a Bernoulli decoder,
log p(x | z) = sum_pixels [x log x_hat + (1 - x) log(1 - x_hat)].
"""
from __future__ import annotations

import math

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

    ``model`` has ``encode`` -> (mu, logvar) and ``decode``; pass the labels ``y`` for a CVAE.
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
