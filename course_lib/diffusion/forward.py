"""The forward (noising) process in closed form (Ho et al. 2020, eq. 4):

    q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)  ->  x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps
Timesteps are 0-based indices into the schedule, t in {0, ..., T-1}, one per image (a LongTensor of shape (N,)).
"""
from __future__ import annotations

import torch

from ..input_checks import CourseInputError, check_tensor, describe
from .schedule import NoiseSchedule, broadcast_at


def check_timesteps(t: object, n: int, schedule: NoiseSchedule, name: str = "t", allow_data: bool = False) -> torch.Tensor:
    """``t`` as a LongTensor of shape (n,) with values in 0 .. T-1 (or -1, the data, when ``allow_data``); an int is repeated."""
    if isinstance(t, int) and not isinstance(t, bool):
        t = torch.full((n,), t, dtype=torch.long)
    check_tensor(t, name, integer=True)
    if t.dim() == 0:
        t = t.expand(n)
    if t.shape != (n,):
        raise CourseInputError(f"{name}: expected one timestep per image, shape ({n},), got {describe(t)}.")
    low = -1 if allow_data else 0
    if n and (int(t.min()) < low or int(t.max()) > schedule.T - 1):
        raise CourseInputError(
            f"{name}: expected 0-based timesteps in {low} .. {schedule.T - 1} (T = {schedule.T}), got values in {int(t.min())} .. {int(t.max())}."
        )
    return t.long()


def check_batch(x: object, name: str = "x0") -> torch.Tensor:
    """A floating-point batch N x ... with at least one axis after the batch axis."""
    check_tensor(x, name, floating=True)
    if x.dim() < 2:
        raise CourseInputError(f"{name}: expected a batch shaped N x C x H x W (or N x D), got {describe(x)}.")
    return x


def q_sample(x0: torch.Tensor, t: torch.Tensor | int, noise: torch.Tensor, schedule: NoiseSchedule) -> torch.Tensor:
    """x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise, for a batch x0 (N x ...) and timesteps t (N,)."""
    check_batch(x0, "x0")
    check_tensor(noise, "noise", floating=True)
    if noise.shape != x0.shape:
        raise CourseInputError(f"noise: expected the shape of x0, {describe(x0)}, got {describe(noise)}. Use torch.randn_like(x0).")
    t = check_timesteps(t, len(x0), schedule)
    return broadcast_at(schedule.sqrt_alpha_bar, t, x0) * x0 + broadcast_at(schedule.sqrt_one_minus_alpha_bar, t, x0) * noise
