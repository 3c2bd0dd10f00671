"""Noise schedules and the forward process: alpha_bar falls from near 1 towards 0, q(x_t | x_0) has the stated marginal."""
import math

import pytest
import torch

from course_lib.diffusion import NoiseSchedule, cosine_schedule, linear_schedule, q_sample
from course_lib.input_checks import CourseInputError

SCHEDULES = {"linear": linear_schedule, "cosine": cosine_schedule}


@pytest.mark.parametrize("name", SCHEDULES)
@pytest.mark.parametrize("T", [1, 10, 1000])
def test_alpha_bar_is_strictly_decreasing_and_inside_the_unit_interval(name, T):
    a = SCHEDULES[name](T).alpha_bar
    assert a.shape == (T,) and a.dtype == torch.float32
    assert bool((a > 0).all()) and bool((a < 1).all())
    assert bool((a[1:] < a[:-1]).all())


@pytest.mark.parametrize("name, diffusers_name", [("linear", "linear"), ("cosine", "squaredcos_cap_v2")])
@pytest.mark.parametrize("T", [50, 1000])
def test_alpha_bar_matches_diffusers(name, diffusers_name, T):
    diffusers = pytest.importorskip("diffusers")
    theirs = diffusers.DDPMScheduler(num_train_timesteps=T, beta_schedule=diffusers_name).alphas_cumprod
    assert torch.allclose(SCHEDULES[name](T).alpha_bar.double(), theirs.double(), atol=1e-6, rtol=0)


def test_rescaled_linear_schedule_reaches_the_same_final_noise_with_fewer_steps():
    plain, rescaled, full = linear_schedule(100), linear_schedule(100, rescale=True), linear_schedule(1000)
    assert plain.alpha_bar[-1] > 0.3  # 100 steps of DDPM's betas leave much of the signal
    assert abs(math.log(rescaled.alpha_bar[-1]) - math.log(full.alpha_bar[-1])) < 0.1 * abs(math.log(full.alpha_bar[-1]))


@pytest.mark.parametrize("name", SCHEDULES)
def test_posterior_variance_is_zero_at_the_first_step_and_below_beta(name):
    s = SCHEDULES[name](100)
    assert s.posterior_variance[0] == 0
    assert bool((s.posterior_variance[1:] > 0).all()) and bool((s.posterior_variance <= s.betas + 1e-7).all())
    betas = torch.tensor([float(b) for b in s.betas], dtype=torch.float64)  # recomputed in float64, step by step
    ab = torch.cumprod(1 - betas, 0)
    expected = [0.0] + [float(betas[t] * (1 - ab[t - 1]) / (1 - ab[t])) for t in range(1, 100)]
    assert torch.allclose(s.posterior_variance.double(), torch.tensor(expected, dtype=torch.float64), rtol=1e-5, atol=1e-9)


def test_to_moves_every_tensor_and_keeps_the_values(device):
    s = cosine_schedule(20)
    moved = s.to(device)
    assert moved.alpha_bar.device.type == device.type and moved.posterior_variance.device.type == device.type
    assert torch.equal(moved.alpha_bar.cpu(), s.alpha_bar) and moved.T == 20 and s.alpha_bar.device.type == "cpu"


@pytest.mark.parametrize("t", [0, 40, 99])
def test_q_sample_has_the_marginal_of_the_forward_process(device, t):
    s = linear_schedule(100, rescale=True)
    x0 = torch.linspace(-1, 1, 8, device=device).view(1, 1, 2, 4)
    draws = 20_000
    noise = torch.randn(draws, 1, 2, 4, device=device)
    x_t = q_sample(x0.expand(draws, -1, -1, -1), torch.full((draws,), t, device=device), noise, s)
    a = float(s.alpha_bar[t])
    assert torch.allclose(x_t.mean(0), math.sqrt(a) * x0[0], atol=0.04)
    assert torch.allclose(x_t.var(0), torch.full_like(x0[0], 1 - a), rtol=0.05, atol=1e-5)


def test_q_sample_at_the_first_step_is_close_to_x0(device):
    x0 = torch.rand(4, 1, 28, 28, device=device) * 2 - 1
    x_t = q_sample(x0, torch.zeros(4, dtype=torch.long, device=device), torch.randn_like(x0), linear_schedule(1000))
    assert (x_t - x0).abs().max() < 0.06  # sqrt(1 - alpha_bar_0) = 0.01, so 6 sigma


def test_q_sample_takes_one_timestep_per_image(device):
    s = linear_schedule(100)
    x0, noise = torch.ones(2, 3, device=device), torch.zeros(2, 3, device=device)
    x_t = q_sample(x0, torch.tensor([0, 99], device=device), noise, s)
    assert torch.allclose(x_t[:, 0].cpu(), s.sqrt_alpha_bar[[0, 99]])


def test_bad_schedules_are_refused_with_what_was_expected():
    with pytest.raises(CourseInputError, match="T: expected an integer number of steps >= 1, got 0"):
        linear_schedule(0)
    with pytest.raises(CourseInputError, match=r"betas: expected every value in \(0, 1\)"):
        linear_schedule(10, beta_start=0.0)
    with pytest.raises(CourseInputError, match=r"betas: expected every value in \(0, 1\)"):
        NoiseSchedule(torch.tensor([0.5, 1.0]))
    with pytest.raises(CourseInputError, match="max_beta"):
        cosine_schedule(10, max_beta=1.0)


def test_q_sample_refuses_bad_timesteps_and_noise_and_says_what_came():
    s, x0 = linear_schedule(10), torch.zeros(2, 1, 4, 4)
    with pytest.raises(CourseInputError, match=r"0-based timesteps in 0 \.\. 9 \(T = 10\), got values in 3 \.\. 10"):
        q_sample(x0, torch.tensor([3, 10]), torch.randn_like(x0), s)
    with pytest.raises(CourseInputError, match="integer tensor"):
        q_sample(x0, torch.tensor([0.5, 1.0]), torch.randn_like(x0), s)
    with pytest.raises(CourseInputError, match=r"one timestep per image, shape \(2,\)"):
        q_sample(x0, torch.tensor([1, 2, 3]), torch.randn_like(x0), s)
    with pytest.raises(CourseInputError, match="noise: expected the shape of x0"):
        q_sample(x0, torch.tensor([1, 2]), torch.randn(2, 1, 4, 5), s)
    with pytest.raises(CourseInputError, match="x0: expected a floating-point tensor"):
        q_sample(torch.zeros(2, 1, 4, 4, dtype=torch.uint8), torch.tensor([1, 2]), torch.randn_like(x0), s)
