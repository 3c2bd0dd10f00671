"""Autoencoders: x -> encoder -> code z (the bottleneck) -> decoder -> x_hat (Hinton & Salakhutdinov 2006).

Trained to reconstruct their input, min_theta (1/N) sum_n ||x_n - dec(enc(x_n))||^2 (or the Bernoulli
BCE). The MLP and convolutional versions share one interface: ``encode``, ``decode``, ``forward``.
A denoising autoencoder (Vincent et al. 2008) reconstructs x from a corrupted copy of x.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ..input_checks import CourseInputError, check_images, check_tensor

IMAGE_SHAPE = (1, 28, 28)


def check_code(z: torch.Tensor, size: int, name: str = "z") -> torch.Tensor:
    """A batch of codes, float N x size."""
    return check_tensor(z, name, shape=(None, size), floating=True)


def mlp(sizes: list[int], last_activation: nn.Module | None = None) -> nn.Sequential:
    """Linear layers of the given sizes with ReLU between them (and ``last_activation`` at the end)."""
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    if last_activation is not None:
        layers.append(last_activation)
    return nn.Sequential(*layers)


def conv_features(width: int, side: int = 7) -> int:
    """Numbers per image after two stride-2 stages on 28 x 28: 2 * width channels of side x side (7 x 7)."""
    return 2 * width * side * side


def check_hidden(hidden: int) -> int:
    """The width of an optional fully connected layer: a positive integer, or 0 for none."""
    if not isinstance(hidden, int) or isinstance(hidden, bool) or hidden < 0:
        raise CourseInputError(f"hidden: expected the width of a fully connected layer (a positive integer) or 0 for none, got {hidden!r}.")
    return hidden


def conv_encoder(width: int = 32) -> nn.Sequential:
    """N x 1 x 28 x 28 -> N x (2 width * 7 * 7): two stride-2 4x4 convolutions (DCGAN-style, no pooling)."""
    return nn.Sequential(
        nn.Conv2d(1, width, 4, stride=2, padding=1), nn.ReLU(),  # N x w x 14 x 14
        nn.Conv2d(width, 2 * width, 4, stride=2, padding=1), nn.ReLU(),  # N x 2w x 7 x 7
        nn.Flatten(),  # N x 2w*49
    )


def conv_decoder(in_features: int, width: int = 32, hidden: int = 0) -> nn.Sequential:
    """N x in_features -> N x 1 x 28 x 28 probabilities: the mirror of :func:`conv_encoder`, ending in a sigmoid."""
    head: list[nn.Module] = [nn.Linear(in_features, hidden), nn.ReLU()] if hidden else []
    return nn.Sequential(
        *head,
        nn.Linear(hidden or in_features, conv_features(width)), nn.ReLU(),
        nn.Unflatten(1, (2 * width, 7, 7)),  # N x 2w x 7 x 7
        nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), nn.ReLU(),  # N x w x 14 x 14
        nn.ConvTranspose2d(width, 1, 4, stride=2, padding=1), nn.Sigmoid(),  # N x 1 x 28 x 28
    )


class Autoencoder(nn.Module):
    """Common interface: ``encode(x) -> z``, ``decode(z) -> x_hat``, ``forward(x) = decode(encode(x))``."""

    encoder: nn.Module
    decoder: nn.Module
    latent_dim: int
    image_shape: tuple[int, int, int] = IMAGE_SHAPE

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images N x C x H x W in [0, 1] -> codes N x latent_dim."""
        check_images(x, "x", shape=self.image_shape)
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes N x latent_dim -> reconstructions N x C x H x W in [0, 1]."""
        return self.decoder(check_code(z, self.latent_dim)).view(-1, *self.image_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class MLPAutoencoder(Autoencoder):
    """Fully connected: 784 -> hidden... -> latent_dim -> ...hidden -> 784 (sigmoid)."""

    def __init__(self, latent_dim: int = 32, hidden: tuple[int, ...] = (512, 256), image_shape: tuple[int, int, int] = IMAGE_SHAPE) -> None:
        super().__init__()
        if latent_dim < 1:
            raise CourseInputError(f"latent_dim: expected a positive integer, got {latent_dim!r}.")
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        d = math.prod(self.image_shape)
        self.encoder = nn.Sequential(nn.Flatten(), mlp([d, *hidden, latent_dim]))
        self.decoder = mlp([latent_dim, *reversed(hidden), d], nn.Sigmoid())


class ConvAutoencoder(Autoencoder):
    """Convolutional, for 1 x 28 x 28: conv(4, s2) x2 -> [linear ->] linear -> code -> [linear ->] linear -> transposed conv x2
    (sigmoid); ``hidden`` = 0 leaves out the bracketed fully connected layers."""

    def __init__(self, latent_dim: int = 32, width: int = 32, hidden: int = 256) -> None:
        super().__init__()
        check_hidden(hidden)
        if latent_dim < 1:
            raise CourseInputError(f"latent_dim: expected a positive integer, got {latent_dim!r}.")
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(conv_encoder(width), mlp([conv_features(width), *([hidden] if hidden else []), latent_dim]))
        self.decoder = conv_decoder(latent_dim, width, hidden)


def corrupt(
    x: torch.Tensor, noise_std: float = 0.5, generator: torch.Generator | None = None, noise: torch.Tensor | None = None
) -> torch.Tensor:
    """Additive Gaussian noise, clipped back to [0, 1]: x~ = clip(x + noise_std * eps, 0, 1).

    ``noise`` gives fixed draws eps (same shape as x), so one picture can be shown at several noise levels.
    """
    eps = torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator) if noise is None else noise.to(x)
    return (x + noise_std * eps).clamp(0.0, 1.0)


class DenoisingAutoencoder(nn.Module):
    """Wraps an autoencoder: in training mode it reconstructs x from ``corrupt(x)``; in eval mode it maps x -> x_hat.

    Trained with the same loss, loss(model(x), x), it learns to remove the noise (Vincent et al. 2008).
    """

    def __init__(self, autoencoder: Autoencoder, noise_std: float = 0.5) -> None:
        super().__init__()
        self.autoencoder, self.noise_std = autoencoder, noise_std
        self.latent_dim, self.image_shape = autoencoder.latent_dim, autoencoder.image_shape

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.encode(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.autoencoder.decode(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, "x", shape=self.image_shape)
        return self.autoencoder(corrupt(x, self.noise_std) if self.training else x)
