"""Conditional VAE (Sohn, Lee & Yan 2015, "Learning Structured Output Representation using Deep Conditional
Generative Models"): the label y, one-hot, enters both the encoder and the decoder.

    q(z | x, y) = N(mu(x, y), diag sigma^2(x, y))      p(x | z, y) = Bernoulli(dec(z, y))
    loss = -E_q[log p(x | z, y)] + beta * KL(q(z | x, y) || N(0, I))
Because the decoder is told the class, z is free to hold the style (slant, thickness); sampling
z ~ N(0, I) with a chosen y draws a digit of that class.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..utils import eval_mode, module_device
from ..input_checks import CourseInputError, check_images, check_tensor, describe
from .autoencoder import IMAGE_SHAPE, check_code, check_hidden, conv_decoder, conv_encoder, conv_features
from .vae import GaussianLatent


def one_hot(y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Class indices (N,) -> float one-hot N x n_classes; float N x n_classes (one-hot or soft labels) pass through."""
    if isinstance(y, torch.Tensor) and y.is_floating_point() and y.dim() == 2:
        return check_tensor(y, "y (one-hot or soft labels)", shape=(None, n_classes))
    check_tensor(y, "y (class labels)", ndim=1, integer=True)
    if y.numel() and (int(y.min()) < 0 or int(y.max()) >= n_classes):
        raise CourseInputError(f"y: expected class labels in 0..{n_classes - 1}, got values in {int(y.min())}..{int(y.max())}.")
    return F.one_hot(y, n_classes).float()


class CVAE(GaussianLatent):
    """Convolutional CVAE for 1 x 28 x 28 images with ``n_classes`` labels (``hidden`` as in :class:`ConvVAE`; 0: none)."""

    def __init__(self, latent_dim: int = 16, n_classes: int = 10, width: int = 32, hidden: int = 256) -> None:
        super().__init__()
        check_hidden(hidden)
        self.latent_dim, self.n_classes, self.image_shape = latent_dim, n_classes, IMAGE_SHAPE
        self.encoder = conv_encoder(width)  # x -> N x conv_features(w)
        joint = conv_features(width) + n_classes
        # [features, y] -> h (or h = [features, y] itself without a hidden layer)
        self.joint = nn.Sequential(nn.Linear(joint, hidden), nn.ReLU()) if hidden else nn.Identity()
        features = hidden or joint
        self.to_mu, self.to_logvar = nn.Linear(features, latent_dim), nn.Linear(features, latent_dim)
        self.decoder = conv_decoder(latent_dim + n_classes, width, hidden)  # [z, y] -> x_hat

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Images N x 1 x 28 x 28 in [0, 1] and labels (N,) -> (mu, logvar), each N x latent_dim."""
        check_images(x, "x", shape=self.image_shape)
        y1 = self._labels(y, len(x))
        h = self.joint(torch.cat([self.encoder(x), y1], dim=1))
        return self.to_mu(h), self.to_logvar(h)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Codes N x latent_dim and labels (N,) -> images N x 1 x 28 x 28 in [0, 1]."""
        check_code(z, self.latent_dim)
        return self.decoder(torch.cat([z, self._labels(y, len(z))], dim=1)).view(-1, *self.image_shape)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns ``(x_hat, mu, logvar)`` for one reparameterized sample z ~ q(z|x, y)."""
        mu, logvar = self.encode(x, y)
        return self.decode(self.reparameterize(mu, logvar), y), mu, logvar

    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """n images decoded from z ~ N(0, I), for ``labels`` (default 0, 1, ..., 9, 0, ... in turn), in eval mode under no_grad.

        ``cvae.sample(10, labels=torch.full((10,), 7))`` draws ten sevens.
        """
        labels = self.default_labels(n) if labels is None else torch.as_tensor(labels, device=module_device(self))
        if len(labels) != n:
            raise CourseInputError(f"labels: expected one label per sample ({n}), got {describe(labels)}.")
        with eval_mode(self), torch.no_grad():
            return self.decode(self.prior_codes(n, generator), labels)

    def default_labels(self, n: int) -> torch.Tensor:
        """0, 1, ..., n_classes - 1, 0, 1, ... (n labels): the classes in turn, as the comparison asks for them."""
        return torch.arange(n, device=module_device(self)) % self.n_classes

    def _labels(self, y: torch.Tensor, n: int) -> torch.Tensor:
        y1 = one_hot(y, self.n_classes)
        if len(y1) != n:
            raise CourseInputError(f"y: expected one label per image ({n}), got {describe(y)}.")
        return y1.to(module_device(self))
