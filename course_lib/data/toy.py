"""2-D toy mixtures used to study mode collapse: ``ring8`` and ``grid25``.

The standard protocol (Srivastava et al. 2017, VEEGAN; Gulrajani et al. 2017): ``ring8`` has 8 Gaussians
evenly spaced on a circle of radius 2 with standard deviation 0.02; ``grid25`` has 25 Gaussians at
(-4..4 step 2)^2 with standard deviation 0.05.
"""
from __future__ import annotations

import math

import torch

from .types import Dataset, Split

TOY_SIGMA = {"ring8": 0.02, "grid25": 0.05}


def ring8_centres(radius: float = 2.0) -> torch.Tensor:
    """8 x 2 centres evenly spaced on a circle."""
    angles = torch.arange(8, dtype=torch.float32) * (2 * math.pi / 8)
    return radius * torch.stack([angles.cos(), angles.sin()], dim=1)


def grid25_centres() -> torch.Tensor:
    """25 x 2 centres on the grid {-4, -2, 0, 2, 4}^2."""
    ticks = torch.arange(-4, 5, 2, dtype=torch.float32)
    gx, gy = torch.meshgrid(ticks, ticks, indexing="ij")
    return torch.stack([gx.flatten(), gy.flatten()], dim=1)


def toy_centres(name: str) -> torch.Tensor:
    return {"ring8": ring8_centres, "grid25": grid25_centres}[name]()


def sample_mixture(name: str, n: int, generator: torch.Generator | None = None) -> Split:
    """``n`` points from the equal-weight mixture ``name``: x is n x 2, y the index of each point's mode."""
    centres = toy_centres(name)
    y = torch.randint(len(centres), (n,), generator=generator)
    x = centres[y] + TOY_SIGMA[name] * torch.randn(n, 2, generator=generator)
    return Split(x, y)


def load_toy(name: str, n_train: int = 100_000, n_test: int = 2_500, seed: int = 0) -> Dataset:
    g = torch.Generator().manual_seed(seed)
    classes = [f"mode {i}" for i in range(len(toy_centres(name)))]
    return Dataset(name, sample_mixture(name, n_train, g), sample_mixture(name, n_test, g), classes)
