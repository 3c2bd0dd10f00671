"""Variational autoencoders (Kingma & Welling 2014, "Auto-Encoding Variational Bayes").

    encode:         x -> (mu, log sigma^2)                  q(z|x) = N(mu, diag sigma^2)
    reparameterize: z = mu + sigma * eps, eps ~ N(0, I)     (section 2.4: gradients flow to mu and sigma)
    decode:         z -> x_hat in [0, 1]                    p(x|z) = Bernoulli(x_hat)
    sample(n):      z ~ N(0, I) -> decode(z)                the prior p(z), in eval mode under no_grad
Trained with :func:`course_lib.losses.elbo_loss` (reconstruction + beta * KL).
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..input_checks import CourseInputError, check_images, check_tensor, describe
from ..utils import eval_mode, module_device
from .autoencoder import IMAGE_SHAPE, check_code, check_hidden, conv_decoder, conv_encoder, conv_features, mlp


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """z = mu + exp(logvar / 2) * eps with eps ~ N(0, I): a sample of q(z|x) that is differentiable in mu and logvar."""
    check_tensor(mu, "mu", floating=True)
    if logvar.shape != mu.shape:
        raise CourseInputError(f"mu and logvar: expected the same shape, got {describe(mu)} and {describe(logvar)}.")
    eps = torch.randn(mu.shape, device=mu.device, dtype=mu.dtype, generator=generator)
    return mu + torch.exp(0.5 * logvar) * eps


class GaussianLatent(nn.Module):
    """What the VAE and the CVAE share: a Gaussian posterior q(z|x) = N(mu, diag sigma^2) and the prior N(0, I).

    Subclasses define ``latent_dim``, ``encode`` (-> mu, logvar) and ``decode``; a conditional model also
    ``n_classes``, and its ``encode``/``decode`` take the labels.
    """

    latent_dim: int
    image_shape: tuple[int, int, int] = IMAGE_SHAPE

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """z = mu + sigma * eps, eps ~ N(0, I): see :func:`reparameterize`."""
        return reparameterize(mu, logvar, generator)

    def prior_codes(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n codes z ~ N(0, I), N x latent_dim on the model's device (drawn on the CPU when ``generator`` is given)."""
        return torch.randn(n, self.latent_dim, generator=generator).to(module_device(self))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n images decoded from the prior, in eval mode under no_grad."""
        with eval_mode(self), torch.no_grad():
            return self.decode(self.prior_codes(n, generator))


class VAE(GaussianLatent):
    """Common interface of the course VAEs; subclasses define ``encoder`` (x -> features), ``to_mu``,
    ``to_logvar`` (features -> N x latent_dim) and ``decoder`` (z -> images)."""

    encoder: nn.Module
    to_mu: nn.Module
    to_logvar: nn.Module
    decoder: nn.Module

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images N x 1 x 28 x 28 in [0, 1] -> (mu, logvar), each N x latent_dim."""
        check_images(x, "x", shape=self.image_shape)
        h = self.encoder(x)
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Latent codes N x latent_dim -> images N x 1 x 28 x 28 in [0, 1] (Bernoulli means)."""
        return self.decoder(check_code(z, self.latent_dim)).view(-1, *self.image_shape)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns ``(x_hat, mu, logvar)`` for one reparameterized sample z ~ q(z|x)."""
        mu, logvar = self.encode(x)
        return self.decode(self.reparameterize(mu, logvar)), mu, logvar


class MLPVAE(VAE):
    """The VAE of the paper's MNIST experiments: 784 -> hidden (ReLU) -> (mu, logvar); z -> hidden -> 784 (sigmoid)."""

    def __init__(self, latent_dim: int = 20, hidden: int = 400, image_shape: tuple[int, int, int] = IMAGE_SHAPE) -> None:
        super().__init__()
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        d = math.prod(self.image_shape)
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(d, hidden), nn.ReLU())
        self.to_mu, self.to_logvar = nn.Linear(hidden, latent_dim), nn.Linear(hidden, latent_dim)
        self.decoder = mlp([latent_dim, hidden, d], nn.Sigmoid())


class ConvVAE(VAE):
    """Convolutional VAE for 1 x 28 x 28: conv(4, s2) x2 -> [linear ->] (mu, logvar); z -> [linear ->] linear -> transposed conv x2.

    ``hidden`` is the width of a fully connected layer on each side of the code; 0 leaves it out, so the convolutional
    features map straight to (mu, logvar) and the code straight to the decoder's first feature map.
    """

    def __init__(self, latent_dim: int = 16, width: int = 32, hidden: int = 256) -> None:
        super().__init__()
        check_hidden(hidden)
        self.latent_dim = latent_dim
        head = [nn.Linear(conv_features(width), hidden), nn.ReLU()] if hidden else []
        self.encoder = nn.Sequential(conv_encoder(width), *head)
        features = hidden or conv_features(width)
        self.to_mu, self.to_logvar = nn.Linear(features, latent_dim), nn.Linear(features, latent_dim)
        self.decoder = conv_decoder(latent_dim, width, hidden)
