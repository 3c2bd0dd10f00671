"""The course classifier's architecture: a small CNN whose 128-d features the metrics measure with.

Its penultimate features play the role Inception features play in FID (Heusel et al. 2017): the Frechet
distance, class coverage and conditional accuracy of generated digits are measured with it. Its training
recipe and cache (``course_classifier()``) live in :mod:`course_lib.train.classifier`.
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..input_checks import check_images
from ..utils import batched
from .autoencoder import conv_features

class Classifier(nn.Module):
    """x (N x 1 x 28 x 28 in [0, 1]) -> [conv3x3-ReLU-maxpool] x2 -> 128 features -> 10 logits."""

    def __init__(self, n_classes: int = 10, width: int = 16, n_features: int = 128) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # N x w x 14 x 14
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # N x 2w x 7 x 7
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(conv_features(width), n_features), nn.ReLU(),  # N x 128
        )
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(n_features, n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 128-d penultimate activations (after ReLU), N x 128."""
        check_images(x, "x", shape=(1, 28, 28))
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, N x n_classes."""
        return self.head(self.features(x))

    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Predicted class per image (N,), computed in eval mode and in batches."""
        return predict_labels(self, x, batch_size)


def predict_labels(classifier: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The class (argmax of the logits) ``classifier`` gives each image, (N,): in eval mode, in batches, under no_grad.

    The classifier's training/eval mode is restored afterwards.
    """
    return batched(lambda xb: classifier(xb).argmax(1), images, batch_size=batch_size, model=classifier)
