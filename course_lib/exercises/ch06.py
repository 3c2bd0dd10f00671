"""Chapter 06 (diffusion models): the forward process, the noise-prediction loss, one reverse step and guidance.

6.1 ``q_sample(x0, t, noise, schedule)``: x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise, one step per image
    (Ho et al. 2020, eq. 4).
6.2 ``noise_prediction_loss(model, x0, schedule)``: L_simple, t ~ U{0..T-1} per image, eps ~ N(0, I), the mean squared
    error of model(x_t, t) to eps (Ho et al. 2020, eq. 14, Algorithm 1).
6.3 ``ddpm_step(eps, x_t, t, schedule, noise)``: one ancestral step x_t -> x_{t-1} for an int t, the mean
    1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) plus sqrt(beta_tilde_t) noise, the mean alone at t = 0
    (Ho et al. 2020, eq. 11, Algorithm 2).
6.4 ``guided_eps(eps_cond, eps_uncond, w)``: classifier-free guidance (1 + w) eps_cond - w eps_uncond
    (Ho & Salimans 2022, eq. 6).
Timesteps are 0-based, as in :mod:`course_lib.diffusion`: t = 0 .. T-1, and alpha_bar_{-1} = 1 is the data itself.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import diffusion
from ..diffusion.schedule import broadcast_at
from .expect import describe, expect_close, expect_device, expect_shape, expect_tensor
from .registry import CaseFailure, Exercise, case_generator, fail, register



def _randn(shape: tuple[int, ...], device: torch.device, seed: int) -> torch.Tensor:
    return torch.randn(shape, generator=case_generator(seed)).to(device)


def _linear(device: torch.device, T: int = 20) -> diffusion.NoiseSchedule:
    """A short linear schedule whose last alpha_bar is small (0.11 for T = 20)."""
    return diffusion.linear_schedule(T, beta_start=1e-3, beta_end=0.2).to(device)


def _at(values: torch.Tensor, t: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """values[t] in float64 on the CPU, shaped N x 1 x 1 x ... against x."""
    return broadcast_at(values.detach().double(), t, _d(x))


def _d(x: torch.Tensor) -> torch.Tensor:
    return x.detach().double().cpu()


def _on_copies(f, *args):
    """f(*args) with every tensor cloned (gradients still reach the original) and every schedule copied, so that an
    answer that writes into its inputs cannot change what the case then computes its expectation from."""
    return f(*(a.clone() if isinstance(a, torch.Tensor) else copy.deepcopy(a) if isinstance(a, diffusion.NoiseSchedule) else a
               for a in args))


def _scalar(x: object, what: str) -> torch.Tensor:
    x = expect_tensor(x, what)
    if x.numel() != 1:
        fail(f"{what} as one number (a scalar tensor, averaged over the batch)", describe(x))
    return x.reshape(())


def _close_or_name_the_mistake(got: object, want: torch.Tensor, what: str, mistakes: list[tuple[str, torch.Tensor]],
                               atol: float = 1e-5, rtol: float = 1e-4) -> torch.Tensor:
    """expect_close, and when it fails and ``got`` equals one of the typical mistakes, the note that names it."""
    try:
        return expect_close(got, want, what, atol=atol, rtol=rtol)
    except CaseFailure as failure:
        got_d = _d(got)
        for note, alternative in mistakes:
            alternative = _d(torch.as_tensor(alternative))
            if alternative.shape == got_d.shape and torch.allclose(got_d, alternative, atol=atol, rtol=rtol):
                raise CaseFailure(failure.expected, failure.got, note) from None
        raise


# ---------------------------------------------------------------- 6.1 q_sample

def q_sample(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule: diffusion.NoiseSchedule) -> torch.Tensor:
    """x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise for x0 (N x C x H x W) and t (N,), one step per image."""
    return diffusion.q_sample(x0, t, noise, schedule)


def _q_formula(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, alpha_bar: torch.Tensor) -> torch.Tensor:
    a = _at(alpha_bar, t, x0)  # N x 1 x 1 x 1
    return a.sqrt() * _d(x0) + (1 - a).sqrt() * _d(noise)


def _q_mistakes(x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor, schedule) -> list[tuple[str, torch.Tensor]]:
    a, x, e = _at(schedule.alpha_bar, t, x0), _d(x0), _d(noise)
    return [
        ("alpha_t = 1 - beta_t is one step; q(x_t | x_0) needs their product alpha_bar_t = schedule.alpha_bar[t]",
         _q_formula(x0, t, noise, schedule.alphas)),
        ("the coefficients are square roots: sqrt(alpha_bar_t) and sqrt(1 - alpha_bar_t)", a * x + (1 - a) * e),
        ("each image has its own step: index with the whole t (shape N, not t[0]) and reshape to N x 1 x 1 x 1",
         _q_formula(x0, torch.full_like(t, int(t[0])), noise, schedule.alpha_bar)),
        ("sqrt(alpha_bar_t) multiplies x0 and sqrt(1 - alpha_bar_t) the noise, not the other way round",
         (1 - a).sqrt() * x + a.sqrt() * e),
        ("timesteps are 0-based: schedule.alpha_bar[t], not schedule.alpha_bar[t - 1]", _q_formula(x0, t - 1, noise, schedule.alpha_bar)),
    ]


def _expect_x_t(f, x0, t, noise, schedule, device, what: str) -> torch.Tensor:
    out = expect_shape(expect_tensor(_on_copies(f, x0, t, noise, schedule), "x_t"), tuple(x0.shape), "x_t (the shape of x0)")
    expect_device(out, device, "x_t")
    return _close_or_name_the_mistake(out, _q_formula(x0, t, noise, schedule.alpha_bar), what, _q_mistakes(x0, t, noise, schedule))


def is_sqrt_alpha_bar_times_x0_when_the_noise_is_0(f, device):
    """gives sqrt(alpha_bar_t) x0 when the noise is 0, with its own t for each image"""
    x0 = _randn((4, 1, 4, 4), device, 1)
    t = torch.tensor([0, 6, 13, 19], device=device)
    _expect_x_t(f, x0, t, torch.zeros_like(x0), _linear(device), device, "x_t for noise 0 and t = [0, 6, 13, 19]")


def is_sqrt_one_minus_alpha_bar_times_the_noise_when_x0_is_0(f, device):
    """gives sqrt(1 - alpha_bar_t) noise when x0 is 0"""
    noise = _randn((4, 1, 4, 4), device, 2)
    t = torch.tensor([19, 2, 0, 9], device=device)
    _expect_x_t(f, torch.zeros_like(noise), t, noise, _linear(device), device, "x_t for x0 = 0 and t = [19, 2, 0, 9]")


def matches_the_formula_on_random_images_and_steps(f, device):
    """matches sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) noise on random images, noise and steps"""
    x0, noise = _randn((6, 1, 8, 8), device, 3), _randn((6, 1, 8, 8), device, 4)
    t = torch.randint(0, 20, (6,), generator=case_generator(5)).to(device)
    _expect_x_t(f, x0, t, noise, _linear(device), device, "x_t")


def works_for_colour_images_and_a_cosine_schedule(f, device):
    """works for 3-channel images and a cosine schedule, the last step T - 1 included"""
    x0, noise = _randn((5, 3, 4, 4), device, 6), _randn((5, 3, 4, 4), device, 7)
    t = torch.tensor([11, 0, 5, 11, 2], device=device)
    _expect_x_t(f, x0, t, noise, diffusion.cosine_schedule(12).to(device), device, "x_t for a cosine schedule, T = 12")


def passes_gradients_to_x0(f, device):
    """passes gradients back to x0: d x_t / d x0 = sqrt(alpha_bar_t)"""
    schedule = _linear(device)
    x0 = _randn((3, 1, 4, 4), device, 8).requires_grad_(True)
    t = torch.tensor([1, 10, 18], device=device)
    out = expect_tensor(_on_copies(f, x0, t, _randn((3, 1, 4, 4), device, 9), schedule), "x_t")
    if not out.requires_grad:
        fail("x_t that carries gradients back to x0", "a tensor without a gradient", "do not detach x0 or leave torch")
    (grad,) = torch.autograd.grad(out.sum(), x0)
    expect_close(grad, _at(schedule.alpha_bar, t, x0).sqrt().expand(3, 1, 4, 4), "d x_t / d x0 (sqrt(alpha_bar_t))", atol=1e-5)


def _q_alpha_t(x0, t, noise, schedule):
    a = schedule.alphas[t].view(-1, 1, 1, 1)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def _q_no_sqrt(x0, t, noise, schedule):
    a = schedule.alpha_bar[t].view(-1, 1, 1, 1)
    return a * x0 + (1 - a) * noise


def _q_first_t_for_all(x0, t, noise, schedule):
    a = schedule.alpha_bar[t[0]]
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def _q_swapped(x0, t, noise, schedule):
    a = schedule.alpha_bar[t].view(-1, 1, 1, 1)
    return (1 - a).sqrt() * x0 + a.sqrt() * noise


def _q_t_minus_1(x0, t, noise, schedule):
    a = schedule.alpha_bar[t - 1].view(-1, 1, 1, 1)
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def _q_with_the_stored_square_roots(x0, t, noise, schedule):
    return schedule.sqrt_alpha_bar[t][:, None, None, None] * x0 + schedule.sqrt_one_minus_alpha_bar[t][:, None, None, None] * noise


def _q_from_the_betas(x0, t, noise, schedule):
    alpha_bar = torch.cumprod(1 - schedule.betas, dim=0)
    a = alpha_bar.gather(0, t).reshape(len(t), *([1] * (x0.dim() - 1)))
    return torch.sqrt(a) * x0 + torch.sqrt(1 - a) * noise


register(Exercise(
    id="6.1",
    title="sampling the forward process q(x_t | x_0)",
    reference=q_sample,
    visible_cases=[is_sqrt_alpha_bar_times_x0_when_the_noise_is_0, is_sqrt_one_minus_alpha_bar_times_the_noise_when_x0_is_0,
                   matches_the_formula_on_random_images_and_steps],
    hidden_cases=[works_for_colour_images_and_a_cosine_schedule, passes_gradients_to_x0],
    wrong_answers=[
        ("uses alpha_t instead of alpha_bar_t", _q_alpha_t),
        ("forgets the square roots", _q_no_sqrt),
        ("uses t[0] for every image", _q_first_t_for_all),
        ("swaps the two coefficients", _q_swapped),
        ("indexes the schedule at t - 1", _q_t_minus_1),
    ],
    equivalent_answers=[
        ("uses schedule.sqrt_alpha_bar and sqrt_one_minus_alpha_bar with [:, None, None, None]", _q_with_the_stored_square_roots),
        ("recomputes alpha_bar by torch.cumprod of 1 - betas, gathers and reshapes", _q_from_the_betas),
    ],
    hint="a = schedule.alpha_bar[t].view(-1, 1, 1, 1) (one value per image, broadcast over the pixels); "
         "return a.sqrt() * x0 + (1 - a).sqrt() * noise.",
))


# ---------------------------------------------------------------- 6.2 noise_prediction_loss

def noise_prediction_loss(model: nn.Module, x0: torch.Tensor, schedule: diffusion.NoiseSchedule) -> torch.Tensor:
    """L_simple: t ~ U{0..T-1} per image, eps ~ N(0, I), x_t by q_sample, the mean squared error of model(x_t, t) to eps."""
    return diffusion.noise_prediction_loss(model, x0, schedule)


def _spy_prediction(scale: torch.Tensor, x_t: torch.Tensor, t: object, T: int) -> torch.Tensor:
    """What the stand-in network predicts: scale * x_t + t / T (deterministic, so the grader can recompute the loss)."""
    t = torch.as_tensor(t, device=x_t.device).float().reshape(-1)
    shift = t.view(-1, *([1] * (x_t.dim() - 1))) if t.numel() == len(x_t) else t.mean()
    return scale * x_t + shift / T


class _SpyDenoiser(nn.Module):
    """A stand-in eps_theta(x_t, t): records the x_t and t it is called with; one parameter, ``scale``."""

    def __init__(self, T: int) -> None:
        super().__init__()
        self.T = T
        self.scale = nn.Parameter(torch.tensor(0.5))
        self.seen_x: list[torch.Tensor] = []
        self.seen_t: list[torch.Tensor] = []

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        self.seen_x.append(x_t.detach().clone())
        self.seen_t.append(torch.as_tensor(t).detach().clone())
        return _spy_prediction(self.scale, x_t, t, self.T)


def _spy_loss(f, shape: tuple[int, ...], schedule, device, seed: int):
    x0 = _randn(shape, device, seed)
    model = _SpyDenoiser(schedule.T).to(device)
    loss = _scalar(_on_copies(f, model, x0, schedule), "the loss")
    return loss, model, x0


def _seen(model: _SpyDenoiser, x0: torch.Tensor, schedule) -> tuple[torch.Tensor, torch.Tensor]:
    """The x_t and t of the model's last call, checked: one integer step per image in 0 .. T-1, x_t shaped like x0."""
    if not model.seen_t:
        fail("a call model(x_t, t) that predicts the noise", "no call of the model", "eps_pred = model(x_t, t)")
    x_t, t = model.seen_x[-1].to(x0.device), model.seen_t[-1].to(x0.device)
    n, T = len(x0), schedule.T
    if t.shape != (n,):
        fail(f"t of shape ({n},), one timestep per image", describe(t), "t = torch.randint(0, schedule.T, (len(x0),), device=x0.device)")
    if t.is_floating_point():
        fail("integer timesteps (a LongTensor, as torch.randint gives)", describe(t))
    if int(t.min()) < 0 or int(t.max()) > T - 1:
        fail(f"timesteps in 0 .. {T - 1} (0-based, T = {T})", f"values in {int(t.min())} .. {int(t.max())}",
             "torch.randint(0, T, ...) draws from 0 .. T-1: its upper bound is left out")
    if n > 1 and len(t.unique()) == 1:
        fail(f"a separate timestep for each of the {n} images, drawn independently", f"t = {int(t[0])} for every image",
             "t = torch.randint(0, schedule.T, (len(x0),), device=x0.device), not one number for the whole batch")
    expect_shape(x_t, tuple(x0.shape), "the x_t passed to the model (the shape of x0)")
    return x_t, t


def _noise_in(x_t: torch.Tensor, t: torch.Tensor, x0: torch.Tensor, schedule) -> torch.Tensor:
    """The eps that x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps holds (q_sample solved for eps)."""
    return (_d(x_t) - _at(schedule.sqrt_alpha_bar, t, x0) * _d(x0)) / _at(schedule.sqrt_one_minus_alpha_bar, t, x0)


def _expect_gaussian_noise(eps: torch.Tensor) -> None:
    mean, std = float(eps.mean()), float(eps.std())
    if abs(mean) > 0.2 or not 0.8 < std < 1.2:
        fail("x_t = sqrt(alpha_bar_t) x0 + sqrt(1 - alpha_bar_t) eps with eps ~ N(0, I), at the t passed to the model",
             f"an x_t whose eps has mean {mean:.3g} and standard deviation {std:.3g}",
             "eps = torch.randn_like(x0); build x_t as in exercise 6.1 with the same t that the model receives")


def calls_the_model_with_one_step_per_image(f, device):
    """calls model(x_t, t) with x_t shaped like x0 and its own t in 0 .. T-1 for each image"""
    schedule = diffusion.linear_schedule(10, beta_start=0.05, beta_end=0.5).to(device)
    _, model, x0 = _spy_loss(f, (16, 1, 4, 4), schedule, device, 10)
    _seen(model, x0, schedule)


def is_the_mean_squared_error_to_the_noise(f, device):
    """returns the mean over every pixel of (model(x_t, t) - eps)^2, eps the noise in x_t"""
    schedule = diffusion.linear_schedule(10, beta_start=0.05, beta_end=0.5).to(device)
    loss, model, x0 = _spy_loss(f, (16, 1, 8, 8), schedule, device, 11)
    x_t, t = _seen(model, x0, schedule)
    eps = _noise_in(x_t, t, x0, schedule)
    _expect_gaussian_noise(eps)
    pred = _spy_prediction(model.scale.detach().double().cpu(), _d(x_t), t.cpu(), schedule.T)
    _close_or_name_the_mistake(loss, ((pred - eps) ** 2).mean(), "the loss for the model's prediction and the noise in x_t", [
        ("the network predicts the noise: the target is the eps that made x_t, not x0", ((pred - _d(x0)) ** 2).mean()),
        ("the loss squares the errors (F.mse_loss), it does not take their absolute value", (pred - eps).abs().mean()),
        ("average over the images and pixels (F.mse_loss's default), do not sum", ((pred - eps) ** 2).sum()),
        ("average over the pixels too, not only over the images", ((pred - eps) ** 2).flatten(1).sum(1).mean()),
    ], atol=1e-5, rtol=1e-4)


def draws_every_step_about_equally_often(f, device):
    """draws t uniformly: each step 0 .. T-1 about equally often over 2000 images"""
    schedule = diffusion.linear_schedule(10, beta_start=0.05, beta_end=0.5).to(device)
    _, model, x0 = _spy_loss(f, (2000, 1, 2, 2), schedule, device, 12)
    _, t = _seen(model, x0, schedule)
    counts = torch.bincount(t.cpu(), minlength=schedule.T)
    if bool((counts < 100).any() or (counts > 300).any()):
        note = ("t = 0 is never drawn: the steps start at 0" if counts[0] == 0 else
                "t = T - 1 is never drawn: torch.randint(0, T, ...) already leaves T out, so do not write T - 1" if counts[-1] == 0 else
                "t = torch.randint(0, schedule.T, (len(x0),)) gives every step the same chance")
        fail(f"each of the {schedule.T} steps about 200 times (t uniform in 0 .. {schedule.T - 1})", f"counts {counts.tolist()}", note)


def gives_the_models_parameters_a_gradient(f, device):
    """is differentiable: the loss carries a gradient to the model's parameters"""
    schedule = _linear(device)
    loss, model, x0 = _spy_loss(f, (8, 1, 4, 4), schedule, device, 13)
    if not loss.requires_grad:
        fail("a loss that carries gradients to the model's parameters", "a loss with no gradient", "do not .detach() or .item() it")
    loss.backward()
    x_t, t = _seen(model, x0, schedule)
    eps = _noise_in(x_t, t, x0, schedule)
    pred = _spy_prediction(model.scale.detach().double().cpu(), _d(x_t), t.cpu(), schedule.T)
    if model.scale.grad is None:
        fail("a gradient in the model's parameters after loss.backward()", "no gradient")
    expect_close(model.scale.grad.reshape(()), (2 * (pred - eps) * _d(x_t)).mean(), "d loss / d (the model's scale)", atol=1e-4, rtol=1e-3)


def works_for_colour_images_and_fresh_draws(f, device):
    """works for 3-channel images and a cosine schedule, with new t and noise at every call"""
    schedule = diffusion.cosine_schedule(12).to(device)
    x0 = _randn((6, 3, 4, 4), device, 14)
    model = _SpyDenoiser(schedule.T).to(device)
    first = _scalar(_on_copies(f, model, x0, schedule), "the loss")
    x_first, t_first = _seen(model, x0, schedule)
    second = _scalar(_on_copies(f, model, x0, schedule), "the loss")
    x_second, t_second = _seen(model, x0, schedule)
    eps = _noise_in(x_second, t_second, x0, schedule)
    pred = _spy_prediction(model.scale.detach().double().cpu(), _d(x_second), t_second.cpu(), schedule.T)
    expect_close(second, ((pred - eps) ** 2).mean(), "the loss for 3 x 4 x 4 images", atol=1e-5, rtol=1e-4)
    if torch.equal(x_first.cpu(), x_second.cpu()) and torch.equal(t_first.cpu(), t_second.cpu()):
        fail("new t and noise at every call", "the same x_t and t twice", "do not reseed inside the loss (no torch.manual_seed)")
    del first


def _forward(x0, t, noise, schedule):
    return diffusion.q_sample(x0, t, noise, schedule)


def _loss_one_t_for_the_batch(model, x0, schedule):
    t = torch.randint(0, schedule.T, (1,), device=x0.device).expand(len(x0))
    noise = torch.randn_like(x0)
    return F.mse_loss(model(_forward(x0, t, noise, schedule), t), noise)


def _loss_t_from_1_to_T(model, x0, schedule):
    t = torch.randint(1, schedule.T + 1, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    return F.mse_loss(model(_forward(x0, t, noise, schedule), t), noise)


def _loss_t_always_0(model, x0, schedule):
    t = torch.zeros(len(x0), dtype=torch.long, device=x0.device)
    noise = torch.randn_like(x0)
    return F.mse_loss(model(_forward(x0, t, noise, schedule), t), noise)


def _loss_never_the_last_step(model, x0, schedule):
    t = torch.randint(0, schedule.T - 1, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    return F.mse_loss(model(_forward(x0, t, noise, schedule), t), noise)


def _loss_to_x0(model, x0, schedule):
    t = torch.randint(0, schedule.T, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    return F.mse_loss(model(_forward(x0, t, noise, schedule), t), x0)


def _loss_l1(model, x0, schedule):
    t = torch.randint(0, schedule.T, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    return F.l1_loss(model(_forward(x0, t, noise, schedule), t), noise)


def _loss_sum(model, x0, schedule):
    t = torch.randint(0, schedule.T, (len(x0),), device=x0.device)
    noise = torch.randn_like(x0)
    return ((model(_forward(x0, t, noise, schedule), t) - noise) ** 2).sum()


def _loss_by_hand(model, x0, schedule):
    n = x0.shape[0]
    t = torch.randint(0, schedule.T, (n,), device=x0.device)
    eps = torch.randn(x0.shape, device=x0.device)
    a = schedule.alpha_bar[t].reshape(n, 1, 1, 1)
    x_t = torch.sqrt(a) * x0 + torch.sqrt(1 - a) * eps
    return (eps - model(x_t, t)).pow(2).mean()


def _loss_with_floor_of_rand(model, x0, schedule):
    t = (torch.rand(len(x0)) * schedule.T).long().to(x0.device)
    noise = torch.randn_like(x0)
    return nn.MSELoss()(model(diffusion.q_sample(x0, t, noise, schedule), t), noise)


register(Exercise(
    id="6.2",
    title="the noise-prediction loss",
    reference=noise_prediction_loss,
    visible_cases=[calls_the_model_with_one_step_per_image, is_the_mean_squared_error_to_the_noise, draws_every_step_about_equally_often],
    hidden_cases=[gives_the_models_parameters_a_gradient, works_for_colour_images_and_fresh_draws],
    wrong_answers=[
        ("one t for the whole batch", _loss_one_t_for_the_batch),
        ("draws t in 1 .. T (T is out of range)", _loss_t_from_1_to_T),
        ("t always 0", _loss_t_always_0),
        ("never draws t = T - 1 (torch.randint(0, T - 1, ...))", _loss_never_the_last_step),
        ("the MSE to x0 instead of the noise", _loss_to_x0),
        ("the L1 error instead of the squared error", _loss_l1),
        ("sums instead of averaging", _loss_sum),
    ],
    equivalent_answers=[
        ("writes the forward process by hand, (eps - model(x_t, t)).pow(2).mean()", _loss_by_hand),
        ("t from (torch.rand(N) * T).long() on the CPU, nn.MSELoss()", _loss_with_floor_of_rand),
    ],
    hint="t = torch.randint(0, schedule.T, (len(x0),), device=x0.device); noise = torch.randn_like(x0); "
         "x_t = q_sample(x0, t, noise, schedule); return F.mse_loss(model(x_t, t), noise).",
))


# ---------------------------------------------------------------- 6.3 ddpm_step

def ddpm_step(eps: torch.Tensor, x_t: torch.Tensor, t: int, schedule: diffusion.NoiseSchedule, noise: torch.Tensor) -> torch.Tensor:
    """One ancestral step x_t -> x_{t-1} for the step t (an int, the same for the whole batch):
    1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) + sqrt(beta_tilde_t) noise, without the noise at t = 0."""
    return diffusion.ddpm_step(eps, x_t, t, schedule, noise)


def _step_numbers(schedule, t: int) -> tuple[float, float, float, float]:
    """beta_t, alpha_t, alpha_bar_t and beta_tilde_t (the posterior variance) as Python floats."""
    return tuple(float(v.detach().double().cpu()[t]) for v in (schedule.betas, schedule.alphas, schedule.alpha_bar, schedule.posterior_variance))


def _step_mean(eps: torch.Tensor, x_t: torch.Tensor, t: int, schedule) -> torch.Tensor:
    beta, alpha, alpha_bar, _ = _step_numbers(schedule, t)
    return (_d(x_t) - beta / math.sqrt(1 - alpha_bar) * _d(eps)) / math.sqrt(alpha)


def _call_step(f, eps, x_t, t, schedule, noise, device) -> torch.Tensor:
    """The step's output, checked for shape and device, and for giving the same result twice for the same noise."""
    out = expect_shape(expect_tensor(_on_copies(f, eps, x_t, t, schedule, noise), "x_{t-1}"), tuple(x_t.shape), "x_{t-1} (the shape of x_t)")
    expect_device(out, device, "x_{t-1}")
    again = expect_tensor(_on_copies(f, eps, x_t, t, schedule, noise), "x_{t-1}")
    if again.shape == out.shape and not torch.allclose(_d(again), _d(out), atol=1e-6):
        fail("the same x_{t-1} for the same eps, x_t, t and noise", "two different results",
             "use the noise argument; do not draw new noise inside the step")
    return out


def _noise_multiple(got: torch.Tensor, mean: torch.Tensor, noise: torch.Tensor) -> float | None:
    """c when got = mean + c * noise (to within 1e-4), else None."""
    r, z = _d(got) - mean, _d(noise)
    c = float((r * z).sum() / (z * z).sum())
    return c if float((r - c * z).abs().max()) < 1e-4 * (1 + float(mean.abs().max())) else None


def is_the_mean_when_the_noise_is_0(f, device):
    """returns 1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - alpha_bar_t) eps) when the noise is 0 (t = 7)"""
    schedule, t = _linear(device), 7
    eps, x_t = _randn((4, 1, 4, 4), device, 20), _randn((4, 1, 4, 4), device, 21)
    out = _call_step(f, eps, x_t, t, schedule, torch.zeros_like(x_t), device)
    beta, alpha, alpha_bar, _ = _step_numbers(schedule, t)
    _close_or_name_the_mistake(out, _step_mean(eps, x_t, t, schedule), "x_{t-1} for noise 0", [
        ("the factor in front is 1 / sqrt(alpha_t) of this one step (schedule.alphas[t]), not 1 / sqrt(alpha_bar_t)",
         (_d(x_t) - beta / math.sqrt(1 - alpha_bar) * _d(eps)) / math.sqrt(alpha_bar)),
        ("eps is scaled by beta_t / sqrt(1 - alpha_bar_t), not by sqrt(1 - alpha_bar_t)",
         (_d(x_t) - math.sqrt(1 - alpha_bar) * _d(eps)) / math.sqrt(alpha)),
        ("that is x0_hat, the estimate of x_0; one step goes back to x_{t-1} only",
         (_d(x_t) - math.sqrt(1 - alpha_bar) * _d(eps)) / math.sqrt(alpha_bar)),
    ], atol=1e-4, rtol=1e-4)


def adds_no_noise_at_t_0(f, device):
    """returns the mean alone at t = 0: the last step adds no noise"""
    schedule = _linear(device)
    eps, x_t, noise = _randn((4, 1, 4, 4), device, 22), _randn((4, 1, 4, 4), device, 23), _randn((4, 1, 4, 4), device, 24)
    out = _call_step(f, eps, x_t, 0, schedule, noise, device)
    mean = _step_mean(eps, x_t, 0, schedule)
    try:
        expect_close(out, mean, "x_0 for t = 0 (the mean, no noise)", atol=1e-4, rtol=1e-4)
    except CaseFailure as failure:
        c = _noise_multiple(out, mean, noise)
        if c is not None and abs(c) > 1e-6:
            raise CaseFailure(failure.expected, failure.got,
                              f"at t = 0 the step must not add noise (yours adds {c:.3g} * noise): it returns the mean, x_0") from None
        raise


def adds_sqrt_beta_tilde_noise_at_t_above_0(f, device):
    """adds sqrt(beta_tilde_t) times the given noise at t > 0 (t = 12)"""
    schedule, t = _linear(device), 12
    eps, x_t, noise = _randn((4, 1, 4, 4), device, 25), _randn((4, 1, 4, 4), device, 26), _randn((4, 1, 4, 4), device, 27)
    out = _call_step(f, eps, x_t, t, schedule, noise, device)
    beta, _, _, var = _step_numbers(schedule, t)
    mean = _step_mean(eps, x_t, t, schedule)
    try:
        expect_close(out, mean + math.sqrt(var) * _d(noise), "x_{t-1} = mean + sqrt(beta_tilde_t) * noise", atol=1e-4, rtol=1e-4)
    except CaseFailure as failure:
        c = _noise_multiple(out, mean, noise)
        notes = [(0.0, "the noise term is missing: add sqrt(beta_tilde_t) * noise for t > 0"),
                 (var, "the noise is scaled by the standard deviation sqrt(beta_tilde_t), not by the variance beta_tilde_t"),
                 (math.sqrt(beta), "the course's samplers use the posterior variance beta_tilde_t = beta_t (1 - alpha_bar_{t-1}) / "
                                   "(1 - alpha_bar_t) (schedule.posterior_variance), not beta_t")]
        for value, note in notes:
            if c is not None and abs(c - value) < 1e-4:
                raise CaseFailure(failure.expected, failure.got, note) from None
        raise


def is_the_posterior_mean_for_the_true_noise(f, device):
    """with the true noise as eps, the noise-free step is the posterior mean of q(x_{t-1} | x_t, x_0)"""
    schedule, t = _linear(device), 9
    x0, eps = _randn((3, 1, 8, 8), device, 28), _randn((3, 1, 8, 8), device, 29)
    x_t = (_q_formula(x0, torch.full((3,), t, dtype=torch.long), eps, schedule.alpha_bar)).float().to(device)
    out = _call_step(f, eps, x_t, t, schedule, torch.zeros_like(x_t), device)
    coef_x0, coef_xt = (float(v.detach().double().cpu()[t]) for v in (schedule.posterior_coef_x0, schedule.posterior_coef_xt))
    expect_close(out, coef_x0 * _d(x0) + coef_xt * _d(x_t), "mu_tilde(x_t, x_0) for t = 9", atol=1e-4, rtol=1e-4)


def works_at_the_first_and_last_steps_for_colour_images(f, device):
    """works for 3-channel images at t = 1 and at the last step t = T - 1 of a 50-step schedule"""
    schedule = diffusion.linear_schedule(50, beta_start=1e-4, beta_end=0.05).to(device)
    for t, seed in ((1, 30), (49, 33)):
        eps, x_t, noise = _randn((3, 3, 8, 8), device, seed), _randn((3, 3, 8, 8), device, seed + 1), _randn((3, 3, 8, 8), device, seed + 2)
        out = _call_step(f, eps, x_t, t, schedule, noise, device)
        var = _step_numbers(schedule, t)[3]
        expect_close(out, _step_mean(eps, x_t, t, schedule) + math.sqrt(var) * _d(noise), f"x_{{t-1}} for t = {t}, T = 50", atol=1e-4, rtol=1e-4)


def _mean_of_step(eps, x_t, t, schedule):
    return (x_t - schedule.betas[t] / (1 - schedule.alpha_bar[t]).sqrt() * eps) / schedule.alphas[t].sqrt()


def _step_beta_variance_everywhere(eps, x_t, t, schedule, noise):
    return _mean_of_step(eps, x_t, t, schedule) + schedule.betas[t].sqrt() * noise


def _step_wrapped_alpha_bar_prev(eps, x_t, t, schedule, noise):
    var = schedule.betas[t] * (1 - schedule.alpha_bar[t - 1]) / (1 - schedule.alpha_bar[t])  # alpha_bar[-1] at t = 0
    return _mean_of_step(eps, x_t, t, schedule) + var.sqrt() * noise


def _step_alpha_bar_factor(eps, x_t, t, schedule, noise):
    mean = (x_t - schedule.betas[t] / (1 - schedule.alpha_bar[t]).sqrt() * eps) / schedule.alpha_bar[t].sqrt()
    return mean + (schedule.posterior_variance[t].sqrt() * noise if t > 0 else 0)


def _step_no_noise(eps, x_t, t, schedule, noise):
    return _mean_of_step(eps, x_t, t, schedule)


def _step_variance_not_std(eps, x_t, t, schedule, noise):
    return _mean_of_step(eps, x_t, t, schedule) + (schedule.posterior_variance[t] * noise if t > 0 else 0)


def _step_beta_variance_skips_t0(eps, x_t, t, schedule, noise):
    return _mean_of_step(eps, x_t, t, schedule) + (schedule.betas[t].sqrt() * noise if t > 0 else 0)


def _step_own_noise(eps, x_t, t, schedule, noise):
    return _mean_of_step(eps, x_t, t, schedule) + (schedule.posterior_variance[t].sqrt() * torch.randn_like(x_t) if t > 0 else 0)


def _step_through_x0_hat(eps, x_t, t, schedule, noise):
    x0_hat = (x_t - schedule.sqrt_one_minus_alpha_bar[t] * eps) / schedule.sqrt_alpha_bar[t]
    mean = schedule.posterior_coef_x0[t] * x0_hat + schedule.posterior_coef_xt[t] * x_t
    return mean + schedule.posterior_variance[t].sqrt() * noise  # beta_tilde_0 = 0: no noise at t = 0 anyway


def _step_with_an_if(eps, x_t, t, schedule, noise):
    beta, alpha, alpha_bar = schedule.betas[t], 1 - schedule.betas[t], schedule.alpha_bar[t]
    mean = 1 / torch.sqrt(alpha) * (x_t - beta / torch.sqrt(1 - alpha_bar) * eps)
    if t == 0:
        return mean
    sigma = torch.sqrt(beta * (1 - schedule.alpha_bar[t - 1]) / (1 - alpha_bar))
    return mean + sigma * noise


register(Exercise(
    id="6.3",
    title="one DDPM reverse step",
    reference=ddpm_step,
    visible_cases=[is_the_mean_when_the_noise_is_0, adds_no_noise_at_t_0, adds_sqrt_beta_tilde_noise_at_t_above_0],
    hidden_cases=[is_the_posterior_mean_for_the_true_noise, works_at_the_first_and_last_steps_for_colour_images],
    wrong_answers=[
        ("adds noise at t = 0 (sigma^2 = beta_t at every step)", _step_beta_variance_everywhere),
        ("adds noise at t = 0 (alpha_bar[t - 1] wraps to the last step)", _step_wrapped_alpha_bar_prev),
        ("uses alpha_bar_t in the 1 / sqrt factor", _step_alpha_bar_factor),
        ("forgets the noise term", _step_no_noise),
        ("adds variance * noise (no square root)", _step_variance_not_std),
        ("uses beta_t as the variance", _step_beta_variance_skips_t0),
        ("draws its own noise", _step_own_noise),
    ],
    equivalent_answers=[
        ("through x0_hat and the posterior coefficients, noise at every step (beta_tilde_0 = 0)", _step_through_x0_hat),
        ("the mean, an if for t == 0, sigma from alpha_bar[t - 1]", _step_with_an_if),
    ],
    hint="mean = (x_t - schedule.betas[t] / (1 - schedule.alpha_bar[t]).sqrt() * eps) / schedule.alphas[t].sqrt(); "
         "return mean at t = 0, else mean + schedule.posterior_variance[t].sqrt() * noise.",
))


# ---------------------------------------------------------------- 6.4 guided_eps

def guided_eps(eps_cond: torch.Tensor, eps_uncond: torch.Tensor, w: float) -> torch.Tensor:
    """Classifier-free guidance (Ho & Salimans 2022, eq. 6): (1 + w) eps_cond - w eps_uncond; w = 0 is the conditional model."""
    return diffusion.guided_eps(eps_cond, eps_uncond, w)


_CONVENTION = ("in this course w = 0 means no guidance, the conditional model alone: (1 + w) eps_cond - w eps_uncond "
               "(Ho & Salimans 2022, eq. 6). eps_uncond + s (eps_cond - eps_uncond) is the same rule with s = 1 + w "
               "(diffusers' guidance_scale); written with w, it is off by one")


def _pair(shape: tuple[int, ...], device: torch.device, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    return _randn(shape, device, seed), _randn(shape, device, seed + 1)


def _expect_guided(f, c, u, w, device, what) -> torch.Tensor:
    out = expect_shape(expect_tensor(_on_copies(f, c, u, w), "the guided eps"), tuple(c.shape), "the guided eps (the shape of eps_cond)")
    expect_device(out, device, "the guided eps")
    cd, ud = _d(c), _d(u)
    return _close_or_name_the_mistake(out, (1 + w) * cd - w * ud, what, [
        (_CONVENTION, ud + w * (cd - ud)),
        (_CONVENTION, w * cd + (1 - w) * ud),
        ("guidance changes the prediction for w != 0: (1 + w) eps_cond - w eps_uncond, not eps_cond alone", cd),
        ("guidance pushes away from eps_uncond: eps_cond + w (eps_cond - eps_uncond), with a plus sign", cd - w * (cd - ud)),
    ])


def is_eps_cond_when_w_is_0(f, device):
    """is eps_cond when w = 0 (no guidance: the conditional model)"""
    c, u = _pair((4, 1, 4, 4), device, 40)
    _expect_guided(f, c, u, 0.0, device, "the guided eps for w = 0")


def matches_one_plus_w_eps_cond_minus_w_eps_uncond(f, device):
    """matches (1 + w) eps_cond - w eps_uncond for w = 3"""
    c, u = _pair((4, 1, 4, 4), device, 42)
    _expect_guided(f, c, u, 3.0, device, "the guided eps for w = 3")


def is_eps_uncond_when_w_is_minus_1(f, device):
    """is eps_uncond when w = -1 (the rule is linear in w)"""
    c, u = _pair((2, 1, 8, 8), device, 44)
    _expect_guided(f, c, u, -1.0, device, "the guided eps for w = -1")


def works_for_a_fractional_w_and_colour_images(f, device):
    """works for w = 0.5 and for an integer w = 2 on 3-channel images"""
    c, u = _pair((3, 3, 4, 4), device, 46)
    _expect_guided(f, c, u, 0.5, device, "the guided eps for w = 0.5")
    _expect_guided(f, c, u, 2, device, "the guided eps for w = 2 (an int)")


def passes_gradients_to_both_predictions(f, device):
    """passes gradients to both predictions: 1 + w to eps_cond, -w to eps_uncond"""
    c, u = _pair((2, 1, 4, 4), device, 48)
    c.requires_grad_(True)
    u.requires_grad_(True)
    out = expect_tensor(_on_copies(f, c, u, 1.5), "the guided eps")
    if not out.requires_grad:
        fail("a result that carries gradients to eps_cond and eps_uncond", "a tensor without a gradient")
    grad_c, grad_u = torch.autograd.grad(out.sum(), (c, u), allow_unused=True)
    if grad_c is None or grad_u is None:
        fail("gradients for both eps_cond and eps_uncond", f"eps_cond {'with' if grad_c is not None else 'without'}, "
             f"eps_uncond {'with' if grad_u is not None else 'without'} a gradient")
    expect_close(grad_c, torch.full((2, 1, 4, 4), 2.5), "d / d eps_cond for w = 1.5")
    expect_close(grad_u, torch.full((2, 1, 4, 4), -1.5), "d / d eps_uncond for w = 1.5")


def _guide_interpolates(eps_cond, eps_uncond, w):
    return w * eps_cond + (1 - w) * eps_uncond


def _guide_scale_convention(eps_cond, eps_uncond, w):
    return eps_uncond + w * (eps_cond - eps_uncond)


def _guide_cond_only(eps_cond, eps_uncond, w):
    return eps_cond


def _guide_sign_flipped(eps_cond, eps_uncond, w):
    return eps_cond - w * (eps_cond - eps_uncond)


def _guide_as_a_difference(eps_cond, eps_uncond, w):
    return eps_cond + w * (eps_cond - eps_uncond)


def _guide_with_lerp(eps_cond, eps_uncond, w):
    return torch.lerp(eps_uncond, eps_cond, 1.0 + w)


register(Exercise(
    id="6.4",
    title="classifier-free guidance",
    reference=guided_eps,
    visible_cases=[is_eps_cond_when_w_is_0, matches_one_plus_w_eps_cond_minus_w_eps_uncond, is_eps_uncond_when_w_is_minus_1],
    hidden_cases=[works_for_a_fractional_w_and_colour_images, passes_gradients_to_both_predictions],
    wrong_answers=[
        ("w eps_cond + (1 - w) eps_uncond", _guide_interpolates),
        ("eps_uncond + w (eps_cond - eps_uncond): the guidance-scale convention", _guide_scale_convention),
        ("returns eps_cond only", _guide_cond_only),
        ("flips the sign of the guidance", _guide_sign_flipped),
    ],
    equivalent_answers=[
        ("eps_cond + w * (eps_cond - eps_uncond)", _guide_as_a_difference),
        ("torch.lerp(eps_uncond, eps_cond, 1 + w)", _guide_with_lerp),
    ],
    hint="w = 0 is the conditional model and w > 0 pushes away from the unconditional one: "
         "return (1 + w) * eps_cond - w * eps_uncond.",
))
