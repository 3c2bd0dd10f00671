"""Samplers: with an oracle that knows the true noise, every reverse process lands on x0; guidance and label dropout."""
import pytest
import torch
import torch.nn as nn

from course_lib.diffusion import (
    ddim_sample, ddim_step, ddim_timesteps, ddpm_sample, ddpm_step, drop_labels, guided_eps, inpaint, linear_schedule,
    noise_prediction_loss, posterior_mean, predict_x0, q_sample,
)
from course_lib.input_checks import CourseInputError


class Oracle(nn.Module):
    """eps(x_t, t) = (x_t - sqrt(alpha_bar_t) x0) / sqrt(1 - alpha_bar_t): the noise that takes this x0 to x_t."""

    null_label = 3

    def __init__(self, x0: torch.Tensor, schedule) -> None:
        super().__init__()
        self.register_buffer("x0", x0)
        self.schedule, self.seen_labels = schedule, []

    def forward(self, x_t, t, labels=None):
        if labels is not None:
            self.seen_labels.append(labels.clone())
        a = self.schedule.alpha_bar.to(x_t.device)[t].view(-1, 1, 1, 1)
        x0 = self.x0.repeat(len(x_t) // len(self.x0), 1, 1, 1)  # a guided batch holds the images twice
        return (x_t - a.sqrt() * x0) / (1 - a).sqrt()


def images(device, n=3):
    return torch.rand(n, 1, 8, 8, device=device) * 2 - 1


def test_predict_x0_with_the_true_noise_returns_x0(device):
    s, x0 = linear_schedule(1000), images(device)
    noise = torch.randn_like(x0)
    for t in (0, 10, 500, 900):
        ts = torch.full((3,), t, device=device)
        assert torch.allclose(predict_x0(noise, q_sample(x0, ts, noise, s), ts, s), x0, atol=1e-4)


def test_posterior_mean_equals_the_product_of_gaussians(device):
    s, x0 = linear_schedule(100, rescale=True), images(device)
    t = torch.tensor([1, 50, 99], device=device)
    x_t = q_sample(x0, t, torch.randn_like(x0), s)
    # q(x_{t-1} | x0) = N(sqrt(ab') x0, 1 - ab'), q(x_t | x_{t-1}) = N(sqrt(alpha) x_{t-1}, beta): multiply, in float64
    betas = s.betas.double().to(device)
    ab = torch.cumprod(1 - betas, 0)
    ab_prev, alpha, beta = ab[t - 1].view(-1, 1, 1, 1), (1 - betas[t]).view(-1, 1, 1, 1), betas[t].view(-1, 1, 1, 1)
    precision = 1 / (1 - ab_prev) + alpha / beta
    mean = (ab_prev.sqrt() * x0.double() / (1 - ab_prev) + alpha.sqrt() * x_t.double() / beta) / precision
    assert torch.allclose(posterior_mean(x0, x_t, t, s).double(), mean, atol=1e-5)
    assert torch.allclose(s.posterior_variance.double().to(device)[t], (1 / precision).flatten(), rtol=1e-4)
    eps = (x_t - s.sqrt_alpha_bar.to(device)[t].view(-1, 1, 1, 1) * x0) / s.sqrt_one_minus_alpha_bar.to(device)[t].view(-1, 1, 1, 1)
    assert torch.allclose(ddpm_step(eps, x_t, t, s, noise=torch.zeros_like(x0)).double(), mean, atol=1e-4)


def test_a_ddpm_step_with_the_true_noise_at_a_small_t_recovers_x0(device):
    s, x0 = linear_schedule(1000), images(device)
    noise = torch.randn_like(x0)
    t = torch.ones(3, dtype=torch.long, device=device)
    x_prev = ddpm_step(noise, q_sample(x0, t, noise, s), t, s, noise=torch.randn_like(x0))
    assert (x_prev - x0).abs().max() < 0.06  # sqrt(beta_tilde_1) + the noise left at step 0: about 0.01 each


def test_the_last_ddpm_step_adds_no_noise(device):
    s, x_t, eps = linear_schedule(10), images(device), images(device)
    t = torch.zeros(3, dtype=torch.long, device=device)
    assert torch.equal(ddpm_step(eps, x_t, t, s, noise=torch.randn_like(x_t)), ddpm_step(eps, x_t, t, s, noise=torch.zeros_like(x_t)))


def test_deterministic_ddim_with_an_oracle_maps_x_T_back_to_x0(device):
    s, x0 = linear_schedule(1000), images(device)
    x_T = q_sample(x0, torch.full((3,), 999, device=device), torch.randn_like(x0), s)
    out = ddim_sample(Oracle(x0, s), x0.shape, s, steps=10, x_T=x_T)
    assert torch.allclose(out, x0, atol=1e-3)


def test_ddpm_sampling_with_an_oracle_ends_on_x0(device):
    s, x0 = linear_schedule(50, rescale=True), images(device)
    out = ddpm_sample(Oracle(x0, s), x0.shape, s, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(out, x0, atol=1e-3)


def test_a_seeded_sampler_is_reproducible_and_eta_adds_noise(device):
    s, x0 = linear_schedule(50, rescale=True), images(device)
    model = Oracle(x0, s)
    one = ddim_sample(model, x0.shape, s, steps=5, generator=torch.Generator().manual_seed(1))
    two = ddim_sample(model, x0.shape, s, steps=5, generator=torch.Generator().manual_seed(1))
    assert torch.equal(one, two)
    x_t, t = images(device), torch.full((3,), 10, device=device)
    eps = torch.randn_like(x_t)
    assert not torch.allclose(ddim_step(eps, x_t, t, t - 5, s, eta=1.0), ddim_step(eps, x_t, t, t - 5, s, eta=0.0))


def test_ddim_timesteps_run_from_the_last_step_down_to_zero():
    assert ddim_timesteps(1000, 5) == [999, 749, 500, 250, 0]
    assert ddim_timesteps(10, 10) == list(range(9, -1, -1)) and ddim_timesteps(10, 1) == [9]
    with pytest.raises(CourseInputError, match=r"steps: expected an integer in 1 \.\. T = 10, got 11"):
        ddim_timesteps(10, 11)


def test_inpainting_keeps_the_known_pixels_and_an_oracle_fills_the_rest(device):
    s, x0 = linear_schedule(30, rescale=True), images(device)
    mask = torch.zeros(3, 1, 8, 8, device=device)
    mask[..., :4] = 1  # the left half is known
    out = inpaint(Oracle(x0, s), x0 * mask, mask, s, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[..., :4], x0[..., :4])
    assert torch.allclose(out, x0, atol=1e-3)  # the oracle knows the hidden half
    with pytest.raises(CourseInputError, match="mask: expected the shape of x_known"):
        inpaint(Oracle(x0, s), x0, torch.ones(3, 1, 4, 4, device=device), s)


def test_inpainting_on_a_respaced_chain_keeps_the_known_pixels_and_the_oracle_fills_the_rest(device):
    s, x0 = linear_schedule(30, rescale=True), images(device)
    mask = torch.zeros(3, 1, 8, 8, device=device)
    mask[..., 4:] = 1  # the right half is known
    model = Oracle(x0, s)
    out = inpaint(model, x0 * mask, mask, s, steps=6, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out[..., 4:], x0[..., 4:])
    assert torch.allclose(out, x0, atol=1e-3)
    with pytest.raises(CourseInputError, match="steps: expected an integer in 1 .. T = 30"):
        inpaint(model, x0, mask, s, steps=31)


def test_inpainting_respaced_on_all_T_steps_is_the_ddpm_chain(device):
    """S = T: DDIM's step with eta = 1 on consecutive timesteps is DDPM's posterior step, with the same noise draws."""
    s, x0 = linear_schedule(20), images(device)
    mask = torch.zeros(3, 1, 8, 8, device=device)
    mask[..., :3, :] = 1

    class Rough(Oracle):  # a wrong noise prediction, so that the steps matter
        def forward(self, x_t, t, labels=None):
            return 0.7 * super().forward(x_t, t, labels) + 0.1 * x_t

    chain = inpaint(Rough(x0, s), x0 * mask, mask, s, generator=torch.Generator().manual_seed(3), clip_x0=True)
    respaced = inpaint(Rough(x0, s), x0 * mask, mask, s, steps=20, generator=torch.Generator().manual_seed(3), clip_x0=True)
    fewer = inpaint(Rough(x0, s), x0 * mask, mask, s, steps=5, generator=torch.Generator().manual_seed(3), clip_x0=True)
    assert torch.allclose(chain, respaced, atol=1e-4)
    assert not torch.allclose(chain, fewer, atol=1e-2)


def test_guided_eps_with_w_zero_is_the_conditional_noise_and_w_extrapolates():
    eps_c, eps_u = torch.randn(2, 1, 4, 4), torch.randn(2, 1, 4, 4)
    assert torch.equal(guided_eps(eps_c, eps_u, 0.0), eps_c)
    assert torch.allclose(guided_eps(eps_c, eps_u, 2.0), 3 * eps_c - 2 * eps_u)


def test_guided_sampling_asks_the_model_about_the_labels_and_the_null_label():
    s, x0 = linear_schedule(5), images("cpu", 2)
    model = Oracle(x0, s)
    ddpm_sample(model, x0.shape, s, labels=torch.tensor([0, 2]), guidance=1.5)
    assert all(torch.equal(seen, torch.tensor([0, 2, 3, 3])) for seen in model.seen_labels) and len(model.seen_labels) == 5
    with pytest.raises(CourseInputError, match="guidance=1.5 needs labels"):
        ddim_sample(model, x0.shape, s, steps=2, guidance=1.5)


def test_label_dropout_with_p_uncond_one_uses_only_the_null_class():
    s, x0 = linear_schedule(10), images("cpu", 4)
    model = Oracle(x0, s)
    noise_prediction_loss(model, x0, s, labels=torch.tensor([0, 1, 2, 0]), p_uncond=1.0, generator=torch.Generator().manual_seed(0))
    assert torch.equal(model.seen_labels[-1], torch.full((4,), 3))
    kept = drop_labels(torch.zeros(1000, dtype=torch.long), 0.0, null_label=3)
    half = drop_labels(torch.zeros(1000, dtype=torch.long), 0.5, null_label=3, generator=torch.Generator().manual_seed(0))
    assert int((kept == 3).sum()) == 0 and 400 < int((half == 3).sum()) < 600


def test_samplers_refuse_bad_inputs_and_say_what_was_expected():
    s, x = linear_schedule(10), torch.zeros(2, 1, 4, 4)
    with pytest.raises(CourseInputError, match="eps: expected the shape of x_t"):
        ddpm_step(torch.zeros(2, 1, 4, 5), x, 3, s)
    with pytest.raises(CourseInputError, match="t_prev: expected earlier timesteps than t"):
        ddim_step(x, x, 3, 3, s)
    with pytest.raises(CourseInputError, match=r"t_prev: expected 0-based timesteps in -1 \.\. 9"):
        ddim_step(x, x, 3, -2, s)
    with pytest.raises(CourseInputError, match="eta: expected a value >= 0"):
        ddim_step(x, x, 3, 1, s, eta=-1.0)
    with pytest.raises(CourseInputError, match="shape: expected positive sizes"):
        ddpm_sample(Oracle(x, s), (2, 0, 4, 4), s)
    with pytest.raises(CourseInputError, match="p_uncond=0.5 drops labels, but no labels came"):
        noise_prediction_loss(Oracle(x, s), x, s, p_uncond=0.5)
    with pytest.raises(CourseInputError, match=r"p_uncond: expected a probability in \[0, 1\]"):
        noise_prediction_loss(Oracle(x, s), x, s, labels=torch.tensor([0, 1]), p_uncond=1.5)
