"""Measuring and improving conditional generation: conditional accuracy, and a per-class prior for a CVAE.

Conditional accuracy: generate images for requested labels, let a classifier (by default the course classifier)
label them, and count how often it agrees with the request:  acc = (1/N) sum_n [classifier(x_n) = y_n].

A CVAE trained with the fixed prior p(z) = N(0, I) learns codes whose spread differs from class to class (the
style of a 1 is not the style of a 0): the *aggregate posterior* of class y, q(z | y) = E_x[q(z | x, y)], is not
N(0, I), and a z drawn from N(0, I) can be a style the decoder never saw with that label. Sohn et al. (2015)
learn a conditional prior p(z | y); :class:`ClassPrior` fits one after training, a Gaussian per class,
    p(z | y) = N(m_y, S_y),   m_y, S_y = mean and covariance of mu(x, y) over the training images of class y,
in the spirit of the ex-post density estimation of Ghosh et al. (2020, "From Variational to Deterministic Autoencoders").
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from .models.classifier import predict_labels
from .models.mode import eval_mode
from .validate import CourseInputError, check_images, check_tensor, describe


@dataclass
class ConditionalAccuracy:
    """``overall`` accuracy, ``per_class`` accuracy (n_classes,) and the ``confusion`` matrix (requested x predicted, rows sum to 1)."""

    overall: float
    per_class: torch.Tensor
    confusion: torch.Tensor

    def __repr__(self) -> str:
        return f"ConditionalAccuracy({self.overall:.1%}; per class {[round(v, 2) for v in self.per_class.tolist()]})"


@torch.no_grad()
def conditional_accuracy(
    images: torch.Tensor, requested: torch.Tensor, classifier: torch.nn.Module | None = None, n_classes: int = 10
) -> ConditionalAccuracy:
    """How often ``classifier`` (default: the course classifier) labels ``images`` as ``requested`` (one label per image)."""
    check_images(images.detach(), "images", shape=(1, 28, 28))
    check_tensor(requested, "requested", ndim=1, integer=True)
    if len(requested) != len(images):
        raise CourseInputError(f"requested: expected one label per image ({len(images)}), got {describe(requested)}.")
    if classifier is None:
        from .models.classifier import course_classifier

        classifier = course_classifier(images.device)
    predicted = predict_labels(classifier, images)
    requested = requested.to(predicted.device)
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.float64, device=predicted.device)
    confusion.index_put_((requested, predicted), torch.ones_like(predicted, dtype=torch.float64), accumulate=True)
    counts = confusion.sum(1, keepdim=True)
    confusion = (confusion / counts.clamp_min(1)).float().cpu()
    per_class = torch.where(counts.squeeze(1).cpu() > 0, confusion.diagonal(), torch.nan)
    return ConditionalAccuracy(float((predicted == requested).float().mean()), per_class, confusion)


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
        with eval_mode(model):
            mu = torch.cat([model.encode(x[i : i + batch_size], y[i : i + batch_size])[0] for i in range(0, len(x), batch_size)])
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
