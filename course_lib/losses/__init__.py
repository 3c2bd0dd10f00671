"""Loss functions of the course, each with the equation and the paper in its docstring.

Reductions follow one rule: sum over what describes one sample (pixels, latent dimensions), mean over the batch.
"""
from .adversarial import (
    clip_weights,
    critic_loss,
    discriminator_loss,
    generator_loss,
    gradient_penalty,
    saturating_generator_loss,
    wasserstein_generator_loss,
)
from .dice import soft_dice_loss
from .kl import elbo_loss, kl_divergence, kl_per_dim
from .reconstruction import bce_loss, mse_loss, reduce_batch

__all__ = [
    "bce_loss", "clip_weights", "critic_loss", "discriminator_loss", "elbo_loss", "generator_loss",
    "gradient_penalty", "kl_divergence", "kl_per_dim", "mse_loss", "reduce_batch", "saturating_generator_loss", "soft_dice_loss",
    "wasserstein_generator_loss",
]
