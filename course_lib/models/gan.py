"""Generators, discriminators and critics for GANs (Goodfellow et al. 2014) and WGANs (Arjovsky et al. 2017).

- DCGAN for 1 x 28 x 28 images (Radford, Metz & Chintala 2016): transposed convolutions with batch norm and
  ReLU in the generator, strided convolutions with LeakyReLU(0.2) in the discriminator, no pooling.
  The generator ends in a sigmoid, so its images are in [0, 1] like the data (the paper uses tanh on [-1, 1]).
- MLPs for the 2-D toy mixtures ring8 and grid25 (the setting of Gulrajani et al. 2017, section 5).
Discriminators and critics return one raw score per sample (N,): a logit for a GAN (the losses apply
BCE-with-logits), a real number for a WGAN critic (no sigmoid, ever).
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..input_checks import CourseInputError, check_images, check_tensor
from ..utils import eval_mode, module_device
from .autoencoder import conv_features


class Generator(nn.Module):
    """Common interface: ``forward(z)`` maps N x latent_dim noise to samples; ``noise(n)`` draws z ~ N(0, I); ``sample(n)`` looks."""

    latent_dim: int

    def noise(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n noise vectors z ~ N(0, I), N x latent_dim on the generator's device: train with ``G(G.noise(n))``."""
        return torch.randn(n, self.latent_dim, generator=generator).to(module_device(self))

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """n samples G(z), z ~ N(0, I), in eval mode under no_grad (to look at and to measure, not to train)."""
        with eval_mode(self), torch.no_grad():
            return self(self.noise(n, generator))

    def check_noise(self, z: torch.Tensor) -> None:
        check_tensor(z, "z (noise)", shape=(None, self.latent_dim), floating=True)


class DCGANGenerator(Generator):
    """z (N x latent_dim) -> linear -> 2w x 7 x 7 -> up to w x 14 x 14 -> up to 1 x 28 x 28 in [0, 1]."""

    def __init__(self, latent_dim: int = 64, width: int = 64) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.net = nn.Sequential(
            nn.Linear(latent_dim, conv_features(width), bias=False), nn.BatchNorm1d(conv_features(width)), nn.ReLU(True),
            nn.Unflatten(1, (2 * width, 7, 7)),  # N x 2w x 7 x 7
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU(True),  # N x w x 14 x 14
            nn.ConvTranspose2d(width, 1, 4, 2, 1), nn.Sigmoid(),  # N x 1 x 28 x 28
        )

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.check_noise(z)
        return self.net(z)


class DCGANDiscriminator(nn.Module):
    """x (N x 1 x 28 x 28 in [0, 1]) -> conv s2 -> conv s2 -> linear -> one logit per image (N,).

    ``norm="batch"`` is the DCGAN discriminator; the critic below uses layer norm, because a gradient penalty
    is taken per sample and batch norm mixes the samples of a batch (Gulrajani et al. 2017, section 4).
    """

    def __init__(self, width: int = 64, norm: str = "batch") -> None:
        super().__init__()
        if norm not in ("batch", "layer", "none"):
            raise CourseInputError(f"norm: expected 'batch', 'layer' or 'none', got {norm!r}.")
        normalise = {"batch": lambda: nn.BatchNorm2d(2 * width), "layer": lambda: nn.GroupNorm(1, 2 * width), "none": nn.Identity}[norm]
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1), nn.LeakyReLU(0.2),  # N x w x 14 x 14
            nn.Conv2d(width, 2 * width, 4, 2, 1), normalise(), nn.LeakyReLU(0.2),  # N x 2w x 7 x 7
            nn.Flatten(), nn.Linear(conv_features(width), 1),  # N x 1
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_images(x, "x", shape=(1, 28, 28))
        return self.net(2 * x - 1).squeeze(1)  # [0, 1] -> [-1, 1] inside; N raw scores


class DCGANCritic(DCGANDiscriminator):
    """WGAN critic for 28 x 28 images: the DCGAN discriminator with layer norm and no sigmoid (a score, not a probability)."""

    def __init__(self, width: int = 64, norm: str = "layer") -> None:
        super().__init__(width, norm)


class MLPGenerator(Generator):
    """Toy generator: z (N x latent_dim) -> [Linear-ReLU] x depth -> N x out_dim points."""

    def __init__(self, latent_dim: int = 2, hidden: int = 512, depth: int = 3, out_dim: int = 2) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(latent_dim if i == 0 else hidden, hidden), nn.ReLU(True)]
        self.net = nn.Sequential(*layers, nn.Linear(hidden, out_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        self.check_noise(z)
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """Toy discriminator or critic: x (N x in_dim) -> [Linear-ReLU] x depth -> one raw score per point (N,)."""

    def __init__(self, in_dim: int = 2, hidden: int = 512, depth: int = 3) -> None:
        super().__init__()
        self.in_dim = in_dim
        layers: list[nn.Module] = []
        for i in range(depth):
            layers += [nn.Linear(in_dim if i == 0 else hidden, hidden), nn.ReLU()]
        self.net = nn.Sequential(*layers, nn.Linear(hidden, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_tensor(x, "x (points)", shape=(None, self.in_dim), floating=True)
        return self.net(x).squeeze(1)


MLPCritic = MLPDiscriminator  # the same network; as a WGAN critic its score is read as a real number
