"""Active latent units of a VAE (Burda, Grosse & Salakhutdinov 2016, section 5.2).

A unit u is active when its posterior mean moves with the data:  A_u = Cov_x( E_{q(u|x)}[u] ) > 0.01.
Inactive units have collapsed to the prior (posterior collapse): they carry no information about x.
"""
from __future__ import annotations

import torch

from ..utils import batched
from ..input_checks import check_images


@torch.no_grad()
def unit_activity(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, batch_size: int = 500) -> torch.Tensor:
    """Variance over the data of each latent unit's posterior mean, (latent_dim,); pass ``y`` for a CVAE."""
    check_images(x, "x", shape=getattr(model, "image_shape", (1, 28, 28)))
    if y is None:
        mus = batched(lambda xb: model.encode(xb)[0], x, batch_size=batch_size, model=model)
    else:
        mus = batched(lambda xb, yb: model.encode(xb, yb)[0], x, y, batch_size=batch_size, model=model)
    return mus.var(dim=0)


def active_units(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, threshold: float = 0.01) -> int:
    """Number of latent units whose activity (see :func:`unit_activity`) exceeds ``threshold``."""
    return int((unit_activity(model, x, y) > threshold).sum())


def code_range(codes: torch.Tensor, margin: float = 0.15, quantile: float = 0.005) -> list[tuple[float, float]]:
    """Per-dimension (low, high) covering the codes (robust to a few outliers), widened by ``margin``."""
    c = codes.detach().float().cpu()
    lo, hi = torch.quantile(c, quantile, dim=0), torch.quantile(c, 1 - quantile, dim=0)
    pad = (hi - lo).clamp_min(1e-3) * margin
    return [(float(a), float(b)) for a, b in zip(lo - pad, hi + pad)]
