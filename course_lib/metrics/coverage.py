"""Class coverage of generated digits: which classes does a generator produce, and how evenly?

The course classifier labels each generated image; from the class histogram p we report
    covered = number of classes that get at least ``min_share`` of their fair share n / n_classes
    entropy = -sum_c p_c log p_c  (nats; log n_classes = 2.30 for 10 classes means perfectly even)
A mode-collapsed generator covers few classes with a low entropy.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ..models.classifier import predict_labels
from ..input_checks import check_images


@dataclass
class ClassCoverage:
    covered: int
    entropy: float
    histogram: torch.Tensor  # fraction of the samples in each class, (n_classes,)

    @property
    def max_entropy(self) -> float:
        return math.log(len(self.histogram))

    def __repr__(self) -> str:
        return f"ClassCoverage(covered={self.covered}/{len(self.histogram)}, entropy={self.entropy:.3f} of {self.max_entropy:.3f} nats)"


@torch.no_grad()
def class_coverage(
    images: torch.Tensor, classifier: torch.nn.Module, n_classes: int = 10, min_share: float = 0.1
) -> ClassCoverage:
    """Classify ``images`` with ``classifier`` (the course's: ``train.course_classifier()``) and summarise the class histogram."""
    check_images(images.detach() if isinstance(images, torch.Tensor) else images, "images", shape=(1, 28, 28))
    pred = predict_labels(classifier, images)
    hist = torch.bincount(pred, minlength=n_classes).double().cpu() / len(pred)
    entropy = float(-(hist[hist > 0] * hist[hist > 0].log()).sum())
    covered = int((hist >= min_share / n_classes).sum())
    return ClassCoverage(covered, entropy, hist.float())
