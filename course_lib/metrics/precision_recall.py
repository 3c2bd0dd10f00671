"""Improved precision and recall of a generative model (Kynkäänniemi et al. 2019, "Improved Precision and Recall
Metric for Assessing Generative Models", NeurIPS): FD mixes quality and diversity into one number; these two
numbers pull them apart.

Take real features R = {r_1 .. r_N} and generated ones G = {g_1 .. g_M} (N x d and M x d, e.g. the course
classifier's features). Estimate each manifold from its points: around every real point r_i put a ball whose radius is the
distance to its k-th nearest *other* real point, NN_k(r_i). A point lies on the real manifold when it falls
inside at least one of these balls:

    f(x, R) = 1  if  ||x - r_i|| <= ||r_i - NN_k(r_i)||  for some r_i in R,  else 0

    precision = (1 / M) sum_j f(g_j, R)     share of generated points that look real (quality)
    recall    = (1 / N) sum_i f(r_i, G)     share of real points the generator reaches (diversity; balls from G)

A generator that draws only some of the digits, each one well, has precision near 1 and recall near the share it
covers; one that draws blobs far from any digit has both near 0. Even two samples of one distribution score below 1,
the more so the higher the (intrinsic) dimension and the smaller k: for Gaussians and k = 3, about 0.98 in 2-D and
0.6 in 64-D. The paper uses k = 3 and 50,000 VGG-16 features per set; compare models at equal k and set sizes.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch

from ..input_checks import CourseInputError, check_same_device, check_tensor

MAX_ELEMENTS = 2**23  # distances computed at once (64 MiB in float64): bounds memory for 5k x 5k and beyond


@dataclass(frozen=True)
class PrecisionRecall:
    precision: float  # share of generated points inside the real manifold
    recall: float  # share of real points inside the generated manifold
    k: int  # the neighbour that sets each ball's radius


def distance_dtype(device: torch.device) -> torch.dtype:
    """float64 where the device has it (CPU, CUDA), else float32 (MPS)."""
    return torch.float32 if device.type == "mps" else torch.float64


def nearest(
    queries: torch.Tensor, reference: torch.Tensor, k: int = 1, batch_size: int | None = None
) -> tuple[torch.Tensor, torch.Tensor]:
    """Euclidean distances (Q x k, ascending) and indices (Q x k) of each query's k nearest reference points.

    ``torch.cdist`` on ``batch_size`` queries at a time (default: as many as fit in :data:`MAX_ELEMENTS`
    distances), in float64 where the device has it. A query that is itself in ``reference`` finds itself first."""
    dtype = distance_dtype(queries.device)
    ref = reference.to(dtype)
    rows = batch_size or max(1, MAX_ELEMENTS // max(1, len(ref)))
    dists, idx = [], []
    for start in range(0, len(queries), rows):
        d = torch.cdist(queries[start : start + rows].to(dtype), ref)  # rows x R
        values, indices = d.topk(k, dim=1, largest=False)
        dists.append(values)
        idx.append(indices)
    return torch.cat(dists), torch.cat(idx)


def knn_radii(features: torch.Tensor, k: int = 3, batch_size: int | None = None) -> torch.Tensor:
    """The distance of each point to its k-th nearest other point of the same set (N,)."""
    distances, _ = nearest(features, features, k + 1, batch_size)  # the first neighbour is the point itself
    return distances[:, k]


def inside_manifold(
    points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor, batch_size: int | None = None
) -> torch.Tensor:
    """For each point, whether it lies inside at least one ball (centre, radius) (P, bool)."""
    dtype = distance_dtype(points.device)
    ref, r = centres.to(dtype), radii.to(dtype)
    rows = batch_size or max(1, MAX_ELEMENTS // max(1, len(ref)))
    return torch.cat([
        (torch.cdist(points[start : start + rows].to(dtype), ref) <= r).any(dim=1)  # rows x C -> rows
        for start in range(0, len(points), rows)
    ])


def check_feature_sets(real: object, generated: object, k: int, names: tuple[str, str] = ("real", "generated")) -> None:
    """Two floating N x d and M x d feature sets on one device, the same d, at least k + 1 finite points each."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 1:
        raise CourseInputError(f"k: expected a whole number >= 1 (the paper uses 3), got {k!r}.")
    for x, name in zip((real, generated), names):
        check_tensor(x, name, ndim=2, floating=True)
        if len(x) < k + 1:
            raise CourseInputError(f"{name}: expected at least k + 1 = {k + 1} points (rows) for the k-NN radii, got {len(x)}.")
        if not bool(torch.isfinite(x).all()):
            raise CourseInputError(f"{name}: expected finite features, got NaN or infinite values.")
    if real.shape[1] != generated.shape[1]:
        raise CourseInputError(
            f"{names[0]} and {names[1]}: expected features of the same size d, got {real.shape[1]} and {generated.shape[1]}."
        )
    check_same_device(real, generated, names=list(names))


@torch.no_grad()
def precision_recall(
    real: torch.Tensor, generated: torch.Tensor, k: int = 3, batch_size: int | None = None
) -> PrecisionRecall:
    """Improved precision and recall (Kynkäänniemi et al. 2019) of ``generated`` features (M x d) against ``real``
    ones (N x d), with k-NN balls of the ``k``-th neighbour; see the module docstring. ``batch_size`` rows of
    distances are computed at a time (default: memory-bounded)."""
    check_feature_sets(real, generated, k)
    real, generated = real.detach(), generated.detach()
    real_radii = knn_radii(real, k, batch_size)
    generated_radii = knn_radii(generated, k, batch_size)
    precision = int(inside_manifold(generated, real, real_radii, batch_size).sum()) / len(generated)
    recall = int(inside_manifold(real, generated, generated_radii, batch_size).sum()) / len(real)
    return PrecisionRecall(precision=precision, recall=recall, k=k)


__all__ = ["PrecisionRecall", "check_feature_sets", "inside_manifold", "knn_radii", "nearest", "precision_recall"]
