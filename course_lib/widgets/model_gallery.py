"""Explorer of chapter 07: the samples of every model and training seed, with the classes a classifier sees in them.

``samples[model][seed]`` holds N x 1 x 28 x 28 images in [0, 1]; ``labels[model][seed]`` the classes the
course classifier predicts for them (N,). Pick a model and a seed: the left panel shows the samples,
the right one the histogram of predicted classes against the even 10 % line (mode collapse shows as
missing or towering bars).
"""
from __future__ import annotations

from typing import Mapping

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from ..viz import image_grid
from .base import Explorer


class ModelGallery(Explorer):
    """Controls: ``model`` (a dropdown) and ``seed`` (a dropdown of that model's seeds)."""

    def __init__(
        self,
        samples: Mapping[str, Mapping[int, torch.Tensor]],
        labels: Mapping[str, Mapping[int, torch.Tensor]] | None = None,
        n_classes: int = 10,
        n_show: int = 64,
        title: str = "Samples of every model (pick a model and a training seed)",
    ) -> None:
        if not samples or any(not seeds for seeds in samples.values()):
            raise ValueError("expected samples[model][seed] = images for at least one model and one seed each.")
        for model, seeds in samples.items():
            for seed, x in seeds.items():
                if not (isinstance(x, torch.Tensor) and x.dim() == 4):
                    raise ValueError(f"samples[{model!r}][{seed}]: expected images N x C x H x W, got {getattr(x, 'shape', type(x).__name__)}.")
        self.samples = {m: {int(s): x.detach().float().cpu() for s, x in seeds.items()} for m, seeds in samples.items()}
        self.labels = {m: {int(s): y.detach().cpu() for s, y in seeds.items()} for m, seeds in (labels or {}).items()}
        self.n_classes, self.n_show = n_classes, n_show
        all_seeds = sorted({s for seeds in self.samples.values() for s in seeds})
        first = next(iter(self.samples))
        controls = {
            "model": widgets.Dropdown(options=list(self.samples), value=first, description="model", layout=widgets.Layout(width="220px")),
            "seed": widgets.Dropdown(options=all_seeds, value=min(self.samples[first]), description="seed", layout=widgets.Layout(width="160px")),
        }
        super().__init__(controls, self._draw, title=title)

    def _draw(self, model: str, seed: int) -> Figure:
        seeds = self.samples[model]
        shown_seed = seed if seed in seeds else min(seeds)
        x = seeds[shown_seed]
        y = self.labels.get(model, {}).get(shown_seed)
        fig = Figure(figsize=(10, 4.6) if y is not None else (5.2, 5.2))
        ax = fig.add_subplot(1, 2, 1) if y is not None else fig.add_subplot()
        grid = image_grid(x[: self.n_show], nrow=8)
        ax.imshow(grid.squeeze(-1).numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_axis_off()
        note = "" if shown_seed == seed else f" (no seed {seed}; showing {shown_seed})"
        ax.set_title(f"{model}, seed {shown_seed}{note}")
        if y is not None:
            hax = fig.add_subplot(1, 2, 2)
            share = np.bincount(y.numpy(), minlength=self.n_classes)[: self.n_classes] / max(len(y), 1)
            hax.bar(range(self.n_classes), 100 * share, color="tab:blue")
            hax.axhline(100 / self.n_classes, color="k", ls="--", lw=1, label="even share")
            hax.set_xticks(range(self.n_classes))
            hax.set_xlabel("class predicted by the course classifier")
            hax.set_ylabel("% of samples")
            covered = int((share > 0.5 / self.n_classes).sum())
            hax.set_title(f"{covered} of {self.n_classes} classes above half the even share")
            hax.legend(frameon=False)
            hax.grid(alpha=0.3, axis="y")
        fig.tight_layout()
        return fig


__all__ = ["ModelGallery"]
