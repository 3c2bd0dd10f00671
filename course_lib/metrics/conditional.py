"""Conditional accuracy: how often a classifier gives generated images the labels they were asked for.

Generate images for requested labels, let a classifier (the course's) label them, and count agreement:
    acc = (1/N) sum_n [classifier(x_n) = y_n],
with the confusion matrix (requested x predicted) to see which classes are confused. Chapter 03 measures the
CVAE with it, and the comparison chapter judges claim 8 (controlled generation) by it.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..input_checks import CourseInputError, check_images, check_tensor, describe
from ..models.classifier import predict_labels


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
    images: torch.Tensor, requested: torch.Tensor, classifier: torch.nn.Module, n_classes: int = 10
) -> ConditionalAccuracy:
    """How often ``classifier`` (the course's: ``train.course_classifier()``) labels ``images`` as ``requested`` (one label per image)."""
    check_images(images.detach(), "images", shape=(1, 28, 28))
    check_tensor(requested, "requested", ndim=1, integer=True)
    if len(requested) != len(images):
        raise CourseInputError(f"requested: expected one label per image ({len(images)}), got {describe(requested)}.")
    predicted = predict_labels(classifier, images)
    requested = requested.to(predicted.device)
    confusion = torch.zeros(n_classes, n_classes, dtype=torch.float64, device=predicted.device)
    confusion.index_put_((requested, predicted), torch.ones_like(predicted, dtype=torch.float64), accumulate=True)
    counts = confusion.sum(1, keepdim=True)
    confusion = (confusion / counts.clamp_min(1)).float().cpu()
    per_class = torch.where(counts.squeeze(1).cpu() > 0, confusion.diagonal(), torch.nan)
    return ConditionalAccuracy(float((predicted == requested).float().mean()), per_class, confusion)
