"""Does a generative model copy its training images? Compare how close its samples come to the training set with
how close fresh images of the same distribution (the test set) come to it.

For every image x (flattened to a vector; pixels or features), d(x) = min_i ||x - t_i|| is the distance to its
nearest training image t_i. Take the held-out test images' distances d_test and a low quantile of them,

    threshold = quantile_q(d_test)                        (q = 0.05: the 5th percentile)
    copy_share = (1 / M) sum_j [ d(s_j) < threshold ]     over the M samples s_j

A model that copies its training images scores near 1 (a copy has d = 0); a model whose samples are as fresh as
test images scores about q; a share well above q says that more samples hug a training image than new data would.
The nearest index and distance of every sample are returned too, so a notebook can show each sample next to its
nearest training image (the usual visual check). The distance says nothing about quality: noise far from every
digit scores 0. This is a simple screen in the spirit of the data-copying tests of Meehan et al. 2020 ("A
Non-Parametric Test to Detect Data-Copying in Generative Models", AISTATS), not their test.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..input_checks import CourseInputError, check_same_device, check_tensor
from .precision_recall import nearest


@dataclass(frozen=True)
class Memorisation:
    copy_share: float  # share of samples closer to a training image than ``threshold``
    threshold: float  # the ``quantile`` of the test images' nearest-training distances
    quantile: float  # q: the share fresh images of the data distribution would score
    nearest_index: torch.Tensor  # (M,) index of each sample's nearest training image
    nearest_distance: torch.Tensor  # (M,) its Euclidean distance
    test_distance: torch.Tensor  # (T,) each test image's distance to its nearest training image


def _flat(x: object, name: str) -> torch.Tensor:
    check_tensor(x, name, floating=True)
    if x.dim() < 2 or len(x) == 0:
        raise CourseInputError(f"{name}: expected a batch N x ... (images N x C x H x W or features N x d) with N >= 1, got shape {tuple(x.shape)}.")
    return x.detach().flatten(1)


@torch.no_grad()
def memorisation(
    samples: torch.Tensor, train: torch.Tensor, test: torch.Tensor, quantile: float = 0.05, batch_size: int | None = None
) -> Memorisation:
    """The nearest training image of each of the M ``samples`` and the share closer to it than the ``quantile`` of
    the ``test`` images' nearest-training distances; see the module docstring. All three are N x ... tensors with
    the same shape per item, on one device (pixels or features); distances are Euclidean on the flattened items."""
    if not isinstance(quantile, (int, float)) or isinstance(quantile, bool) or not 0 < quantile < 1:
        raise CourseInputError(f"quantile: expected a share strictly between 0 and 1 (e.g. 0.05), got {quantile!r}.")
    flat = {name: _flat(x, name) for name, x in (("samples", samples), ("train", train), ("test", test))}
    shapes = {name: tuple(x.shape[1:]) for name, x in (("samples", samples), ("train", train), ("test", test))}
    if len(set(shapes.values())) > 1:
        said = ", ".join(f"{name} N x {' x '.join(map(str, s))}" for name, s in shapes.items())
        raise CourseInputError(f"samples, train and test: expected items of one shape, got {said}.")
    check_same_device(samples, train, test, names=["samples", "train", "test"])
    sample_distance, sample_index = nearest(flat["samples"], flat["train"], 1, batch_size)
    test_distance, _ = nearest(flat["test"], flat["train"], 1, batch_size)
    sample_distance, test_distance = sample_distance[:, 0], test_distance[:, 0]
    threshold = float(torch.quantile(test_distance.to("cpu", torch.float64), quantile))  # T values: cheap on the CPU
    copy_share = int((sample_distance < threshold).sum()) / len(sample_distance)
    return Memorisation(
        copy_share=copy_share, threshold=threshold, quantile=float(quantile),
        nearest_index=sample_index[:, 0], nearest_distance=sample_distance, test_distance=test_distance,
    )


__all__ = ["Memorisation", "memorisation"]
