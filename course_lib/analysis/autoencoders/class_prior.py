"""Improving conditional generation: a per-class prior for a CVAE (measured by ``metrics.conditional_accuracy``).

A CVAE trained with the fixed prior p(z) = N(0, I) learns codes whose spread differs from class to class (the
style of a 1 is not the style of a 0): the *aggregate posterior* of class y, q(z | y) = E_x[q(z | x, y)], is not
N(0, I), and a z drawn from N(0, I) can be a style the decoder never saw with that label. Sohn et al. (2015)
learn a conditional prior p(z | y); :class:`ClassPrior` fits one after training, a Gaussian per class,
    p(z | y) = N(m_y, S_y),   m_y, S_y = mean and covariance of mu(x, y) over the training images of class y,
in the spirit of the ex-post density estimation of Ghosh et al. (2020, "From Variational to Deterministic Autoencoders").
"""
from __future__ import annotations

import torch

from ...utils import batched
from ...input_checks import CourseInputError, check_images, check_tensor, describe


class ClassPrior:
    """p(z | y) = N(m_y, S_y): one Gaussian per class, fitted to the posterior means of a CVAE's training codes."""

    def __init__(self, means: torch.Tensor, covariances: torch.Tensor) -> None:
        if means.dim() != 2 or covariances.shape != (*means.shape, means.shape[1]):
            raise CourseInputError(f"expected means C x d and covariances C x d x d, got {describe(means)} and {describe(covariances)}.")
        self.means, self.covariances = means, covariances
        self.scale_tril = torch.linalg.cholesky(covariances)  # C x d x d, for sampling

    @classmethod
    @torch.no_grad()
    def fit(cls, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, jitter: float = 1e-4, batch_size: int = 500) -> "ClassPrior":
        """Encode ``x`` with its labels ``y`` (mu only) and fit a Gaussian to the codes of each of ``model.n_classes`` classes."""
        check_tensor(y, "y", ndim=1, integer=True)
        mu = batched(lambda xb, yb: model.encode(xb, yb)[0], x, y, batch_size=batch_size, model=model)
        means, covariances = [], []
        eye = torch.eye(mu.shape[1], device=mu.device)
        for c in range(model.n_classes):
            codes = mu[y == c]
            if len(codes) < 2:
                raise CourseInputError(f"class {c} has {len(codes)} training images; a Gaussian needs at least 2.")
            means.append(codes.mean(0))
            covariances.append(torch.cov(codes.T).reshape(mu.shape[1], mu.shape[1]) + jitter * eye)
        return cls(torch.stack(means), torch.stack(covariances))

    def sample(self, y: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """One code per label, z = m_y + L_y eps with L_y L_y^T = S_y; N x d on the prior's device."""
        y = torch.as_tensor(y, device=self.means.device)
        eps = torch.randn(len(y), self.means.shape[1], generator=generator).to(self.means.device)
        return self.means[y] + (self.scale_tril[y] @ eps.unsqueeze(-1)).squeeze(-1)
