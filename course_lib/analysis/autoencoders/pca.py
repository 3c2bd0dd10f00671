"""Baselines an autoencoder must beat: PCA, the best *linear* autoencoder.

PCA keeps the k directions of largest variance of the centred training images, W (k x D, orthonormal rows):

    encode  z = W (x - m)            decode  x_hat = clip(W^T z + m, 0, 1)

Among all linear encoders and decoders with a k-dimensional code it minimises the squared reconstruction
error on the training set (Eckart & Young 1936; Baldi & Hornik 1989 showed a linear autoencoder trained
with MSE finds the same subspace). The clip to [0, 1] only helps: pixels are known to lie there.
``PCA`` has the interface of the course's autoencoders (``encode``, ``decode``, ``forward``), so every
function that takes an autoencoder also takes it.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn

from ...input_checks import CourseInputError, check_images, check_tensor


class PCA(nn.Module):
    """``PCA(latent_dim).fit(train_x)``: a linear autoencoder in closed form (one SVD of the training images)."""

    def __init__(self, latent_dim: int, image_shape: tuple[int, int, int] = (1, 28, 28)) -> None:
        super().__init__()
        if not isinstance(latent_dim, int) or latent_dim < 1:
            raise CourseInputError(f"latent_dim: expected a positive integer, got {latent_dim!r}.")
        self.latent_dim, self.image_shape = latent_dim, tuple(image_shape)
        d = math.prod(self.image_shape)
        self.register_buffer("mean", torch.zeros(d))
        self.register_buffer("all_components", torch.zeros(0, d))  # every principal direction, largest variance first
        self.register_buffer("variances", torch.zeros(0))  # the variance of the data along each direction

    @property
    def fitted(self) -> bool:
        return self.all_components.shape[0] > 0

    @property
    def components(self) -> torch.Tensor:
        """W, latent_dim x D: the first ``latent_dim`` principal directions (orthonormal rows)."""
        if not self.fitted:
            raise CourseInputError("this PCA is not fitted yet: call pca.fit(train_x) first.")
        return self.all_components[: self.latent_dim]

    @torch.no_grad()
    def fit(self, x: torch.Tensor) -> "PCA":
        """Fit the mean and the principal directions to images x (N x C x H x W in [0, 1]); returns self."""
        check_images(x, "x", shape=self.image_shape)
        flat = x.flatten(1).double()  # N x D
        if self.latent_dim > min(flat.shape):
            raise CourseInputError(f"latent_dim {self.latent_dim} is larger than min(N, D) = {min(flat.shape)} for these images.")
        mean = flat.mean(0)
        _, s, vh = torch.linalg.svd(flat - mean, full_matrices=False)  # vh: min(N, D) x D
        self.mean = mean.to(x.dtype)
        self.all_components = vh.to(x.dtype)
        self.variances = (s.pow(2) / max(len(flat) - 1, 1)).to(x.dtype)
        return self

    def with_latent_dim(self, latent_dim: int) -> "PCA":
        """The same fitted PCA keeping ``latent_dim`` directions (no new SVD)."""
        if not self.fitted:
            raise CourseInputError("this PCA is not fitted yet: call pca.fit(train_x) first.")
        if not 1 <= latent_dim <= self.all_components.shape[0]:
            raise CourseInputError(f"latent_dim: expected 1 to {self.all_components.shape[0]}, got {latent_dim!r}.")
        other = PCA(latent_dim, self.image_shape).to(self.mean.device)
        other.mean, other.all_components, other.variances = self.mean, self.all_components, self.variances
        return other

    def explained_variance_ratio(self) -> float:
        """Share of the training images' total variance kept by the first ``latent_dim`` directions."""
        return float(self.variances[: self.latent_dim].sum() / self.variances.sum())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """Images N x C x H x W -> codes N x latent_dim: z = W (x - m)."""
        check_images(x, "x", shape=self.image_shape)
        return (x.flatten(1) - self.mean) @ self.components.T

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Codes N x latent_dim -> images N x C x H x W in [0, 1]: clip(W^T z + m, 0, 1)."""
        check_tensor(z, "z", shape=(None, self.latent_dim), floating=True)
        return (z @ self.components + self.mean).clamp(0.0, 1.0).view(-1, *self.image_shape)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
