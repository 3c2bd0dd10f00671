"""Explorer: walk on the straight line between the codes of two images, for several models side by side.

For each model (an ``encode`` and a ``decode`` function) the picture shows the whole path as a strip,
with the frame at the slider's position framed in red and shown large on the right. With the VAE
(``encode`` returning mu) the path changes gradually; with a plain autoencoder it often jumps.
"""
from __future__ import annotations

from typing import Callable, Mapping, Sequence

import numpy as np
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..metrics.smoothness import interpolate
from .base import Explorer, int_slider, slider

Encode = Callable[[torch.Tensor], torch.Tensor]
Decode = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def interpolation_explorer(
    models: Mapping[str, tuple[Encode, Decode]],
    pairs: Sequence[tuple[torch.Tensor, torch.Tensor]],
    *,
    steps: int = 11,
    title: str = "Interpolate between two test digits",
) -> Explorer:
    """Sliders: which pair of images, and t in [0, 1]. One strip per model (name -> (encode, decode))."""
    if not models:
        raise ValueError("expected at least one model (a name -> (encode, decode) mapping).")
    if not pairs:
        raise ValueError("expected at least one pair of images.")
    paths: dict[tuple[int, str], np.ndarray] = {}

    def path(pair: int, name: str) -> np.ndarray:  # cached: moving t only re-draws
        if (pair, name) not in paths:
            encode, decode = models[name]
            frames = interpolate(encode, decode, *pairs[pair], steps=steps)
            paths[pair, name] = frames[:, 0].detach().float().cpu().numpy()
        return paths[pair, name]

    def draw(pair: int, t: float) -> Figure:
        rows = len(models)
        fig = Figure(figsize=(1.0 * steps + 2.6, 1.45 * rows + 0.5))
        grid = fig.add_gridspec(rows, 2, width_ratios=[steps, 2.2], wspace=0.05, hspace=0.35)
        k = int(round(t * (steps - 1)))
        for row, name in enumerate(models):
            frames = path(pair, name)
            strip = fig.add_subplot(grid[row, 0])
            strip.imshow(np.concatenate(list(frames), axis=1), cmap="gray", vmin=0, vmax=1)
            strip.add_patch(Rectangle((28 * k - 0.5, -0.5), 28, 28, fill=False, edgecolor="red", linewidth=2.5))
            strip.set_xticks([28 * i + 13.5 for i in range(steps)], labels=[f"{i / (steps - 1):.1f}" for i in range(steps)], fontsize=7)
            strip.set_yticks([])
            strip.set_ylabel(name, rotation=0, ha="right", va="center", fontsize=11)
            if row == rows - 1:
                strip.set_xlabel("t  (z = (1 - t) z_a + t z_b)")
            big = fig.add_subplot(grid[row, 1])
            big.imshow(frames[k], cmap="gray", vmin=0, vmax=1)
            big.set_title(f"{name}, t = {k / (steps - 1):.1f}", fontsize=9)
            big.set_axis_off()
        return fig

    controls = {"pair": int_slider("pair of digits", 0, 0, len(pairs) - 1), "t": slider("t", 0.5, 0.0, 1.0, step=1 / (steps - 1))}
    return Explorer(controls, draw, title=title)
