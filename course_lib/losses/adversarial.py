"""Adversarial losses: the GAN game on logits, the Wasserstein game, and the two ways to keep a critic 1-Lipschitz.

GAN (Goodfellow et al. 2014), with D(x) = sigmoid(logit(x)):
    L_D = -E[log D(x)] - E[log(1 - D(G(z)))]        minimax discriminator loss
    L_G = -E[log D(G(z))]                          non-saturating generator loss (section 3 of the paper)
    L_G^sat = E[log(1 - D(G(z)))]                  the original, saturating one (gradients vanish early on)
Computed from logits with BCE-with-logits: log sigmoid(l) = -softplus(-l), log(1 - sigmoid(l)) = -softplus(l).

WGAN (Arjovsky et al. 2017), critic f with no sigmoid:
    L_critic = E[f(G(z))] - E[f(x)],   L_G = -E[f(G(z))],   weight clipping to [-c, c].
WGAN-GP (Gulrajani et al. 2017, eq. 3):
    GP = lambda E[(||grad f(x_hat)||_2 - 1)^2],   x_hat = alpha x + (1 - alpha) G(z),   alpha ~ U(0, 1) per sample.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..input_checks import CourseInputError, check_tensor, describe


def _scores(s: torch.Tensor, name: str) -> torch.Tensor:
    """Accept N or N x 1 raw scores (logits); return them flat (N)."""
    check_tensor(s, name, floating=True)
    if s.dim() == 0 or s.dim() > 2 or (s.dim() == 2 and s.shape[1] != 1):
        raise CourseInputError(f"{name}: expected one raw score (logit) per sample, shaped N or N x 1, got {describe(s)}.")
    return s.reshape(-1)


def discriminator_loss(real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
    """-E[log D(x)] - E[log(1 - D(G(z)))] from the discriminator's logits on real and generated samples."""
    real, fake = _scores(real_logits, "real_logits"), _scores(fake_logits, "fake_logits")
    return (
        F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
        + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake))
    )


def generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """Non-saturating generator loss -E[log D(G(z))] = mean softplus(-logit)."""
    fake = _scores(fake_logits, "fake_logits")
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def saturating_generator_loss(fake_logits: torch.Tensor) -> torch.Tensor:
    """The original minimax generator loss E[log(1 - D(G(z)))] = -mean softplus(logit) (to be minimised)."""
    return -F.softplus(_scores(fake_logits, "fake_logits")).mean()


def critic_loss(real_scores: torch.Tensor, fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein critic loss E[f(G(z))] - E[f(x)]; its negative estimates the Wasserstein-1 distance."""
    return _scores(fake_scores, "fake_scores").mean() - _scores(real_scores, "real_scores").mean()


def wasserstein_generator_loss(fake_scores: torch.Tensor) -> torch.Tensor:
    """Wasserstein generator loss -E[f(G(z))]."""
    return -_scores(fake_scores, "fake_scores").mean()


def gradient_penalty(
    critic: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    weight: float = 10.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """lambda * E[(||grad_x f(x_hat)||_2 - 1)^2] at random interpolates x_hat = alpha real + (1 - alpha) fake.

    ``alpha ~ U(0, 1)`` is drawn once per sample. ``real`` and ``fake`` are detached (the penalty trains the
    critic only); the graph of the gradient is kept so the penalty can be back-propagated.
    """
    check_tensor(real, "real", floating=True)
    check_tensor(fake, "fake", floating=True)
    if real.shape != fake.shape:
        raise CourseInputError(f"real and fake: expected the same shape, got {describe(real)} and {describe(fake)}.")
    if real.device != fake.device:
        raise CourseInputError(f"real is on {real.device} but fake is on {fake.device}; move them with .to(device).")
    alpha = torch.rand(len(real), *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype, generator=generator)
    x_hat = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = _scores(critic(x_hat), "critic(x_hat)")
    (grad,) = torch.autograd.grad(scores.sum(), x_hat, create_graph=True)
    grad_norm = grad.flatten(1).norm(2, dim=1)  # N
    return weight * (grad_norm - 1).pow(2).mean()


@torch.no_grad()
def clip_weights(critic: nn.Module, clip: float = 0.01) -> None:
    """Clamp every parameter of the critic to [-clip, clip], in place (WGAN, Algorithm 1)."""
    if not clip > 0:
        raise CourseInputError(f"clip: expected a positive number, got {clip!r}.")
    for p in critic.parameters():
        p.clamp_(-clip, clip)
