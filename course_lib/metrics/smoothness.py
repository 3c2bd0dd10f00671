"""Latent smoothness: does a straight walk in latent space give a gradual walk in image space?

Decode K + 1 evenly spaced points z_k = (1 - t_k) z_a + t_k z_b, t_k = k / K, and measure the pixel
distance of each step, d_k = ||x_{k+1} - x_k||_2. The *roughness* of the path is

    roughness = max_k d_k / mean_k d_k        (1: every step changes the image equally; K: one jump)

It is scale-free, so models with latent codes of very different sizes (an autoencoder's codes are not
tied to N(0, I)) compare fairly. A smooth latent space has roughness close to 1; a space with holes or
cliffs (small moves in z, big changes in the image) has larger values. The score of a model is the mean
roughness over many pairs.
"""
from __future__ import annotations

from typing import Callable

import torch

from ..input_checks import CourseInputError, check_tensor, describe

Encode = Callable[[torch.Tensor], torch.Tensor]
Decode = Callable[[torch.Tensor], torch.Tensor]


def interpolation_path(z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 16) -> torch.Tensor:
    """Points on the segments from each z_a to its z_b: (steps + 1) x P x D for P pairs of D-d codes (P x D inputs)."""
    check_tensor(z_a, "z_a", ndim=2, floating=True)
    if z_b.shape != z_a.shape:
        raise CourseInputError(f"z_a and z_b: expected the same shape, got {describe(z_a)} and {describe(z_b)}.")
    if steps < 2:
        raise CourseInputError(f"steps: expected at least 2, got {steps}.")
    t = torch.linspace(0, 1, steps + 1, device=z_a.device, dtype=z_a.dtype).view(-1, 1, 1)  # (steps+1) x 1 x 1
    return (1 - t) * z_a + t * z_b


@torch.no_grad()
def step_sizes(decode: Decode, z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 16) -> torch.Tensor:
    """Pixel distances between consecutive decoded points, P x steps (P pairs)."""
    path = interpolation_path(z_a, z_b, steps)  # (steps+1) x P x D
    n_points, n_pairs = path.shape[:2]
    images = decode(path.reshape(n_points * n_pairs, -1))
    images = images.reshape(n_points, n_pairs, -1).float()  # (steps+1) x P x pixels
    return (images[1:] - images[:-1]).norm(dim=2).T  # P x steps


def roughness(decode: Decode, z_a: torch.Tensor, z_b: torch.Tensor, steps: int = 16, per_pair: bool = False) -> float | torch.Tensor:
    """Mean over pairs of max step / mean step along the decoded interpolation (1 = perfectly even)."""
    d = step_sizes(decode, z_a, z_b, steps)
    ratio = d.max(dim=1).values / d.mean(dim=1).clamp(min=1e-12)  # P
    return ratio if per_pair else float(ratio.mean())


__all__ = ["interpolation_path", "roughness", "step_sizes"]


def interpolate(encode: Encode, decode: Decode, x_a: torch.Tensor, x_b: torch.Tensor, steps: int = 9) -> torch.Tensor:
    """Decode z_t = (1 - t) z_a + t z_b for ``steps`` values of t from 0 to 1: steps x 1 x 28 x 28.

    ``x_a`` and ``x_b`` are single images (1 x 28 x 28 or 1 x 1 x 28 x 28).
    """
    if steps < 2:
        raise ValueError(f"expected at least 2 steps (the two ends), got {steps}.")
    x = torch.stack([x_a.reshape(x_a.shape[-3:]), x_b.reshape(x_b.shape[-3:])])
    z_a, z_b = encode(x)
    t = torch.linspace(0, 1, steps, device=z_a.device, dtype=z_a.dtype).unsqueeze(1)  # steps x 1
    return decode((1 - t) * z_a + t * z_b)
