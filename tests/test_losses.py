"""Properties of the course losses: closed forms, Monte-Carlo agreement, stability on logits, gradients."""
import math

import pytest
import torch

from course_lib.losses import (
    bce_loss,
    clip_weights,
    critic_loss,
    discriminator_loss,
    elbo_loss,
    generator_loss,
    gradient_penalty,
    kl_divergence,
    mse_loss,
    saturating_generator_loss,
    soft_dice_loss,
    wasserstein_generator_loss,
)
from course_lib.input_checks import CourseInputError


def test_mse_sums_over_pixels_and_averages_over_the_batch(device):
    g = torch.Generator().manual_seed(0)
    x, x_hat = torch.rand(2, 8, 1, 28, 28, generator=g).to(device)
    per_image = ((x_hat - x) ** 2).flatten(1).sum(1)
    assert torch.allclose(mse_loss(x_hat, x), per_image.mean())
    assert torch.allclose(mse_loss(x_hat, x, reduction="none"), per_image)
    assert torch.allclose(mse_loss(x_hat, x, reduction="sum"), per_image.sum())


def test_bce_of_one_half_is_log_two_per_pixel_whatever_the_image(device):
    x = torch.rand(5, 1, 28, 28, generator=torch.Generator().manual_seed(1)).to(device)
    loss = bce_loss(torch.full_like(x, 0.5), x)
    assert loss.item() == pytest.approx(784 * math.log(2), rel=1e-5)


def test_bce_is_smallest_when_the_reconstruction_is_the_image(device):
    x = (torch.rand(4, 1, 28, 28, generator=torch.Generator().manual_seed(2)) > 0.5).float().to(device)
    assert bce_loss(x, x).item() < 1e-3
    assert bce_loss(0.9 * x + 0.05, x) > bce_loss(0.99 * x + 0.005, x)


def test_reconstruction_losses_reject_uint8_images_with_a_clear_message(device):
    x_hat = torch.rand(3, 1, 28, 28, device=device)
    raw = torch.randint(0, 256, (3, 28, 28), dtype=torch.uint8, device=device)
    with pytest.raises(CourseInputError, match=r"expected images in \[0, 1\] shaped N x 1 x 28 x 28, got uint8 N x 28 x 28"):
        bce_loss(x_hat, raw)
    with pytest.raises(CourseInputError, match="expected"):
        mse_loss(x_hat, raw)


def test_bce_rejects_values_outside_zero_one(device):
    x = torch.rand(3, 1, 28, 28, device=device)
    with pytest.raises(CourseInputError, match="sigmoid"):
        bce_loss(x * 3 - 1, x)  # logits passed where probabilities are expected
    with pytest.raises(CourseInputError, match=r"got values in"):
        bce_loss(x, x * 255)


def test_kl_is_zero_for_the_prior(device):
    zeros = torch.zeros(6, 4, device=device)
    assert kl_divergence(zeros, zeros).item() == 0.0


def test_kl_is_positive_away_from_the_prior(device):
    g = torch.Generator().manual_seed(3)
    mu, logvar = torch.randn(2, 16, 8, generator=g).to(device)
    assert (kl_divergence(mu, logvar, reduction="none") > 0).all()


def test_analytic_kl_matches_a_monte_carlo_estimate(device):
    g = torch.Generator().manual_seed(4)
    mu, logvar = 0.7 * torch.randn(2, 3, 5, generator=g).to(device)
    std = (0.5 * logvar).exp()
    z = mu + std * torch.randn(200_000, 3, 5, generator=g).to(device)  # S x N x D samples of q
    log_q = torch.distributions.Normal(mu, std).log_prob(z).sum(-1)
    log_p = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    mc = (log_q - log_p).mean(0)  # N
    analytic = kl_divergence(mu, logvar, reduction="none")
    assert torch.allclose(analytic, mc, atol=0.03, rtol=0.01)
    assert kl_divergence(mu, logvar).item() == pytest.approx(analytic.mean().item())


def test_kl_rejects_mismatched_shapes(device):
    with pytest.raises(CourseInputError, match="same shape"):
        kl_divergence(torch.zeros(4, 2, device=device), torch.zeros(4, 3, device=device))


def test_elbo_is_reconstruction_plus_beta_times_kl(device):
    g = torch.Generator().manual_seed(5)
    x, x_hat = torch.rand(2, 4, 1, 28, 28, generator=g).to(device)
    mu, logvar = torch.randn(2, 4, 3, generator=g).to(device)
    for beta in (0.0, 1.0, 4.0):
        loss, recon, kl = elbo_loss(x_hat, x, mu, logvar, beta=beta)
        assert torch.allclose(recon, bce_loss(x_hat, x)) and torch.allclose(kl, kl_divergence(mu, logvar))
        assert torch.allclose(loss, recon + beta * kl)
    _, recon, _ = elbo_loss(x_hat, x, mu, logvar, reconstruction="mse")
    assert torch.allclose(recon, mse_loss(x_hat, x))


def test_elbo_at_the_prior_with_a_coin_flip_decoder_is_d_log_two(device):
    x = torch.rand(7, 1, 28, 28, generator=torch.Generator().manual_seed(6)).to(device)
    zeros = torch.zeros(7, 2, device=device)
    loss, recon, kl = elbo_loss(torch.full_like(x, 0.5), x, zeros, zeros)
    assert kl.item() == 0.0 and loss.item() == pytest.approx(784 * math.log(2), rel=1e-5)


def _onehot_logits(target: torch.Tensor, n_classes: int, scale: float) -> torch.Tensor:
    return scale * torch.nn.functional.one_hot(target, n_classes).permute(0, 3, 1, 2).float()


def test_dice_loss_is_zero_for_a_perfect_prediction(device):
    target = torch.randint(0, 4, (3, 16, 16), generator=torch.Generator().manual_seed(7)).to(device)
    assert soft_dice_loss(_onehot_logits(target, 4, 50.0), target).item() == pytest.approx(0.0, abs=1e-6)


def test_dice_loss_is_near_one_when_nothing_overlaps(device):
    target = torch.zeros(2, 32, 32, dtype=torch.long, device=device)
    target[:, :16] = 1
    wrong = 1 - target
    assert soft_dice_loss(_onehot_logits(wrong, 2, 50.0), target, eps=1e-6).item() > 0.99


def test_dice_loss_improves_as_the_prediction_gets_better_and_carries_gradients(device):
    target = torch.randint(0, 3, (2, 8, 8), generator=torch.Generator().manual_seed(8)).to(device)
    logits = torch.zeros(2, 3, 8, 8, device=device, requires_grad=True)
    loss = soft_dice_loss(logits, target)
    loss.backward()
    assert logits.grad.abs().sum() > 0
    assert soft_dice_loss(_onehot_logits(target, 3, 2.0), target) < loss


def test_dice_loss_rejects_masks_of_the_wrong_shape_or_range(device):
    logits = torch.zeros(2, 3, 8, 8, device=device)
    with pytest.raises(CourseInputError, match="N x H x W"):
        soft_dice_loss(logits, torch.zeros(2, 1, 8, 8, dtype=torch.long, device=device))
    with pytest.raises(CourseInputError, match="integer"):
        soft_dice_loss(logits, torch.zeros(2, 8, 8, device=device))
    with pytest.raises(CourseInputError, match=r"0\.\.2"):
        soft_dice_loss(logits, torch.full((2, 8, 8), 3, dtype=torch.long, device=device))


def test_gan_losses_match_their_definitions_on_probabilities(device):
    g = torch.Generator().manual_seed(9)
    real, fake = torch.randn(2, 64, generator=g).to(device)
    d_real, d_fake = real.sigmoid(), fake.sigmoid()
    expected_d = -d_real.log().mean() - (1 - d_fake).log().mean()
    assert torch.allclose(discriminator_loss(real, fake), expected_d, atol=1e-5)
    assert torch.allclose(generator_loss(fake), -d_fake.log().mean(), atol=1e-5)
    assert torch.allclose(saturating_generator_loss(fake), (1 - d_fake).log().mean(), atol=1e-5)


def test_discriminator_loss_is_two_log_two_at_chance(device):
    zeros = torch.zeros(10, 1, device=device)
    assert discriminator_loss(zeros, zeros).item() == pytest.approx(2 * math.log(2), rel=1e-6)


def test_gan_losses_stay_finite_for_extreme_logits(device):
    big = torch.tensor([1e4, -1e4, 80.0, -80.0], device=device)
    for value in (discriminator_loss(big, big), generator_loss(big), saturating_generator_loss(big)):
        assert torch.isfinite(value)


def test_non_saturating_loss_gives_the_generator_a_strong_gradient_when_d_wins(device):
    fake = torch.full((16,), -8.0, device=device, requires_grad=True)  # D is sure these are fake
    (grad_ns,) = torch.autograd.grad(generator_loss(fake), fake)
    (grad_sat,) = torch.autograd.grad(saturating_generator_loss(fake), fake)
    assert grad_ns.abs().mean() > 100 * grad_sat.abs().mean()


def test_wasserstein_losses(device):
    real = torch.tensor([3.0, 5.0], device=device)
    fake = torch.tensor([1.0, -1.0], device=device)
    assert critic_loss(real, fake).item() == pytest.approx(0.0 - 4.0)
    assert wasserstein_generator_loss(fake).item() == pytest.approx(0.0)
    assert wasserstein_generator_loss(real).item() == pytest.approx(-4.0)


def test_adversarial_losses_reject_scores_that_are_not_one_per_sample(device):
    with pytest.raises(CourseInputError, match="one raw score"):
        discriminator_loss(torch.zeros(4, 2, device=device), torch.zeros(4, device=device))


class Linear(torch.nn.Module):
    """f(x) = w . x, whose gradient is w everywhere."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(w)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x.flatten(1) * self.w).sum(1)


@pytest.mark.parametrize("shape", [(2,), (1, 4, 4)])
@pytest.mark.parametrize("weight", [0.1, 10.0])
def test_gradient_penalty_of_a_linear_critic_is_lambda_times_norm_minus_one_squared(device, shape, weight):
    g = torch.Generator().manual_seed(10)
    dim = math.prod(shape)
    w = torch.randn(dim, generator=g).to(device)
    real, fake = torch.randn(2, 32, *shape, generator=g).to(device)
    gp = gradient_penalty(Linear(w), real, fake, weight=weight)
    assert gp.item() == pytest.approx(weight * (w.norm().item() - 1) ** 2, rel=1e-4)


def test_gradient_penalty_draws_one_alpha_per_sample(device):
    # f(x) = |x|^2 / 2 has gradient x_hat = alpha * (1, 1) for real = (1, 1), fake = 0.
    # One alpha per sample: ||grad|| = sqrt(2) alpha, so E[(sqrt(2) alpha - 1)^2] = 2/3 - sqrt(2) + 1.
    class Quadratic(torch.nn.Module):
        def forward(self, x):
            return 0.5 * x.pow(2).sum(1)

    real = torch.ones(40_000, 2, device=device)
    gp = gradient_penalty(Quadratic(), real, torch.zeros_like(real), weight=1.0, generator=None)
    assert gp.item() == pytest.approx(2 / 3 - math.sqrt(2) + 1, abs=0.01)


def test_gradient_penalty_trains_the_critic(device):
    critic = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.Tanh(), torch.nn.Linear(16, 1)).to(device)
    real, fake = torch.randn(2, 8, 2, device=device)
    gradient_penalty(critic, real, fake).backward()
    for weight in (critic[0].weight, critic[2].weight):  # the last bias does not change the gradient in x
        assert weight.grad is not None and torch.isfinite(weight.grad).all() and weight.grad.abs().sum() > 0


def test_clip_weights_bounds_every_parameter(device):
    critic = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1)).to(device)
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(10)
    clip_weights(critic, 0.01)
    assert all(p.abs().max() <= 0.01 for p in critic.parameters())
    assert any(p.abs().max() == 0.01 for p in critic.parameters())
