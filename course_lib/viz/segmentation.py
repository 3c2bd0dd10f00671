"""Pictures of segmentations: class masks in colour, masks laid over their images, errors highlighted.

All functions take tensors on any device (or NumPy arrays) and return NumPy RGB arrays H x W x 3 in
[0, 1] or matplotlib figures, so the notebooks and the explorers draw the same pictures.
"""
from __future__ import annotations

from typing import Sequence

import matplotlib
import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch

ERROR_COLOR = (0.95, 0.15, 0.15)  # wrong pixels
HIT_COLOR = (0.2, 0.75, 0.3)  # true positives of one class
MISS_COLOR = (0.15, 0.45, 0.95)  # false negatives of one class


def _numpy(x: torch.Tensor | np.ndarray) -> np.ndarray:
    return x.detach().float().cpu().numpy() if isinstance(x, torch.Tensor) else np.asarray(x)


def class_colors(n_classes: int, background: int | None = None) -> np.ndarray:
    """One RGB colour per class (n_classes x 3 in [0, 1]): tab10 / tab20 for the classes, black for ``background``."""
    if n_classes < 1:
        raise ValueError(f"expected at least one class, got n_classes={n_classes}.")
    foreground = [c for c in range(n_classes) if c != background]
    cmap = matplotlib.colormaps["tab10" if len(foreground) <= 10 else "tab20"]
    colors = np.zeros((n_classes, 3), dtype=np.float64)  # the background stays black
    colors[foreground] = [cmap(i % cmap.N)[:3] for i in range(len(foreground))]
    return colors


def colorize(mask: torch.Tensor | np.ndarray, n_classes: int, background: int | None = None) -> np.ndarray:
    """A class mask H x W (integers) as an RGB picture H x W x 3."""
    m = _numpy(mask).astype(np.int64)
    if m.ndim != 2:
        raise ValueError(f"expected one mask shaped H x W, got shape {m.shape}.")
    return class_colors(n_classes, background)[np.clip(m, 0, n_classes - 1)]


def as_rgb(image: torch.Tensor | np.ndarray) -> np.ndarray:
    """An image 1 x H x W or H x W (grey) or 3 x H x W (colour) in [0, 1] as RGB H x W x 3."""
    x = _numpy(image)
    if x.ndim == 3 and x.shape[0] == 3:
        return np.clip(np.moveaxis(x, 0, -1), 0, 1).astype(np.float64)
    if x.ndim == 3 and x.shape[0] == 1:
        x = x[0]
    if x.ndim != 2:
        raise ValueError(f"expected one image shaped 1 x H x W, 3 x H x W or H x W, got shape {x.shape}.")
    return np.repeat(np.clip(x, 0, 1)[..., None], 3, axis=2)


def overlay(
    image: torch.Tensor | np.ndarray,
    mask: torch.Tensor | np.ndarray,
    n_classes: int,
    background: int | None = None,
    alpha: float = 0.55,
) -> np.ndarray:
    """The grey image with each non-background pixel tinted by its class colour (``alpha`` = colour weight)."""
    grey = as_rgb(image)
    m = _numpy(mask).astype(np.int64)
    colors = colorize(m, n_classes, background)
    tint = np.ones(m.shape, dtype=bool) if background is None else m != background
    out = grey.copy()
    out[tint] = (1 - alpha) * grey[tint] + alpha * colors[tint]
    return np.clip(out, 0, 1)


def error_overlay(
    image: torch.Tensor | np.ndarray, prediction: torch.Tensor | np.ndarray, target: torch.Tensor | np.ndarray, dim: float = 0.6
) -> np.ndarray:
    """The image, dimmed, with every wrongly classified pixel in red."""
    grey = as_rgb(image) * dim
    wrong = _numpy(prediction).astype(np.int64) != _numpy(target).astype(np.int64)
    grey[wrong] = ERROR_COLOR
    return grey


def class_agreement(
    image: torch.Tensor | np.ndarray, predicted: torch.Tensor | np.ndarray, true: torch.Tensor | np.ndarray, dim: float = 0.5
) -> np.ndarray:
    """For one class: green where predicted and true (hits), red where predicted only, blue where missed."""
    p, t = _numpy(predicted).astype(bool), _numpy(true).astype(bool)
    out = as_rgb(image) * dim
    out[p & t] = HIT_COLOR
    out[p & ~t] = ERROR_COLOR
    out[~p & t] = MISS_COLOR
    return out


def legend_handles(class_names: Sequence[str], background: int | None = None) -> list[Patch]:
    """Coloured patches naming the foreground classes, for ``fig.legend(handles=...)``."""
    colors = class_colors(len(class_names), background)
    return [Patch(color=colors[c], label=name) for c, name in enumerate(class_names) if c != background]


def show_segmentations(
    images: torch.Tensor,
    targets: torch.Tensor,
    predictions: torch.Tensor,
    class_names: Sequence[str],
    background: int | None = None,
    n: int = 6,
    title: str | None = None,
    pixel_accuracy: bool = True,
) -> Figure:
    """A grid with one column per image and four rows: input, true mask, predicted mask, errors (red).

    ``images`` N x 1 x H x W, ``targets`` and ``predictions`` N x H x W class indices.
    """
    n = min(n, len(images))
    if n < 1:
        raise ValueError("expected at least one image to show.")
    k = len(class_names)
    fig = Figure(figsize=(1.7 * n + 0.6, 7.4), layout="constrained")
    axes = fig.subplots(4, n, squeeze=False)
    rows = ["input", "true mask", "predicted", "errors (red)"]
    for j in range(n):
        wrong = float((predictions[j] != targets[j]).float().mean())
        pictures = [
            as_rgb(images[j]),
            overlay(images[j], targets[j], k, background),
            overlay(images[j], predictions[j], k, background),
            error_overlay(images[j], predictions[j], targets[j]),
        ]
        for i, picture in enumerate(pictures):
            ax = axes[i, j]
            ax.imshow(picture, interpolation="nearest")
            ax.set_xticks([])
            ax.set_yticks([])
            if j == 0:
                ax.set_ylabel(rows[i])
        if pixel_accuracy:
            axes[3, j].set_xlabel(f"{100 * wrong:.1f}% wrong", fontsize=9)
    fig.legend(handles=legend_handles(class_names, background), loc="outside lower center", ncol=min(k, 11), frameon=False, fontsize=9)
    if title:
        fig.suptitle(title)
    return fig


def show_masks(
    images: torch.Tensor,
    masks: torch.Tensor,
    class_names: Sequence[str],
    background: int | None = None,
    n: int = 8,
    title: str | None = None,
) -> Figure:
    """Two rows per image column: the input, and its mask laid over it in the class colours (with a legend)."""
    n = min(n, len(images))
    if n < 1:
        raise ValueError("expected at least one image to show.")
    fig = Figure(figsize=(1.6 * n + 0.6, 4.0), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False)
    for j in range(n):
        for i, picture in enumerate([as_rgb(images[j]), overlay(images[j], masks[j], len(class_names), background)]):
            axes[i, j].imshow(picture, interpolation="nearest")
            axes[i, j].set_xticks([])
            axes[i, j].set_yticks([])
    axes[0, 0].set_ylabel("input")
    axes[1, 0].set_ylabel("mask")
    fig.legend(handles=legend_handles(class_names, background), loc="outside lower center", ncol=min(len(class_names), 11),
               frameon=False, fontsize=9)
    if title:
        fig.suptitle(title)
    return fig
