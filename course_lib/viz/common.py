"""Plots every chapter uses: image grids (torchvision's ``make_grid``) and training curves."""
from __future__ import annotations

from typing import Sequence

import matplotlib.pyplot as plt
import torch
from torchvision.utils import make_grid

from ..train.engine import History


def image_grid(images: torch.Tensor, nrow: int = 10, padding: int = 2, pad_value: float = 1.0) -> torch.Tensor:
    """Tile N x C x H x W images (values in [0, 1]) into one H' x W' x C array for ``imshow`` (on the CPU)."""
    if not isinstance(images, torch.Tensor) or images.dim() not in (3, 4):
        raise ValueError(f"expected images shaped N x C x H x W (or N x H x W), got {getattr(images, 'shape', type(images).__name__)}.")
    images = images.detach().float().cpu()
    if images.dim() == 3:
        images = images.unsqueeze(1)
    grid = make_grid(images.clamp(0, 1), nrow=nrow, padding=padding, pad_value=pad_value)
    return grid.permute(1, 2, 0)


def show_images(
    images: torch.Tensor,
    nrow: int = 10,
    title: str | None = None,
    ax: plt.Axes | None = None,
    row_labels: Sequence[str] | None = None,
    figsize: tuple[float, float] | None = None,
) -> plt.Axes:
    """Show images as one grid; ``row_labels`` writes a label to the left of each row."""
    grid = image_grid(images, nrow=nrow)
    if ax is None:
        rows = -(-len(images) // nrow)
        _, ax = plt.subplots(figsize=figsize or (min(1.0 * nrow, 12), min(1.0 * rows, 12) + (0.4 if title else 0)))
    pixels = (grid.squeeze(-1) if grid.shape[-1] == 1 else grid).numpy()
    ax.imshow(pixels, cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    if row_labels is not None:
        cell = grid.shape[0] / len(row_labels)
        ax.set_yticks([cell * (i + 0.5) for i in range(len(row_labels))], labels=list(row_labels))
        ax.tick_params(left=False)
    if title:
        ax.set_title(title)
    return ax


def plot_history(
    history: History,
    keys: Sequence[str] | None = None,
    ax: plt.Axes | None = None,
    title: str | None = None,
    ylabel: str = "loss",
    logy: bool = False,
) -> plt.Axes:
    """Plot per-epoch curves of ``history`` (default: every ``*loss`` key)."""
    keys = list(keys) if keys is not None else [k for k in history.keys() if k.endswith("loss")]
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.5))
    for key in keys:
        values = history[key]
        ax.plot(range(1, len(values) + 1), values, marker="o" if len(values) < 20 else None, label=key.replace("_", " "))
    ax.set_xlabel("epoch")
    ax.set_ylabel(ylabel)
    if logy:
        ax.set_yscale("log")
    if title:
        ax.set_title(title)
    if keys:
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return ax
