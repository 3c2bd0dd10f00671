"""Noise schedules of the forward process q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I).

    alpha_t     = 1 - beta_t
    alpha_bar_t = prod_{s <= t} alpha_s                          q(x_t | x_0) = N(sqrt(alpha_bar_t) x_0, (1 - alpha_bar_t) I)
    beta_tilde  = beta_t (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t)   the variance of q(x_{t-1} | x_t, x_0)
Timesteps are 0-based: index t = 0, ..., T-1 is the paper's step t + 1, so ``alpha_bar[0] = 1 - beta[0]`` and
alpha_bar_{-1} = 1 (the data itself). Everything is computed in float64 and stored as float32 tensors (float32 runs
on every device, MPS included; the float64 arithmetic keeps 1 - alpha_bar accurate where it is tiny).
"""
from __future__ import annotations

import math

import torch

from ..input_checks import CourseInputError, describe


def broadcast_at(values: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``values[t]`` shaped N x 1 x 1 x ... to broadcast against ``x``, in x's dtype and on x's device."""
    picked = values.to(x.device)[t.to(x.device)]  # N
    return picked.to(x.dtype).view(-1, *([1] * (x.dim() - 1)))


class NoiseSchedule:
    """The betas of T steps and what DDPM and DDIM derive from them (all 1-D float32 tensors of length T)."""

    def __init__(self, betas: torch.Tensor) -> None:
        betas = torch.as_tensor(betas, dtype=torch.float64).cpu()
        if betas.dim() != 1 or len(betas) < 1:
            raise CourseInputError(f"betas: expected a 1-D tensor of T >= 1 values, got {describe(betas)}.")
        if not bool(((betas > 0) & (betas < 1)).all()):
            raise CourseInputError(f"betas: expected every value in (0, 1), got values in [{betas.min():.3g}, {betas.max():.3g}].")
        alphas = 1 - betas
        alpha_bar = torch.cumprod(alphas, 0)
        alpha_bar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bar[:-1]])  # alpha_bar_{t-1}, 1 at t = 0
        as32 = lambda v: v.to(torch.float32)  # noqa: E731
        self.betas = as32(betas)
        self.alphas = as32(alphas)
        self.alpha_bar = as32(alpha_bar)
        self.alpha_bar_prev = as32(alpha_bar_prev)
        self.sqrt_alpha_bar = as32(alpha_bar.sqrt())
        self.sqrt_one_minus_alpha_bar = as32((1 - alpha_bar).sqrt())
        self.posterior_variance = as32(betas * (1 - alpha_bar_prev) / (1 - alpha_bar))  # beta_tilde, 0 at t = 0
        # mu_tilde(x_t, x_0) = coef_x0 * x_0 + coef_xt * x_t   (DDPM eq. 7)
        self.posterior_coef_x0 = as32(alpha_bar_prev.sqrt() * betas / (1 - alpha_bar))
        self.posterior_coef_xt = as32(alphas.sqrt() * (1 - alpha_bar_prev) / (1 - alpha_bar))

    @property
    def T(self) -> int:
        """The number of diffusion steps."""
        return len(self.betas)

    def __len__(self) -> int:
        return self.T

    def __repr__(self) -> str:
        return f"NoiseSchedule(T={self.T}, beta in [{float(self.betas.min()):.3g}, {float(self.betas.max()):.3g}])"

    def to(self, device: torch.device | str) -> "NoiseSchedule":
        """The same schedule with every tensor on ``device`` (the functions also accept a schedule on the CPU)."""
        moved = object.__new__(NoiseSchedule)
        moved.__dict__.update({k: v.to(device) if isinstance(v, torch.Tensor) else v for k, v in self.__dict__.items()})
        return moved

    def alpha_bar_or_one(self, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """alpha_bar_t shaped to broadcast against ``x``, and 1 where t = -1 (the data, x_0)."""
        value = broadcast_at(self.alpha_bar, t.clamp(min=0), x)
        return torch.where(t.to(x.device).view_as(value) < 0, torch.ones_like(value), value)


def _check_T(T: int) -> None:
    if not isinstance(T, int) or isinstance(T, bool) or T < 1:
        raise CourseInputError(f"T: expected an integer number of steps >= 1, got {T!r}.")


def linear_schedule(T: int = 1000, beta_start: float = 1e-4, beta_end: float = 0.02, rescale: bool = False) -> NoiseSchedule:
    """DDPM's schedule (Ho et al. 2020, section 4): betas = linspace(beta_start, beta_end, T).

    As in diffusers' ``DDPMScheduler(beta_schedule="linear")``, the end points do not depend on T: for a small T the
    noise at the last step, alpha_bar_{T-1}, stays far from 0. ``rescale=True`` multiplies both end points by 1000 / T
    (Nichol & Dhariwal 2021, ``get_named_beta_schedule``), so that fewer steps reach the same final noise level.
    """
    _check_T(T)
    scale = 1000 / T if rescale else 1.0
    if beta_end * scale >= 1:
        raise CourseInputError(f"rescale=True: beta_end * 1000 / T = {beta_end * scale:.3g} reaches 1; use more steps (T > {beta_end * 1000:g}) or rescale=False.")
    return NoiseSchedule(torch.linspace(beta_start * scale, beta_end * scale, T, dtype=torch.float64))


def cosine_schedule(T: int = 1000, s: float = 0.008, max_beta: float = 0.999) -> NoiseSchedule:
    """Improved DDPM's schedule (Nichol & Dhariwal 2021, eq. 17): f(u) = cos^2((u + s) / (1 + s) * pi / 2),

    beta_t = min(1 - f((t + 1) / T) / f(t / T), max_beta), the clip keeping the last steps away from beta = 1
    (diffusers' ``beta_schedule="squaredcos_cap_v2"``).
    """
    _check_T(T)
    if not 0 < max_beta < 1 or s < 0:
        raise CourseInputError(f"expected s >= 0 and max_beta in (0, 1), got s={s!r}, max_beta={max_beta!r}.")
    f = lambda u: math.cos((u + s) / (1 + s) * math.pi / 2) ** 2  # noqa: E731
    betas = [min(1 - f((t + 1) / T) / f(t / T), max_beta) for t in range(T)]
    return NoiseSchedule(torch.tensor(betas, dtype=torch.float64))
