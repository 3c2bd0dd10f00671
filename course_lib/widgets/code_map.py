"""Explorer: move a point in a 2-D code (latent) space and see what the decoder makes of it.

Left: the codes of the test set, one dot per image, coloured by digit, with a cross at the chosen
point. Middle: the decoded image of that point. Right: the nearest real test image in code space,
for comparison. Used for the 2-D autoencoder of chapter 01 and the 2-D VAE of chapter 02.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
from matplotlib.figure import Figure

from ..metrics.latent import code_range
from .base import Explorer, slider

Decode = Callable[[torch.Tensor], torch.Tensor]


@torch.no_grad()
def decode_point(decode: Decode, z: tuple[float, float], device: torch.device | str) -> np.ndarray:
    """The 28 x 28 image that ``decode`` makes of the single code ``z``, as a NumPy array."""
    code = torch.tensor([list(z)], dtype=torch.float32, device=device)
    return decode(code)[0, 0].detach().float().cpu().numpy()


def code_map_explorer(
    decode: Decode,
    codes: torch.Tensor,
    labels: torch.Tensor,
    images: torch.Tensor | None = None,
    *,
    title: str = "Move the point in the code map",
    names: tuple[str, str] = ("z1", "z2"),
    ranges: list[tuple[float, float]] | None = None,
    start: tuple[float, float] | None = None,
    device: torch.device | str | None = None,
) -> Explorer:
    """Two sliders for a point z of a 2-D code space; the picture shows the map, decode(z), and the nearest image.

    ``codes`` (N x 2) and ``labels`` (N,) are the test set's codes and digits; ``images`` (N x 1 x 28 x 28,
    optional) adds the nearest real image. ``decode`` takes N x 2 codes on ``device`` (default: the codes'
    device) and returns images in [0, 1]. ``ranges`` sets the sliders' limits (default: the codes' extent).
    """
    if codes.dim() != 2 or codes.shape[1] != 2:
        raise ValueError(f"expected codes shaped N x 2 (a 2-D code map), got {tuple(codes.shape)}.")
    if len(labels) != len(codes):
        raise ValueError(f"expected one label per code, got {len(labels)} labels for {len(codes)} codes.")
    device = torch.device(device) if device is not None else codes.device
    points = codes.detach().float().cpu().numpy()
    digits = labels.detach().cpu().numpy()
    pictures = images.detach().float().cpu() if images is not None else None
    (lo1, hi1), (lo2, hi2) = ranges or code_range(codes)
    z0 = start or (float(np.median(points[:, 0])), float(np.median(points[:, 1])))
    step1, step2 = (hi1 - lo1) / 100, (hi2 - lo2) / 100

    def draw(z1: float, z2: float) -> Figure:
        panels = 3 if pictures is not None else 2
        fig = Figure(figsize=(4.2 + 2.3 * (panels - 1), 3.8))
        grid = fig.add_gridspec(1, panels, width_ratios=[1.8] + [1] * (panels - 1), wspace=0.25)
        ax = fig.add_subplot(grid[0])
        scatter = ax.scatter(points[:, 0], points[:, 1], c=digits, cmap="tab10", vmin=-0.5, vmax=9.5, s=6, alpha=0.7)
        ax.plot([z1], [z2], marker="X", markersize=13, color="black", markeredgecolor="white")
        ax.set_xlim(lo1, hi1)
        ax.set_ylim(lo2, hi2)
        ax.set_xlabel(names[0])
        ax.set_ylabel(names[1])
        ax.set_title("test set in code space")
        bar = fig.colorbar(scatter, ax=ax, ticks=range(10), fraction=0.05, pad=0.02)
        bar.set_label("digit")
        out = fig.add_subplot(grid[1])
        out.imshow(decode_point(decode, (z1, z2), device), cmap="gray", vmin=0, vmax=1)
        out.set_title(f"decoded at\n({z1:.2f}, {z2:.2f})")
        out.set_axis_off()
        if pictures is not None:
            nearest = int(np.argmin(((points - np.array([z1, z2])) ** 2).sum(axis=1)))
            near = fig.add_subplot(grid[2])
            near.imshow(pictures[nearest, 0].numpy(), cmap="gray", vmin=0, vmax=1)
            near.set_title(f"nearest test image\n(a {digits[nearest]})")
            near.set_axis_off()
        return fig

    controls = {
        "z1": slider(names[0], round(z0[0], 2), lo1, hi1, step=step1),
        "z2": slider(names[1], round(z0[1], 2), lo2, hi2, step=step2),
    }
    return Explorer(controls, draw, title=title)
