"""Plots of chapter 07: samples of every model on one page, and the measured metrics side by side."""
from __future__ import annotations

from typing import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch

REAL = "real data"  # the row of real images in a comparison table (the yardstick, never ranked)
from .common import image_grid


def samples_page(
    samples: Mapping[str, torch.Tensor],
    n: int = 20,
    nrow: int = 10,
    captions: Mapping[str, str] | None = None,
    title: str = "Samples of every model (first seed), real test digits on top",
) -> plt.Figure:
    """One block of ``n`` images per model, stacked, each with its name (and an optional caption) on the left."""
    if not samples:
        raise ValueError("expected samples[model] = images N x 1 x 28 x 28 for at least one model.")
    names = list(samples)
    rows_per_block = -(-n // nrow)
    fig, axes = plt.subplots(len(names), 1, figsize=(1.0 * nrow + 1.8, (1.0 * rows_per_block + 0.25) * len(names) + 0.4))
    axes = np.atleast_1d(axes)
    for ax, name in zip(axes, names):
        grid = image_grid(samples[name][:n], nrow=nrow)
        ax.imshow(grid.squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        for spine in ax.spines.values():
            spine.set_visible(False)
        label = name if not captions or name not in captions else f"{name}\n{captions[name]}"
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=11, labelpad=10)
    fig.suptitle(title, fontsize=12)
    fig.tight_layout()
    return fig


def metric_panels(
    table: Mapping[str, Mapping[str, float | None]],
    per_seed: Mapping[str, Mapping[int, Mapping[str, float]]],
    panels: Sequence[tuple[str, str, bool]] = (
        ("fd", "Frechet distance (lower: closer to real)", True),
        ("entropy", "class entropy / log 10 (1: even)", False),
        ("sharpness", "sharpness (variance of Laplacian)", False),
        ("roughness", "interpolation roughness (1: even steps)", True),
    ),
) -> plt.Figure:
    """One bar chart per metric: a bar per model (its first seed), dots for every seed, the real data as a line."""
    models = [m for m in table if m != REAL]
    fig, axes = plt.subplots(1, len(panels), figsize=(4.2 * len(panels), 3.8))
    axes = np.atleast_1d(axes)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (key, title, lower_better) in zip(axes, panels):
        xs = [i for i, m in enumerate(models) if table[m].get(key) is not None]
        ax.bar(xs, [table[models[i]][key] for i in xs], color=[colours[i % len(colours)] for i in xs], alpha=0.75)
        for i in xs:
            seeds = per_seed.get(models[i], {})
            dots = [v[key] for v in seeds.values() if key in v]
            if len(dots) > 1:
                ax.plot([i] * len(dots), dots, "k.", ms=6, label="each seed" if i == xs[0] else None)
        real = table.get(REAL, {}).get(key)
        if real is not None:
            ax.axhline(real, color="k", ls="--", lw=1, label="real data" if key != "fd" else "real-vs-real floor")
        ax.set_xticks(range(len(models)), models, rotation=30, ha="right")
        ax.set_title(title + ("; lower is better" if lower_better and "lower" not in title else ""), fontsize=10)
        ax.grid(alpha=0.3, axis="y")
        if ax.get_legend_handles_labels()[0]:
            ax.legend(frameon=False, fontsize=8)
    fig.tight_layout()
    return fig


__all__ = ["metric_panels", "samples_page"]
