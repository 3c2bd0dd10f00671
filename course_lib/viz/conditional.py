"""Pictures of conditional generation: conditional accuracy per class, side by side, and where the samples go."""
from __future__ import annotations

from typing import Mapping

import torch
from matplotlib.figure import Figure

from ..metrics.conditional import ConditionalAccuracy


def plot_conditional_accuracy(
    results: Mapping[str, ConditionalAccuracy], confusion: torch.Tensor | None = None, confusion_title: str = "where the samples go"
) -> Figure:
    """Bars of per-class accuracy for each entry of ``results`` (the overall value in the legend) and, when given,
    a confusion matrix (requested label x predicted class, rows summing to 1)."""
    if not results:
        raise ValueError("expected at least one ConditionalAccuracy to plot.")
    n_classes = len(next(iter(results.values())).per_class)
    names = [str(c) for c in range(n_classes)]
    fig = Figure(figsize=(12.5 if confusion is not None else 7.5, 4.0), layout="constrained")
    axes = fig.subplots(1, 2, width_ratios=[1.5, 1]) if confusion is not None else [fig.subplots()]
    w = 0.8 / len(results)
    for k, (name, acc) in enumerate(results.items()):
        offsets = [c + (k - (len(results) - 1) / 2) * w for c in range(n_classes)]
        axes[0].bar(offsets, acc.per_class.nan_to_num(0).numpy(), w, label=f"{name} ({acc.overall:.0%})")
    axes[0].set_xticks(range(n_classes), names)
    axes[0].set_ylim(0, 1.05)
    axes[0].set_xlabel("requested class")
    axes[0].set_ylabel("classified as requested")
    axes[0].set_title("conditional accuracy per class")
    axes[0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=min(len(results), 3), frameon=False, fontsize=9)
    if confusion is not None:
        im = axes[1].imshow(confusion.numpy(), cmap="Blues", vmin=0, vmax=1)
        axes[1].set_xticks(range(n_classes), names)
        axes[1].set_yticks(range(n_classes), names)
        axes[1].set_xlabel("the classifier says")
        axes[1].set_ylabel("requested")
        axes[1].set_title(confusion_title)
        fig.colorbar(im, ax=axes[1], shrink=0.9)
    return fig
