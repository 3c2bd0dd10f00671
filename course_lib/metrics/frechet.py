"""Frechet distance between two sets of images, in the feature space of the course classifier.

FID (Heusel et al. 2017) fits a Gaussian to the features of each set and compares them:
    FD = ||mu_1 - mu_2||^2 + Tr(S_1 + S_2 - 2 (S_1 S_2)^{1/2})
Here the features are the 128-d penultimate activations of the course's MNIST classifier instead of
Inception's. Lower is better; two samples of real data do not reach 0 (the "real-vs-real floor", e.g.
train vs test), so compare a model with that floor, at equal sample sizes (FD is biased upwards for small n).
"""
from __future__ import annotations

import torch

from ..utils import batched
from ..input_checks import CourseInputError, check_images, check_tensor, describe


@torch.no_grad()
def classifier_features(images: torch.Tensor, classifier: torch.nn.Module, batch_size: int = 500) -> torch.Tensor:
    """Penultimate features of ``classifier`` (the course's: ``train.course_classifier()``), N x 128."""
    check_images(images.detach() if isinstance(images, torch.Tensor) else images, "images", shape=(1, 28, 28))
    return batched(classifier.features, images, batch_size=batch_size, model=classifier)


def _as_features(x: torch.Tensor, name: str, classifier: torch.nn.Module | None) -> torch.Tensor:
    check_tensor(x, name, floating=True)
    if x.dim() == 4:
        if classifier is None:
            raise CourseInputError(f"{name}: images need a classifier to take features with: pass classifier=course_classifier() "
                                   "(from course_lib.train), or give N x D features instead.")
        return classifier_features(x, classifier)

    if x.dim() != 2:
        raise CourseInputError(f"{name}: expected images N x 1 x 28 x 28 or features N x D, got {describe(x)}.")
    return x


def gaussian_stats(features: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and covariance (D x D) of N x D features, in float64 on the CPU."""
    f = features.detach().to("cpu", torch.float64)
    return f.mean(0), torch.cov(f.T)


def frechet_distance(a: torch.Tensor, b: torch.Tensor, classifier: torch.nn.Module | None = None) -> float:
    """Frechet distance between two sets: images (features taken with ``classifier``) or N x D features."""
    fa, fb = _as_features(a, "a", classifier), _as_features(b, "b", classifier)
    if fa.shape[1] != fb.shape[1]:
        raise CourseInputError(f"a and b: expected features of the same size, got {describe(fa)} and {describe(fb)}.")
    if min(len(fa), len(fb)) < 2:
        raise CourseInputError("a and b: expected at least 2 samples each to estimate a covariance.")
    mu1, s1 = gaussian_stats(fa)
    mu2, s2 = gaussian_stats(fb)
    # Tr (S1 S2)^{1/2} = sum of square roots of the eigenvalues of S1^{1/2} S2 S1^{1/2} (symmetric, PSD).
    evals, evecs = torch.linalg.eigh(s1)
    root1 = evecs @ torch.diag(evals.clamp(min=0).sqrt()) @ evecs.T
    cross = torch.linalg.eigvalsh(root1 @ s2 @ root1).clamp(min=0).sqrt().sum()
    return float((mu1 - mu2).pow(2).sum() + torch.trace(s1) + torch.trace(s2) - 2 * cross)
