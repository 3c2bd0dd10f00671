"""Active latent units of a VAE (Burda, Grosse & Salakhutdinov 2016, section 5.2).

A unit u is active when its posterior mean moves with the data:  A_u = Cov_x( E_{q(u|x)}[u] ) > 0.01.
Inactive units have collapsed to the prior (posterior collapse): they carry no information about x.
"""
from __future__ import annotations

import torch

from ..models.mode import eval_mode
from ..validate import check_images


@torch.no_grad()
def unit_activity(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, batch_size: int = 500) -> torch.Tensor:
    """Variance over the data of each latent unit's posterior mean, (latent_dim,); pass ``y`` for a CVAE."""
    check_images(x, "x", shape=getattr(model, "image_shape", (1, 28, 28)))
    with eval_mode(model):
        mus = [model.encode(x[i : i + batch_size], *(() if y is None else (y[i : i + batch_size],)))[0] for i in range(0, len(x), batch_size)]
    return torch.cat(mus).var(dim=0)


def active_units(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, threshold: float = 0.01) -> int:
    """Number of latent units whose activity (see :func:`unit_activity`) exceeds ``threshold``."""
    return int((unit_activity(model, x, y) > threshold).sum())
