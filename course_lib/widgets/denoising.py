"""Explorer: turn up the noise on a few test digits and compare what each model makes of them.

Rows: the noisy input, then one row per model (e.g. a plain and a denoising autoencoder), then the clean
digits. Each row's title gives its squared error to the clean digits (summed over pixels, mean over images).
The noise is drawn once, so moving the slider only scales it: x~ = clip(x + std * eps, 0, 1).
"""
from __future__ import annotations

from typing import Callable, Mapping

import numpy as np
import torch
from matplotlib.figure import Figure

from ..models.autoencoder import corrupt
from .base import Explorer, slider

Model = Callable[[torch.Tensor], torch.Tensor]


def denoising_explorer(
    models: Mapping[str, Model],
    images: torch.Tensor,
    *,
    std: float = 0.5,
    max_std: float = 1.0,
    seed: int = 0,
    title: str = "How much noise can each model remove?",
) -> Explorer:
    """A slider for the noise level; ``models`` map a name to a function images -> reconstructions (eval mode)."""
    if images.dim() != 4:
        raise ValueError(f"expected images shaped N x 1 x H x W, got {tuple(images.shape)}.")
    generator = torch.Generator().manual_seed(seed)
    eps = torch.randn(images.shape, generator=generator).to(images.device)

    @torch.no_grad()
    def draw(noise_std: float) -> Figure:
        noisy = corrupt(images, noise_std, noise=eps)
        rows = [("noisy input", noisy)] + [(name, model(noisy)) for name, model in models.items()] + [("clean", images)]
        n = len(images)
        fig = Figure(figsize=(0.9 * n + 1.8, 1.05 * len(rows) + 0.3))
        axes = fig.subplots(len(rows), 1)
        for ax, (name, x) in zip(axes, rows):
            x = x.detach().float()
            error = ((x - images) ** 2).flatten(1).sum(1).mean().item()
            strip = np.concatenate(list(x[:, 0].cpu().numpy()), axis=1)
            ax.imshow(strip, cmap="gray", vmin=0, vmax=1)
            ax.set_xticks([])
            ax.set_yticks([])
            label = name if name == "clean" else f"{name}\nerror {error:.1f}"
            ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
        axes[0].set_title(f"noise std = {noise_std:.2f}   (error = squared error to the clean digits, per image)", fontsize=10)
        return fig

    return Explorer({"noise_std": slider("noise std", std, 0.0, max_std, step=0.05)}, draw, title=title)
