"""Reverse processes: from noise x_T ~ N(0, I) back to data, with a network eps_theta that predicts the noise.

    predict_x0:  x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t)                 (DDPM eq. 15)
    ddpm_step:   x_{t-1} = mu_tilde(x_t, x0_hat) + sqrt(beta_tilde_t) z, no noise at t = 0       (DDPM eq. 7, Algorithm 2)
    ddim_step:   x_{t'} = sqrt(alpha_bar_t') x0_hat + sqrt(1 - alpha_bar_t' - sigma^2) eps + sigma z,
                 sigma = eta sqrt((1 - alpha_bar_t') / (1 - alpha_bar_t)) sqrt(1 - alpha_bar_t / alpha_bar_t')  (DDIM eq. 12, 16)
    guided_eps:  (1 + w) eps(x_t, y) - w eps(x_t, null)      classifier-free guidance (Ho & Salimans 2022, eq. 6);
                 w = 0 is the plain conditional model (diffusers' guidance_scale is 1 + w)
    inpaint:     DDPM sampling where, after every step, the known pixels are replaced by q_sample of the known image at
                 that step (RePaint, Lugmayr et al. 2022, eq. 8, without its resampling loops); on all T steps or
                 on a respaced chain of fewer (DDIM's step with eta = 1)
Timesteps are 0-based (t = 0..T-1, see :mod:`.schedule`); t' = -1 stands for the data x_0. The samplers run under
no_grad in eval mode on the model's device; ``generator`` draws the noise on its own device (the CPU by default), so
a seed gives the same images on every device. Images live in [-1, 1]; ``clip_x0=True`` clips x0_hat to that range.
"""
from __future__ import annotations

from typing import Sequence

import torch
import torch.nn as nn

from ..input_checks import CourseInputError, check_tensor, describe
from ..utils import eval_mode, module_device, progress as progress_bar, progress_enabled
from .forward import check_batch, check_timesteps, q_sample
from .loss import null_label_of, predict_noise
from .schedule import NoiseSchedule, broadcast_at


# ---------------------------------------------------------------- one step

def _check_pair(eps: torch.Tensor, x_t: torch.Tensor) -> None:
    check_batch(x_t, "x_t")
    check_tensor(eps, "eps", floating=True)
    if eps.shape != x_t.shape:
        raise CourseInputError(f"eps: expected the shape of x_t, {describe(x_t)}, got {describe(eps)}.")


def predict_x0(eps: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor | int, schedule: NoiseSchedule) -> torch.Tensor:
    """x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps) / sqrt(alpha_bar_t): q_sample solved for x_0."""
    _check_pair(eps, x_t)
    t = check_timesteps(t, len(x_t), schedule)
    return (x_t - broadcast_at(schedule.sqrt_one_minus_alpha_bar, t, x_t) * eps) / broadcast_at(schedule.sqrt_alpha_bar, t, x_t)


def posterior_mean(x0: torch.Tensor, x_t: torch.Tensor, t: torch.Tensor | int, schedule: NoiseSchedule) -> torch.Tensor:
    """mu_tilde_t = sqrt(alpha_bar_{t-1}) beta_t / (1 - alpha_bar_t) x0 + sqrt(alpha_t) (1 - alpha_bar_{t-1}) / (1 - alpha_bar_t) x_t."""
    t = check_timesteps(t, len(x_t), schedule)
    return broadcast_at(schedule.posterior_coef_x0, t, x_t) * x0 + broadcast_at(schedule.posterior_coef_xt, t, x_t) * x_t


def ddpm_step(
    eps: torch.Tensor,
    x_t: torch.Tensor,
    t: torch.Tensor | int,
    schedule: NoiseSchedule,
    noise: torch.Tensor | None = None,
    clip_x0: bool = False,
) -> torch.Tensor:
    """One ancestral step x_t -> x_{t-1} ~ N(mu_tilde(x_t, x0_hat), beta_tilde_t I); images at t = 0 get the mean only."""
    t = check_timesteps(t, len(x_t), schedule)
    x0_hat = predict_x0(eps, x_t, t, schedule)
    if clip_x0:
        x0_hat = x0_hat.clamp(-1, 1)
    mean = posterior_mean(x0_hat, x_t, t, schedule)
    if noise is None:
        noise = torch.randn_like(x_t)
    elif noise.shape != x_t.shape:
        raise CourseInputError(f"noise: expected the shape of x_t, {describe(x_t)}, got {describe(noise)}.")
    keep = (t > 0).to(x_t.device, x_t.dtype).view(-1, *([1] * (x_t.dim() - 1)))  # no noise on the last step
    return mean + keep * broadcast_at(schedule.posterior_variance, t, x_t).sqrt() * noise


def ddim_step(
    eps: torch.Tensor,
    x_t: torch.Tensor,
    t: torch.Tensor | int,
    t_prev: torch.Tensor | int,
    schedule: NoiseSchedule,
    eta: float = 0.0,
    noise: torch.Tensor | None = None,
    clip_x0: bool = False,
) -> torch.Tensor:
    """One DDIM step x_t -> x_{t_prev} (t_prev < t, -1 for x_0); eta = 0 is deterministic, eta = 1 has DDPM's variance."""
    if eta < 0:
        raise CourseInputError(f"eta: expected a value >= 0 (0: deterministic DDIM, 1: DDPM-like), got {eta!r}.")
    t = check_timesteps(t, len(x_t), schedule)
    t_prev = check_timesteps(t_prev, len(x_t), schedule, name="t_prev", allow_data=True)
    if bool((t_prev >= t).any()):
        raise CourseInputError("t_prev: expected earlier timesteps than t (t_prev < t), got t_prev >= t for some images.")
    x0_hat = predict_x0(eps, x_t, t, schedule)
    if clip_x0:
        x0_hat = x0_hat.clamp(-1, 1)
        eps = (x_t - broadcast_at(schedule.sqrt_alpha_bar, t, x_t) * x0_hat) / broadcast_at(schedule.sqrt_one_minus_alpha_bar, t, x_t)
    a_t, a_prev = broadcast_at(schedule.alpha_bar, t, x_t), schedule.alpha_bar_or_one(t_prev, x_t)
    sigma = eta * ((1 - a_prev) / (1 - a_t) * (1 - a_t / a_prev)).clamp(min=0).sqrt()
    x_prev = a_prev.sqrt() * x0_hat + (1 - a_prev - sigma**2).clamp(min=0).sqrt() * eps
    if eta > 0:
        x_prev = x_prev + sigma * (torch.randn_like(x_t) if noise is None else noise)
    return x_prev


def guided_eps(eps_cond: torch.Tensor, eps_uncond: torch.Tensor, w: float) -> torch.Tensor:
    """Classifier-free guidance: (1 + w) eps_cond - w eps_uncond = eps_cond + w (eps_cond - eps_uncond); w = 0 is eps_cond."""
    if eps_cond.shape != eps_uncond.shape:
        raise CourseInputError(f"eps_cond and eps_uncond: expected the same shape, got {describe(eps_cond)} and {describe(eps_uncond)}.")
    return (1 + w) * eps_cond - w * eps_uncond


# ---------------------------------------------------------------- helpers of the samplers

def _randn(shape: Sequence[int], generator: torch.Generator | None, device: torch.device) -> torch.Tensor:
    where = generator.device if generator is not None else device
    return torch.randn(tuple(shape), generator=generator, device=where).to(device)


def _model_eps(model: nn.Module, x: torch.Tensor, t: torch.Tensor, labels: torch.Tensor | None, guidance: float, null_label: int | None) -> torch.Tensor:
    """eps_theta(x_t, t[, y]), guided when ``guidance`` != 0 (the conditional and the null pass share one batch)."""
    if labels is None or guidance == 0:
        return predict_noise(model, x, t, labels)
    null = torch.full_like(labels, null_label_of(model, null_label))
    eps_cond, eps_uncond = predict_noise(model, torch.cat([x, x]), torch.cat([t, t]), torch.cat([labels, null])).chunk(2)
    return guided_eps(eps_cond, eps_uncond, guidance)


def _start(model: nn.Module, shape: Sequence[int], labels: torch.Tensor | None, guidance: float, x_T: torch.Tensor | None,
           generator: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor | None]:
    shape = tuple(shape)
    if len(shape) < 2 or any(not isinstance(s, int) or s < 1 for s in shape):
        raise CourseInputError(f"shape: expected positive sizes N x C x H x W, e.g. (16, 1, 28, 28), got {shape!r}.")
    device = module_device(model)
    if guidance != 0 and labels is None:
        raise CourseInputError(f"guidance={guidance} needs labels to guide towards; pass labels=y (shape ({shape[0]},)) or guidance=0.")
    if labels is not None:
        labels = check_tensor(labels, "labels", shape=(shape[0],), integer=True).to(device)
    if x_T is None:
        return _randn(shape, generator, device), labels
    if tuple(x_T.shape) != shape:
        raise CourseInputError(f"x_T: expected shape {shape}, got {describe(x_T)}.")
    return x_T.to(device), labels


def _bar(steps: Sequence[int], show: bool, desc: str):
    return progress_bar(steps, disable=not (show and progress_enabled()), desc=desc)


def ddim_timesteps(T: int, steps: int) -> list[int]:
    """``steps`` timesteps spread evenly over 0 .. T-1, from the last (T-1) down to 0."""
    if not isinstance(steps, int) or not 1 <= steps <= T:
        raise CourseInputError(f"steps: expected an integer in 1 .. T = {T}, got {steps!r}.")
    if steps == 1:
        return [T - 1]
    return sorted({round(i * (T - 1) / (steps - 1)) for i in range(steps)}, reverse=True)  # distinct: the spacing is >= 1


# ---------------------------------------------------------------- samplers

@torch.no_grad()
def ddpm_sample(
    model: nn.Module,
    shape: Sequence[int],
    schedule: NoiseSchedule,
    labels: torch.Tensor | None = None,
    guidance: float = 0.0,
    generator: torch.Generator | None = None,
    progress: bool = False,
    x_T: torch.Tensor | None = None,
    clip_x0: bool = False,
    null_label: int | None = None,
) -> torch.Tensor:
    """DDPM's Algorithm 2: T ancestral steps from x_T ~ N(0, I) (or the given ``x_T``); returns x_0 shaped ``shape``."""
    x, labels = _start(model, shape, labels, guidance, x_T, generator)
    with eval_mode(model):
        for i in _bar(range(schedule.T - 1, -1, -1), progress, "DDPM"):
            t = torch.full((len(x),), i, dtype=torch.long, device=x.device)
            eps = _model_eps(model, x, t, labels, guidance, null_label)
            x = ddpm_step(eps, x, t, schedule, noise=_randn(x.shape, generator, x.device), clip_x0=clip_x0)
    return x


@torch.no_grad()
def ddim_sample(
    model: nn.Module,
    shape: Sequence[int],
    schedule: NoiseSchedule,
    steps: int = 50,
    labels: torch.Tensor | None = None,
    guidance: float = 0.0,
    eta: float = 0.0,
    generator: torch.Generator | None = None,
    progress: bool = False,
    x_T: torch.Tensor | None = None,
    clip_x0: bool = False,
    null_label: int | None = None,
) -> torch.Tensor:
    """DDIM (Song et al. 2021): ``steps`` jumps along :func:`ddim_timesteps`, the last to x_0; eta = 0 is deterministic."""
    x, labels = _start(model, shape, labels, guidance, x_T, generator)
    times = ddim_timesteps(schedule.T, steps)
    with eval_mode(model):
        for i, i_prev in _bar(list(zip(times, times[1:] + [-1])), progress, "DDIM"):
            t = torch.full((len(x),), i, dtype=torch.long, device=x.device)
            eps = _model_eps(model, x, t, labels, guidance, null_label)
            noise = _randn(x.shape, generator, x.device) if eta > 0 else None
            x = ddim_step(eps, x, t, torch.full_like(t, i_prev), schedule, eta=eta, noise=noise, clip_x0=clip_x0)
    return x


@torch.no_grad()
def inpaint(
    model: nn.Module,
    x_known: torch.Tensor,
    mask: torch.Tensor,
    schedule: NoiseSchedule,
    labels: torch.Tensor | None = None,
    guidance: float = 0.0,
    generator: torch.Generator | None = None,
    progress: bool = False,
    clip_x0: bool = False,
    null_label: int | None = None,
    steps: int | None = None,
) -> torch.Tensor:
    """Fill the pixels where ``mask`` is 0, keeping those where it is 1: DDPM sampling in which, after every step
    x_t -> x_{t'}, the known region is replaced by q_sample(x_known, t') (and by x_known itself after the last step).

    ``steps=None`` takes all T ancestral steps (t' = t - 1). ``steps=S`` takes S of them, spread as
    :func:`ddim_timesteps`: the ancestral sampler of the respaced chain (Nichol & Dhariwal 2021), which is DDIM's step
    with eta = 1, x_{t'} = sqrt(a_t') x0_hat + sqrt(1 - a_t' - sigma^2) eps + sigma z with
    sigma^2 = (1 - a_t') / (1 - a_t) (1 - a_t / a_t'); S = T is DDPM's chain again. RePaint uses 250 steps.

    ``x_known`` is N x C x H x W in [-1, 1] on the model's device; ``mask`` has its shape or broadcasts to it (N x 1 x H x W).
    """
    check_batch(x_known, "x_known")
    check_tensor(mask, "mask")
    try:
        mask = torch.broadcast_to(mask.to(x_known.device, x_known.dtype), x_known.shape)
    except RuntimeError:
        raise CourseInputError(f"mask: expected the shape of x_known, {describe(x_known)} (or N x 1 x H x W), got {describe(mask)}.") from None
    times = list(range(schedule.T - 1, -1, -1)) if steps is None else ddim_timesteps(schedule.T, steps)
    x, labels = _start(model, x_known.shape, labels, guidance, None, generator)
    x_known, mask = x_known.to(x.device), mask.to(x.device)
    first = torch.full((len(x),), times[0], dtype=torch.long, device=x.device)
    x = mask * q_sample(x_known, first, _randn(x.shape, generator, x.device), schedule) + (1 - mask) * x
    with eval_mode(model):
        for i, i_prev in _bar(list(zip(times, times[1:] + [-1])), progress, "inpaint"):
            t = torch.full((len(x),), i, dtype=torch.long, device=x.device)
            eps = _model_eps(model, x, t, labels, guidance, null_label)
            noise = _randn(x.shape, generator, x.device)
            if steps is None:
                x = ddpm_step(eps, x, t, schedule, noise=noise, clip_x0=clip_x0)
            else:
                x = ddim_step(eps, x, t, torch.full_like(t, i_prev), schedule, eta=1.0, noise=noise, clip_x0=clip_x0)
            known = x_known if i_prev < 0 else q_sample(x_known, torch.full_like(t, i_prev), _randn(x.shape, generator, x.device), schedule)
            x = mask * known + (1 - mask) * x
    return x
