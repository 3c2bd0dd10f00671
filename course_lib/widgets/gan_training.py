"""Scrub through a GAN's training: the samples at each snapshot, next to the loss curves (chapter 05).

A snapshot is ``(step, samples)``: generator samples drawn from the *same* fixed noise at that step of
training, either images (N x 1 x H x W in [0, 1]) or 2-D points (N x 2). Several runs (GAN, WGAN,
WGAN-GP) can be compared with the ``run`` picker::

    TrainingExplorer({"GAN": gan_snapshots, "WGAN-GP": gp_snapshots}, centres=ring8_centres(),
                     curves={"GAN": {"D loss": [...], "G loss": [...]}, ...})
"""
from __future__ import annotations

from typing import Mapping, Sequence

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib.figure import Figure

from ..viz import image_grid
from .base import Explorer

Snapshot = tuple[int, torch.Tensor]


def _as_snapshots(run: str, snapshots: Sequence[Snapshot]) -> list[tuple[int, torch.Tensor]]:
    if not snapshots:
        raise ValueError(f"run {run!r}: expected at least one (step, samples) snapshot, got none.")
    out = []
    for item in snapshots:
        if not (isinstance(item, (tuple, list)) and len(item) == 2 and isinstance(item[1], torch.Tensor)):
            raise ValueError(f"run {run!r}: expected snapshots as (step, samples tensor) pairs, got {type(item).__name__}.")
        step, samples = item
        samples = samples.detach().float().cpu()
        if not (samples.dim() == 4 or (samples.dim() == 2 and samples.shape[1] == 2)):
            raise ValueError(f"run {run!r}: samples must be images N x C x H x W or points N x 2, got shape {tuple(samples.shape)}.")
        out.append((int(step), samples))
    return out


def draw_snapshot(
    ax,
    samples: torch.Tensor,
    centres: torch.Tensor | None = None,
    limit: float | None = None,
    nrow: int = 8,
    max_images: int = 64,
) -> None:
    """Draw one snapshot on ``ax``: an image grid, or a scatter of points over the true centres."""
    if samples.dim() == 4:
        grid = image_grid(samples[:max_images], nrow=nrow)
        ax.imshow(grid.squeeze(-1).numpy() if grid.shape[-1] == 1 else grid.numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        return
    pts = samples.numpy()
    ax.scatter(pts[:, 0], pts[:, 1], s=3, alpha=0.35, color="tab:blue", label="generated", rasterized=True)
    if centres is not None:
        c = centres.detach().cpu().numpy()
        ax.scatter(c[:, 0], c[:, 1], s=60, marker="x", color="tab:red", linewidths=2, label="true centres")
    if limit is None:
        ref = np.abs(centres.detach().cpu().numpy()).max() if centres is not None else np.abs(pts).max()
        limit = 1.5 * float(ref)
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")


class TrainingExplorer(Explorer):
    """A ``snapshot`` slider (and a ``run`` picker for several runs) over generator samples along training."""

    def __init__(
        self,
        runs: Mapping[str, Sequence[Snapshot]],
        centres: torch.Tensor | None = None,
        curves: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
        curve_steps: Mapping[str, Sequence[int]] | None = None,
        title: str = "GAN samples along training (same noise at every snapshot)",
        limit: float | None = None,
    ) -> None:
        if not runs:
            raise ValueError("expected at least one run of snapshots.")
        self.runs = {name: _as_snapshots(name, snaps) for name, snaps in runs.items()}
        self.centres, self.curves, self.limit = centres, dict(curves or {}), limit
        self.curve_steps = dict(curve_steps or {})
        longest = max(len(s) for s in self.runs.values())
        controls: dict[str, widgets.ValueWidget] = {}
        if len(self.runs) > 1:
            controls["run"] = widgets.Dropdown(options=list(self.runs), value=next(iter(self.runs)), description="run",
                                               layout=widgets.Layout(width="220px"))
        controls["snapshot"] = widgets.IntSlider(
            value=longest - 1, min=0, max=longest - 1, description="snapshot", continuous_update=False,
            layout=widgets.Layout(width="380px"), style={"description_width": "initial"},
        )
        super().__init__(controls, self._draw, title=title)

    def _draw(self, snapshot: int, run: str | None = None) -> Figure:
        run = run if run is not None else next(iter(self.runs))
        snaps = self.runs[run]
        index = min(snapshot, len(snaps) - 1)
        step, samples = snaps[index]
        curves = self.curves.get(run)
        fig = Figure(figsize=(10, 4.2) if curves else (5, 4.6))
        ax = fig.add_subplot(1, 2, 1) if curves else fig.add_subplot()
        draw_snapshot(ax, samples, self.centres, self.limit)
        ax.set_title(f"{run}: step {step} (snapshot {index + 1} of {len(snaps)})")
        if samples.dim() == 2 and self.centres is not None:
            ax.legend(loc="upper right", fontsize=8, framealpha=0.8)
        if curves:
            cax = fig.add_subplot(1, 2, 2)
            for name, values in curves.items():
                steps = self.curve_steps.get(run) or np.linspace(0, snaps[-1][0], len(values))
                cax.plot(steps, values, label=name)
            cax.axvline(step, color="k", ls="--", lw=1, label="this snapshot")
            cax.set_xlabel("generator step")
            cax.set_ylabel("loss")
            cax.set_title("losses during training")
            cax.grid(alpha=0.3)
            cax.legend(fontsize=8, frameon=False)
        fig.tight_layout()
        return fig


__all__ = ["TrainingExplorer", "draw_snapshot"]
