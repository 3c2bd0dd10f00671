"""Chapter 05 (GANs and WGANs): the two GAN losses, the gradient penalty and one critic step.

5.1 ``discriminator_loss(real_logits, fake_logits)``: -E[log D(x)] - E[log(1 - D(G(z)))] from logits.
5.2 ``generator_loss(fake_logits)``: the non-saturating -E[log D(G(z))].
5.3 ``gradient_penalty(critic, real, fake, weight=10.0)``: lambda E[(||grad f(x_hat)|| - 1)^2], x_hat on random
    segments between real and generated samples (Gulrajani et al. 2017, eq. 3).
5.4 ``critic_step(critic, generator, real, optimizer, gp_weight=10.0)``: one WGAN-GP update of the critic.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from .. import losses
from .expect import describe, expect_close, expect_tensor
from .registry import Exercise, case_generator, case_size, fail, register, seed_case_rng


def _logits(n: int, device: torch.device, seed: int, scale: float = 2.0) -> torch.Tensor:
    return (scale * torch.randn(n, generator=case_generator(seed))).to(device)


def _scalar(x: object, what: str) -> torch.Tensor:
    x = expect_tensor(x, what)
    if x.numel() != 1:
        fail(f"{what} as one number (a scalar tensor, averaged over the batch)", describe(x))
    return x.reshape(())


def _finite(x: torch.Tensor, what: str, note: str) -> torch.Tensor:
    if not bool(torch.isfinite(x.detach()).all()):
        fail(f"a finite {what}", describe(x), note)
    return x


# ---------------------------------------------------------------- 5.1 discriminator_loss

def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))] with D = sigmoid(logit), computed stably from the logits."""
    return (
        F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
        + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits))
    )


def _d_loss_formula(real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    real, fake = real.double().cpu(), fake.double().cpu()
    return F.softplus(-real).mean() + F.softplus(fake).mean()


def is_2_log_2_when_the_discriminator_cannot_tell(f, device):
    """equals 2 log 2 = 1.386 when every logit is 0 (D = 1/2 everywhere)"""
    zeros = torch.zeros(case_size(16, 50_101, 2, 40), device=device)
    expect_close(_scalar(f(zeros, zeros), "the loss"), torch.tensor(2 * math.log(2)), "the loss for logits 0", atol=1e-5)


def matches_the_formula_on_random_logits(f, device):
    """matches -mean log D(x) - mean log(1 - D(G(z))) on random logits"""
    real, fake = _logits(64, device, 1), _logits(64, device, 2)
    expect_close(_scalar(f(real, fake), "the loss"), _d_loss_formula(real, fake), "the loss", atol=1e-5, rtol=1e-5)


def is_small_when_real_scores_high_and_fake_low(f, device):
    """is near 0 when real logits are large and fake logits very negative (a confident, correct D)"""
    n = case_size(8, 50_102, 2, 40)
    real, fake = torch.full((n,), 8.0, device=device), torch.full((n,), -8.0, device=device)
    loss = _scalar(f(real, fake), "the loss")
    if not 0 <= float(loss) < 1e-2:
        fail("a loss near 0 (about 0.0007) when D is confident and right", f"{float(loss):.4g}",
             "real samples carry the label 1, generated ones the label 0")


def stays_finite_for_extreme_logits(f, device):
    """stays finite for logits of +-200 (compute from logits, not log(sigmoid(.)))"""
    real, fake = torch.tensor([200.0, -200.0], device=device), torch.tensor([-200.0, 200.0], device=device)
    loss = _finite(_scalar(f(real, fake), "the loss"), "loss for logits of +-200",
                   "log(sigmoid(l)) underflows to log(0); use F.binary_cross_entropy_with_logits or F.softplus")
    expect_close(loss, _d_loss_formula(real, fake), "the loss for logits +-200", atol=1e-3, rtol=1e-4)


def averages_over_batches_of_different_sizes(f, device):
    """averages each term over its own batch (32 real logits, 8 fake ones)"""
    real, fake = _logits(32, device, 3), _logits(8, device, 4)
    expect_close(_scalar(f(real, fake), "the loss"), _d_loss_formula(real, fake), "the loss", atol=1e-5, rtol=1e-5)


def _d_loss_with_bernoulli(real_logits, fake_logits):
    real = torch.distributions.Bernoulli(logits=real_logits).log_prob(torch.ones_like(real_logits))
    fake = torch.distributions.Bernoulli(logits=fake_logits).log_prob(torch.zeros_like(fake_logits))
    return -real.mean() - fake.mean()


register(Exercise(
    id="5.1",
    title="the discriminator loss",
    reference=discriminator_loss,
    visible_cases=[is_2_log_2_when_the_discriminator_cannot_tell, matches_the_formula_on_random_logits,
                   is_small_when_real_scores_high_and_fake_low],
    hidden_cases=[stays_finite_for_extreme_logits, averages_over_batches_of_different_sizes],
    wrong_answers=[
        ("swaps the labels of real and fake", lambda r, f: F.softplus(r).mean() + F.softplus(-f).mean()),
        ("takes log of sigmoid directly (unstable)",
         lambda r, f: -(torch.log(torch.sigmoid(r)).mean() + torch.log(1 - torch.sigmoid(f)).mean())),
        ("sums over the batch instead of averaging", lambda r, f: F.softplus(-r).sum() + F.softplus(f).sum()),
        ("forgets the fake term", lambda r, f: F.softplus(-r).mean()),
        ("one BCE over the concatenated batch (half the loss, sizes mixed)",
         lambda r, f: F.binary_cross_entropy_with_logits(torch.cat([r, f]), torch.cat([torch.ones_like(r), torch.zeros_like(f)]))),
    ],
    equivalent_answers=[
        ("softplus(-real).mean() + softplus(fake).mean()", lambda r, f: F.softplus(-r).mean() + F.softplus(f).mean()),
        ("-logsigmoid(real).mean() - logsigmoid(-fake).mean()", lambda r, f: -F.logsigmoid(r).mean() - F.logsigmoid(-f).mean()),
        ("an nn.BCEWithLogitsLoss() module for both terms",
         lambda r, f: nn.BCEWithLogitsLoss()(r, torch.ones_like(r)) + nn.BCEWithLogitsLoss()(f, torch.zeros_like(f))),
        ("uses torch.distributions.Bernoulli(logits=...).log_prob", _d_loss_with_bernoulli),
    ],
    hint="real samples have label 1 and generated ones label 0: "
         "F.binary_cross_entropy_with_logits(real_logits, ones) + F.binary_cross_entropy_with_logits(fake_logits, zeros).",
))


# ---------------------------------------------------------------- 5.2 generator_loss

def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss -E[log D(G(z))] = mean softplus(-logit)."""
    return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits))


def is_log_2_when_d_is_undecided(f, device):
    """equals log 2 = 0.693 when every fake logit is 0"""
    expect_close(_scalar(f(torch.zeros(case_size(10, 50_201, 2, 40), device=device)), "the loss"), torch.tensor(math.log(2)), "the loss for logits 0", atol=1e-5)


def matches_minus_mean_log_d_of_fakes(f, device):
    """matches -mean log D(G(z)) on random logits"""
    fake = _logits(64, device, 5)
    expect_close(_scalar(f(fake), "the loss"), F.softplus(-fake.double().cpu()).mean(), "the loss", atol=1e-5, rtol=1e-5)


def has_a_strong_gradient_when_d_rejects_the_fakes(f, device):
    """still pushes hard when D confidently rejects the fakes (logit -10): gradient about -1/N per sample"""
    n = case_size(4, 50_202, 2, 40)
    fake = torch.full((n,), -10.0, device=device, requires_grad=True)
    loss = _scalar(f(fake), "the loss")
    if not loss.requires_grad:
        fail("a loss that carries gradients back to the logits", "a loss with no gradient", "do not .detach() or .item() it")
    (grad,) = torch.autograd.grad(loss, fake)
    expect_close(grad, torch.full((n,), -1 / n), "d loss / d logit at logit -10 (non-saturating)", atol=1e-3)


def stays_finite_for_very_negative_logits(f, device):
    """stays finite for a logit of -200"""
    _finite(_scalar(f(torch.tensor([-200.0, 3.0], device=device)), "the loss"), "loss for a logit of -200",
            "log(sigmoid(-200)) underflows to log(0); use F.binary_cross_entropy_with_logits or F.softplus(-logits)")


register(Exercise(
    id="5.2",
    title="the non-saturating generator loss",
    reference=generator_loss,
    visible_cases=[is_log_2_when_d_is_undecided, matches_minus_mean_log_d_of_fakes, has_a_strong_gradient_when_d_rejects_the_fakes],
    hidden_cases=[stays_finite_for_very_negative_logits],
    wrong_answers=[
        ("the saturating loss E[log(1 - D(G(z)))]", lambda f: -F.softplus(f).mean()),
        ("labels the fakes 0 (the discriminator's target)", lambda f: F.binary_cross_entropy_with_logits(f, torch.zeros_like(f))),
        ("log of sigmoid directly (unstable)", lambda f: -torch.log(torch.sigmoid(f)).mean()),
    ],
    equivalent_answers=[
        ("softplus(-logits).mean()", lambda f: F.softplus(-f).mean()),
        ("-logsigmoid(logits).mean()", lambda f: -F.logsigmoid(f).mean()),
        ("an nn.BCEWithLogitsLoss() module with target ones", lambda f: nn.BCEWithLogitsLoss()(f, torch.ones_like(f))),
    ],
    hint="the generator wants D(G(z)) = 1: F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(fake_logits)).",
))


# ---------------------------------------------------------------- 5.3 gradient_penalty

def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, weight: float = 10.0) -> torch.Tensor:
    """weight * E[(||grad f(x_hat)||_2 - 1)^2], x_hat = alpha real + (1 - alpha) fake, alpha ~ U(0, 1) per sample."""
    return losses.gradient_penalty(critic, real, fake, weight)


class _Linear(nn.Module):
    """f(x) = w . x + b: its gradient is w everywhere, so the penalty is weight * (||w|| - 1)^2 whatever alpha is."""

    def __init__(self, w: torch.Tensor) -> None:
        super().__init__()
        self.w = nn.Parameter(w.clone())
        self.b = nn.Parameter(torch.zeros((), device=w.device))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.flatten(1) @ self.w + self.b


class _HalfSquare(nn.Module):
    """f(x) = ||x||^2 / 2: its gradient at x_hat is x_hat itself, so the penalty depends on where x_hat lies."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * x.flatten(1).pow(2).sum(1)


def _gp(f, critic, real, fake, weight=10.0) -> torch.Tensor:
    return _scalar(f(critic, real, fake, weight), "the penalty")


def is_weight_times_norm_minus_1_squared_for_a_linear_critic(f, device):
    """for a linear critic with ||w|| = 3 the penalty is 10 * (3 - 1)^2 = 40"""
    critic = _Linear(torch.tensor([3.0, 0.0], device=device))
    real, fake = torch.randn(16, 2).to(device), torch.randn(16, 2).to(device)
    expect_close(_gp(f, critic, real, fake), torch.tensor(40.0), "the penalty", atol=1e-3, rtol=1e-4)


def is_zero_for_a_1_lipschitz_linear_critic(f, device):
    """is 0 for a linear critic with ||w|| = 1 (gradient norm exactly 1)"""
    critic = _Linear(torch.tensor([0.6, 0.8], device=device))
    expect_close(_gp(f, critic, torch.randn(8, 2).to(device), torch.randn(8, 2).to(device)), torch.tensor(0.0), "the penalty", atol=1e-5)


def penalises_gradients_below_1_too(f, device):
    """penalises a gradient norm below 1 as well (two-sided): ||w|| = 0.5 gives 10 * (0.5 - 1)^2 = 2.5"""
    critic = _Linear(torch.tensor([0.3, 0.4], device=device))
    real, fake = torch.randn(8, 2).to(device), torch.randn(8, 2).to(device)
    expect_close(_gp(f, critic, real, fake), torch.tensor(2.5), "the penalty for ||w|| = 0.5", atol=1e-3, rtol=1e-4)


def can_be_backpropagated_into_the_critic(f, device):
    """can be back-propagated into the critic's weights (torch.autograd.grad(..., create_graph=True))"""
    critic = _Linear(torch.tensor([3.0, 4.0], device=device))
    gp = _gp(f, critic, torch.randn(8, 2).to(device), torch.randn(8, 2).to(device))
    if not gp.requires_grad:
        fail("a penalty that depends on the critic's weights (has a grad_fn)", "a penalty with no gradient",
             "pass create_graph=True to torch.autograd.grad so the penalty can be trained")
    (grad_w,) = torch.autograd.grad(gp, critic.w)
    # d/dw 10 (||w|| - 1)^2 = 20 (||w|| - 1) w / ||w|| = 20 * 4 * (0.6, 0.8)
    expect_close(grad_w, torch.tensor([48.0, 64.0]), "d penalty / d w for w = (3, 4)", atol=1e-2, rtol=1e-3)


def uses_the_weight_argument(f, device):
    """scales with the weight argument (weight 1 gives a tenth of weight 10)"""
    critic = _Linear(torch.tensor([3.0, 0.0], device=device))
    real, fake = torch.randn(8, 2).to(device), torch.randn(8, 2).to(device)
    expect_close(_gp(f, critic, real, fake, weight=1.0), torch.tensor(4.0), "the penalty with weight = 1", atol=1e-3)


def draws_alpha_uniform_per_sample(f, device):
    """takes alpha ~ U(0, 1), one per sample, on the segments between real and fake"""
    # f(x) = |x|^2 / 2, real samples at distance 3 from the origin, fakes at the origin: ||grad|| = 3 alpha.
    # Per-sample alpha: the penalty is 10 E[(3 alpha - 1)^2] = 10 on average, and varies little between calls
    # (the mean of 20 calls has a standard deviation of about 0.1; a one-sided max(0, ||g|| - 1)^2 gives 80/9 = 8.9).
    direction = F.normalize(torch.randn(512, 4), dim=1)
    real, fake = (3 * direction).to(device), torch.zeros(512, 4, device=device)
    values = torch.stack([_gp(f, _HalfSquare(), real, fake).detach().cpu() for _ in range(20)])
    mean, spread = float(values.mean()), float(values.std())
    if not 9.4 < mean < 10.6:
        fail("a penalty of about 10 on average (alpha ~ U(0, 1) on the segment from fake to real)", f"{mean:.3g}",
             "x_hat = alpha * real + (1 - alpha) * fake with alpha = torch.rand(...); not at the real samples, not alpha ~ N(0, 1)")
    if spread > 2.0:
        fail("penalties that vary little between calls (one alpha per sample)", f"a spread of {spread:.3g} over 20 calls",
             "draw alpha with shape N x 1 (x 1 x 1 for images), not one number for the whole batch")


def works_for_image_batches(f, device):
    """works for images N x 1 x 28 x 28 (alpha broadcast over the pixels)"""
    w = torch.zeros(784, device=device)
    w[0] = 2.0
    critic = _Linear(w)
    real, fake = torch.rand(6, 1, 28, 28).to(device), torch.rand(6, 1, 28, 28).to(device)
    expect_close(_gp(f, critic, real, fake), torch.tensor(10.0), "the penalty for images and ||w|| = 2", atol=1e-3)
    # A linear critic cannot see alpha; f(x) = |x|^2 / 2 can. Images at distance 3 from fakes at 0 give ||grad|| = 3 alpha:
    # 10 E[(3 alpha - 1)^2] = 10 with one alpha per image (the mean over 5 x 64 images has a standard deviation of
    # about 0.6), while one alpha per pixel puts every x_hat at distance about 3 / sqrt(3), a penalty of about 5.4.
    seed_case_rng(0)
    real = (3 * F.normalize(torch.randn(64, 784), dim=1)).view(64, 1, 28, 28).to(device)
    mean = float(torch.stack([_gp(f, _HalfSquare(), real, torch.zeros_like(real)).detach().cpu() for _ in range(5)]).mean())
    if not 7.5 < mean < 12.5:
        fail("a penalty of about 10 for images (one alpha per image, of shape N x 1 x 1 x 1)", f"{mean:.3g}",
             "draw alpha with shape N x 1 x 1 x 1 so that x_hat lies on the segment between a real and a fake image, "
             "not one alpha per pixel")


def _gp_at_real(critic, real, fake, weight=10.0):
    x = real.detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return weight * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()


def _gp_one_alpha(critic, real, fake, weight=10.0):
    alpha = torch.rand((), device=real.device)
    x = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return weight * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()


def _gp_squared_norm(critic, real, fake, weight=10.0):
    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device)
    x = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return weight * (g.flatten(1).pow(2).sum(1) - 1).pow(2).mean()


def _gp_one_sided(critic, real, fake, weight=10.0):
    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device)
    x = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return weight * (g.flatten(1).norm(dim=1) - 1).clamp_min(0).pow(2).mean()


def _gp_grad_outputs(critic, real, fake, weight=10.0):
    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device)
    x = alpha * real.detach() + (1 - alpha) * fake.detach()
    x.requires_grad_(True)
    scores = critic(x)
    (g,) = torch.autograd.grad(scores, x, grad_outputs=torch.ones_like(scores), create_graph=True)
    return weight * ((torch.linalg.vector_norm(g.reshape(len(g), -1), dim=1) - 1) ** 2).mean()


def _gp_lerp_and_eps(critic, real, fake, weight=10.0):
    n = real.shape[0]
    alpha = torch.rand(n, 1, device=real.device).expand(n, real[0].numel()).reshape(real.shape)
    x_hat = torch.lerp(fake.detach(), real.detach(), alpha).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)
    norm = torch.sqrt(g.view(n, -1).pow(2).sum(dim=1) + 1e-12)  # an eps guard against the sqrt's infinite slope at 0
    return weight * torch.mean((norm - 1) ** 2)


def _gp_alpha_on_fake(critic, real, fake, weight=10.0):
    alpha = torch.rand(real.size(0), *([1] * (real.dim() - 1)), device=real.device)
    x_hat = real.detach() + alpha * (fake.detach() - real.detach())  # alpha ~ U(0, 1) on either end: same points
    x_hat.requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x_hat), x_hat, grad_outputs=torch.ones(len(real), device=real.device), create_graph=True)
    return weight * ((g.reshape(len(g), -1).norm(2, dim=1) - 1) ** 2).mean()


def _gp_alpha_per_pixel(critic, real, fake, weight=10.0):
    alpha = torch.rand_like(real[:, :1])  # N x 1 for points, but N x 1 x 28 x 28 (one per pixel) for images
    x = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return weight * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()


def _gp_of_the_mean(critic, real, fake, weight=10.0):
    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device)
    x = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).mean(), x, create_graph=True)  # each gradient shrinks by 1 / N
    return weight * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()


def _gp_no_graph(critic, real, fake, weight=10.0):

    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device)
    x = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True)
    (g,) = torch.autograd.grad(critic(x).sum(), x)
    return weight * (g.flatten(1).norm(dim=1) - 1).pow(2).mean()


register(Exercise(
    id="5.3",
    title="the gradient penalty",
    reference=gradient_penalty,
    visible_cases=[is_weight_times_norm_minus_1_squared_for_a_linear_critic, is_zero_for_a_1_lipschitz_linear_critic,
                   penalises_gradients_below_1_too, can_be_backpropagated_into_the_critic],
    hidden_cases=[uses_the_weight_argument, draws_alpha_uniform_per_sample, works_for_image_batches],
    wrong_answers=[
        ("penalises the squared norm", _gp_squared_norm),
        ("forgets create_graph=True", _gp_no_graph),
        ("penalises only gradients above 1 (one-sided)", _gp_one_sided),

        ("takes the gradient at the real samples", _gp_at_real),
        ("one alpha for the whole batch", _gp_one_alpha),
        ("one alpha per pixel for images (torch.rand_like(real[:, :1]))", _gp_alpha_per_pixel),
        ("differentiates critic(x_hat).mean() instead of .sum()", _gp_of_the_mean),
    ],
    equivalent_answers=[
        ("takes the gradient with grad_outputs=ones and torch.linalg.vector_norm", _gp_grad_outputs),
        ("alpha N x 1 expanded to real's shape, x_hat by torch.lerp, norm as sqrt(sum g^2 + 1e-12)", _gp_lerp_and_eps),
        ("x_hat = real + alpha (fake - real)", _gp_alpha_on_fake),
    ],
    hint="alpha = torch.rand(N, 1, ...) on real's device; x_hat = (alpha * real + (1 - alpha) * fake).detach().requires_grad_(True); "
         "grad = torch.autograd.grad(critic(x_hat).sum(), x_hat, create_graph=True)[0]; "
         "return weight * ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean().",
))


# ---------------------------------------------------------------- 5.4 critic_step

def critic_step(
    critic: nn.Module, generator: nn.Module, real: torch.Tensor, optimizer: torch.optim.Optimizer, gp_weight: float = 10.0
) -> torch.Tensor:
    """One WGAN-GP critic update on a batch of real samples; returns the loss (detached) before the update.

    loss = E[f(G(z))] - E[f(x)] + GP, with z ~ N(0, I) and G(z) detached (this step trains the critic only).
    """
    z = torch.randn(len(real), generator.latent_dim, device=real.device)
    fake = generator(z).detach()
    loss = losses.critic_loss(critic(real), critic(fake)) + losses.gradient_penalty(critic, real, fake, gp_weight)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach()


class _ConstantGenerator(nn.Module):
    """G(z) = c for every z (a point the test knows), with one trainable parameter."""

    def __init__(self, point: torch.Tensor, latent_dim: int = 3) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.c = nn.Parameter(point.clone())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.c.expand(len(z), -1) + 0 * z.sum(1, keepdim=True)

    def sample(self, n: int) -> torch.Tensor:
        return self(torch.randn(n, self.latent_dim, device=self.c.device))


def _setting(device: torch.device, w=(3.0, 0.0), lr: float = 0.01):
    critic = _Linear(torch.tensor(w, device=device))
    generator = _ConstantGenerator(torch.tensor([1.0, 0.0], device=device))
    real = torch.tensor([[-1.0, 0.0]], device=device).repeat(8, 1)
    optimizer = torch.optim.SGD(critic.parameters(), lr=lr)
    return critic, generator, real, optimizer


def returns_the_loss_before_the_update(f, device):
    """returns E f(G(z)) - E f(x) + GP, computed before the update (here 3 - (-3) + 40 = 46)"""
    critic, generator, real, optimizer = _setting(device)
    loss = _scalar(f(critic, generator, real, optimizer, 10.0), "the returned loss")
    expect_close(loss.detach(), torch.tensor(46.0), "the loss for w = (3, 0), G(z) = (1, 0), x = (-1, 0)", atol=1e-3, rtol=1e-4)


def updates_the_critic_downhill(f, device):
    """takes one optimizer step on the critic: w moves by -lr * d loss / d w"""
    critic, generator, real, optimizer = _setting(device)
    f(critic, generator, real, optimizer, 10.0)
    # d/dw [w.(1,0) - w.(-1,0) + 10 (||w|| - 1)^2] at w = (3, 0) = (2, 0) + (40, 0) = (42, 0)
    expect_close(critic.w.detach(), torch.tensor([3.0 - 0.01 * 42, 0.0]), "w after one SGD step (lr 0.01)", atol=1e-4)


def leaves_the_generator_alone(f, device):
    """gives the generator no gradient and leaves it unchanged (G(z) is detached)"""
    critic, generator, real, optimizer = _setting(device)
    f(critic, generator, real, optimizer, 10.0)
    if generator.c.grad is not None and bool(generator.c.grad.abs().sum() > 0):
        fail("no gradient in the generator's parameters", f"a gradient {describe(generator.c.grad)}",
             "detach the generated batch: fake = generator(z).detach()")
    expect_close(generator.c.detach(), torch.tensor([1.0, 0.0]), "the generator's output after the critic step", atol=0)


def clears_old_gradients_first(f, device):
    """clears gradients left over from before (optimizer.zero_grad())"""
    critic, generator, real, optimizer = _setting(device)
    critic.w.grad = torch.full_like(critic.w, 1000.0)
    critic.b.grad = torch.full_like(critic.b, 1000.0)
    f(critic, generator, real, optimizer, 10.0)
    w = critic.w.detach().cpu()
    if not torch.allclose(w, torch.tensor([3.0 - 0.01 * 42, 0.0]), atol=1e-4):
        fail("w = [2.58, 0] after one step, whatever gradient was left in .grad", f"w = {[round(v, 4) for v in w.tolist()]}",
             "call optimizer.zero_grad() before loss.backward(), or old gradients add up")


def uses_the_gp_weight_argument(f, device):
    """uses the gp_weight argument (weight 0: plain WGAN loss 3 - (-3) = 6)"""
    critic, generator, real, optimizer = _setting(device)
    expect_close(_scalar(f(critic, generator, real, optimizer, 0.0), "the returned loss").detach(), torch.tensor(6.0),
                 "the loss with gp_weight = 0", atol=1e-3)


def improves_the_wasserstein_estimate_over_steps(f, device):
    """repeated steps raise the critic's estimate E f(x) - E f(G(z)) on a 2-D toy problem"""
    # A linear critic f(x) = w.x + b has the same gradient w at every point, so neither the GP's random
    # interpolates nor the noise z change its path: the answer passes or fails whatever random numbers it draws.
    # w starts orthogonal to the fake-to-real direction, so the estimate starts at 0 and only the loss's sign moves it.
    critic = nn.Linear(2, 1).to(device)
    with torch.no_grad():
        critic.weight.copy_(torch.tensor([[0.5, -0.5]]))
        critic.bias.zero_()
    generator = _ConstantGenerator(torch.tensor([2.0, 2.0], device=device))
    real = (torch.randn(64, 2, generator=case_generator(0)) * 0.1).to(device)
    real = real - real.mean(0)
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-2)

    def estimate() -> float:
        with torch.no_grad():
            return float(critic(real).mean() - critic(generator.sample(64)).mean())

    before = estimate()
    for _ in range(60):
        f(critic, generator, real, optimizer, 10.0)
    after = estimate()
    if not after > before + 0.5:
        fail("the estimate E f(x) - E f(G(z)) to grow by more than 0.5 (towards the distance 2.8)",
             f"{before:.3g} before, {after:.3g} after 60 steps",
             "minimise E f(fake) - E f(real) + GP: the critic scores real samples high")


def _step_no_detach(critic, generator, real, optimizer, gp_weight=10.0):
    fake = generator(torch.randn(len(real), generator.latent_dim, device=real.device))
    loss = losses.critic_loss(critic(real), critic(fake)) + losses.gradient_penalty(critic, real, fake, gp_weight)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_flipped(critic, generator, real, optimizer, gp_weight=10.0):
    fake = generator(torch.randn(len(real), generator.latent_dim, device=real.device)).detach()
    loss = critic(real).mean() - critic(fake).mean() + losses.gradient_penalty(critic, real, fake, gp_weight)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_no_gp(critic, generator, real, optimizer, gp_weight=10.0):
    fake = generator(torch.randn(len(real), generator.latent_dim, device=real.device)).detach()
    loss = losses.critic_loss(critic(real), critic(fake))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_no_zero_grad(critic, generator, real, optimizer, gp_weight=10.0):
    fake = generator(torch.randn(len(real), generator.latent_dim, device=real.device)).detach()
    loss = losses.critic_loss(critic(real), critic(fake)) + losses.gradient_penalty(critic, real, fake, gp_weight)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_under_no_grad(critic, generator, real, optimizer, gp_weight=10.0):
    optimizer.zero_grad()
    with torch.no_grad():
        fake = generator(torch.randn(real.shape[0], generator.latent_dim, device=real.device))
    loss = -(critic(real).mean() - critic(fake).mean()) + gradient_penalty(critic, real, fake, gp_weight)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _step_one_critic_pass(critic, generator, real, optimizer, gp_weight=10.0):
    fake = generator(torch.randn(len(real), generator.latent_dim, device=real.device)).detach()
    scores = critic(torch.cat([real, fake]))  # one pass over both batches
    real_scores, fake_scores = scores[: len(real)], scores[len(real):]
    loss = fake_scores.mean() - real_scores.mean() + _gp_grad_outputs(critic, real, fake, gp_weight)
    optimizer.zero_grad(set_to_none=False)
    loss.backward()
    optimizer.step()
    return loss.detach()


register(Exercise(
    id="5.4",
    title="one critic step of WGAN-GP",
    reference=critic_step,
    visible_cases=[returns_the_loss_before_the_update, updates_the_critic_downhill, leaves_the_generator_alone],
    hidden_cases=[clears_old_gradients_first, uses_the_gp_weight_argument, improves_the_wasserstein_estimate_over_steps],
    wrong_answers=[
        ("does not detach G(z)", _step_no_detach),
        ("flips the sign of the critic loss", _step_flipped),
        ("forgets the gradient penalty", _step_no_gp),
        ("forgets optimizer.zero_grad()", _step_no_zero_grad),
    ],
    equivalent_answers=[
        ("generates under torch.no_grad(), zeroes first, writes -(E f(x) - E f(G(z)))", _step_under_no_grad),
        ("one critic pass over torch.cat([real, fake]), a hand-written penalty", _step_one_critic_pass),
    ],
    hint="z = torch.randn(len(real), generator.latent_dim, device=real.device); fake = generator(z).detach(); "
         "loss = critic(fake).mean() - critic(real).mean() + gradient_penalty(critic, real, fake, gp_weight); "
         "then optimizer.zero_grad(), loss.backward(), optimizer.step(); return loss.detach().",
))
