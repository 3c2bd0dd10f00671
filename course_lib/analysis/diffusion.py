"""Chapter 06: what a diffusion model's samples are worth, and what they cost, against the number of steps and the
guidance scale; and inpainting measured as chapter 03 measures it.

    score_samples(x, ...)        FD, precision, recall and classes of any model's samples x against as many test digits
                                 (the rulers of chapter 07: the course classifier's features)
    sample_quality(model, ...)   score_samples of n samples of the diffusion model, and the milliseconds per sample
    sampler_table(model, ...)    one row of sample_quality per sampler setting (steps, guidance, with or without a class)
    fill_scores(fills, ...)      the squared error on the hidden pixels and the share of completed digits the classifier
                                 recognises, for every method's fills of the same hidden pixels
The samples of a class-conditional model ask for the classes 0..9 in turn (``classes=True``) or for none (the null
label of classifier-free guidance, ``classes=False``: the model as an unconditional one, as chapter 07 samples it).
"""
from __future__ import annotations

import time
from typing import Iterable, Mapping

import torch
import torch.nn as nn

from ..input_checks import CourseInputError
from ..metrics.coverage import class_coverage
from ..metrics.frechet import classifier_features, frechet_distance
from ..metrics.inpainting import hidden_error
from ..metrics.precision_recall import precision_recall
from ..models.classifier import predict_labels
from ..utils import module_device, progress as progress_bar


def sampling_labels(model: nn.Module, n: int, classes: bool) -> torch.Tensor | None:
    """0, 1, ..., 9, 0, ... (``classes``) or the null label n times; None for an unconditional model."""
    if getattr(model, "n_classes", None) is None:
        if classes:
            raise CourseInputError("classes=True needs a class-conditional model (built with n_classes=10).")
        return None
    device = module_device(model)
    if classes:
        return torch.arange(n, device=device) % model.n_classes
    return torch.full((n,), model.null_label, dtype=torch.long, device=device)


@torch.no_grad()
def sample_quality(
    model: nn.Module,
    test_x: torch.Tensor,
    classifier: nn.Module,
    *,
    n: int | None = None,
    steps: int | None = 20,
    guidance: float = 0.0,
    classes: bool = True,
    seed: int = 0,
    test_features: torch.Tensor | None = None,
) -> dict[str, float]:
    """FD, precision, recall (k = 3) and classes covered of ``n`` samples (default: as many as test images) against
    the first ``n`` test images, ``ms``: milliseconds per sample, and with ``classes`` ``on_class``: the share of samples
    the classifier puts in the class asked for. ``steps=None``: DDPM's T ancestral steps."""
    n = n or len(test_x)
    if n > len(test_x):
        raise CourseInputError(f"n: expected at most {len(test_x)} samples (the FD compares as many samples as test images), got {n}.")
    if guidance and not classes:
        raise CourseInputError("guidance needs a class to guide towards: pass classes=True, or guidance=0.")
    real = test_features if test_features is not None else classifier_features(test_x[:n], classifier)
    labels = sampling_labels(model, n, classes)
    start = time.perf_counter()
    x = model.sample(n, labels=labels, steps=steps, guidance=guidance, generator=torch.Generator().manual_seed(seed))
    ms = 1000 * (time.perf_counter() - start) / n
    row = {**score_samples(x, test_x, classifier, test_features=real), "ms": ms}
    if classes:  # fidelity to the label: the share the classifier puts in the class asked for
        row["on_class"] = float((predict_labels(classifier, x) == labels).float().mean())
    return row


@torch.no_grad()
def score_samples(
    x: torch.Tensor, test_x: torch.Tensor, classifier: nn.Module, test_features: torch.Tensor | None = None
) -> dict[str, float]:
    """FD, precision, recall (k = 3) and classes covered of the samples ``x`` (any model's, N x 1 x 28 x 28 in [0, 1])
    against the first N test images (or their classifier features, ``test_features``)."""
    if len(x) > len(test_x):
        raise CourseInputError(f"x: expected at most {len(test_x)} samples (as many as test images), got {len(x)}.")
    real = test_features if test_features is not None else classifier_features(test_x[: len(x)], classifier)
    features = classifier_features(x, classifier)
    pr = precision_recall(real, features, k=3)
    return {"fd": frechet_distance(features, real), "precision": pr.precision, "recall": pr.recall,
            "classes": class_coverage(x, classifier).covered}


def sampler_table(
    model: nn.Module, test_x: torch.Tensor, classifier: nn.Module, settings: Iterable[Mapping[str, object]], *,
    n: int | None = None, seed: int = 0, progress: bool = True,
) -> list[dict[str, object]]:
    """One row per setting (keys of :func:`sample_quality`: steps, guidance, classes), the setting and its numbers.
    Every row draws its samples from the same seed, so the rows differ only in the setting."""
    settings = [dict(s) for s in settings]
    n = n or len(test_x)
    real = classifier_features(test_x[:n], classifier)
    rows = []
    for setting in progress_bar(settings, **({} if progress else {"disable": True}), desc="sampling"):
        rows.append({**setting, **sample_quality(model, test_x, classifier, n=n, seed=seed, test_features=real, **setting)})
    return rows


def format_rows(rows: list[Mapping[str, object]], keys: Iterable[str]) -> str:
    """A fixed-width text table of ``rows`` with the columns ``keys`` (numbers rounded for reading, ``-`` where a row
    has no value)."""
    keys = list(keys)

    def cell(value: object) -> str:
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 10 else f"{value:.1f}"
        return "-" if value is None else str(value)

    table = [keys] + [[cell(r.get(k)) for k in keys] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(keys))]
    return "\n".join("  ".join(c.rjust(w) for c, w in zip(line, widths)) for line in table)


@torch.no_grad()
def fill_scores(
    fills: Mapping[str, torch.Tensor], x: torch.Tensor, y: torch.Tensor, observed: torch.Tensor, classifier: nn.Module,
) -> dict[str, dict[str, float]]:
    """For each method's completion of the same images: ``error``, the mean squared error per hidden pixel (lower is
    better), and ``recognised``, the share the classifier puts in the true class y (higher is better)."""
    out = {}
    for name, filled in fills.items():
        if filled.shape != x.shape:
            raise CourseInputError(f"fills[{name!r}]: expected the shape of x, {tuple(x.shape)}, got {tuple(filled.shape)}.")
        out[name] = {"error": float(hidden_error(filled, x, observed).mean()),
                     "recognised": float((predict_labels(classifier, filled) == y).float().mean())}
    return out


__all__ = ["fill_scores", "format_rows", "sample_quality", "sampler_table", "sampling_labels", "score_samples"]
