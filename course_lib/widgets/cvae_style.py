"""CVAE explorer: pick a label, move the style sliders, and see the digit the decoder draws.

    explorer = cvae_explorer(cvae, dims=[3, 7, 0, 12])   # the latent dimensions to put on sliders
    explorer                                             # last expression of a cell

Left: decode(z, label) for the chosen label. Right: the same z decoded under every label, so one sees
the style (held in z) stay while the class (given by the label) changes. Dimensions not on a slider
stay at 0, the mean of the prior.
"""
from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from ..utils import eval_mode, module_device
from ..viz import image_grid
from .base import Explorer, slider


def cvae_explorer(model: torch.nn.Module, dims: Sequence[int] | None = None, n_sliders: int = 4, limit: float = 3.0, label: int = 0) -> Explorer:
    """An :class:`Explorer` with a ``label`` picker and one slider ``z<d>`` per latent dimension in ``dims``.

    ``model`` has ``latent_dim``, ``n_classes`` and ``decode(z, y)``; ``dims`` defaults to the first ``n_sliders``.
    """
    latent_dim, n_classes = int(model.latent_dim), int(model.n_classes)
    dims = list(range(min(n_sliders, latent_dim))) if dims is None else [int(d) for d in dims]
    if not dims or any(d < 0 or d >= latent_dim for d in dims) or len(set(dims)) != len(dims):
        raise ValueError(f"dims: expected distinct latent dimensions in 0..{latent_dim - 1}, got {dims}.")
    device = module_device(model)

    @torch.no_grad()
    def draw(label: int, **values: float) -> Figure:
        z = torch.zeros(1, latent_dim, device=device)
        for d in dims:
            z[0, d] = values[f"z{d}"]
        with eval_mode(model):
            every = model.decode(z.expand(n_classes, -1), torch.arange(n_classes, device=device)).cpu()  # n_classes x 1 x H x W
        fig = Figure(figsize=(11, 2.6), layout="constrained")
        left, right = fig.subfigures(1, 2, width_ratios=[1, 4.2])
        ax = left.subplots()
        ax.imshow(every[label, 0].numpy(), cmap="gray", vmin=0, vmax=1)
        ax.set_title(f"label {label}")
        ax.set_xticks([])
        ax.set_yticks([])
        ax = right.subplots()
        ax.imshow(image_grid(every, nrow=n_classes).numpy())  # RGB grid, white padding
        width = every.shape[-1] + 2  # make_grid's padding of 2
        ax.add_patch(_frame(label * width + 1, 1, width - 2))
        ax.set_xticks([width * (c + 0.5) + 1 for c in range(n_classes)], labels=[str(c) for c in range(n_classes)])
        ax.set_yticks([])
        ax.set_xlabel("the same z (the same style) under every label")
        shown = ", ".join(f"z{d}={values[f'z{d}']:+.1f}" for d in dims)
        fig.suptitle(f"CVAE decoder: {shown}, other dimensions 0", fontsize=10)
        return fig

    controls: dict[str, widgets.ValueWidget] = {
        "label": widgets.ToggleButtons(
            options=[(str(c), c) for c in range(n_classes)], value=label, description="label",
            style={"button_width": "28px"},
        )
    }
    for d in dims:
        controls[f"z{d}"] = slider(f"z{d}", 0.0, -limit, limit, step=0.25, width="200px")
    explorer = Explorer(controls, draw, title="CVAE: the label picks the class, z picks the style")
    explorer.widget.children[-2].layout.flex_flow = "row wrap"  # the label buttons and sliders wrap on narrow screens
    return explorer


def _frame(x: float, y: float, size: float):
    from matplotlib.patches import Rectangle

    return Rectangle((x - 0.5, y - 0.5), size, size, fill=False, edgecolor="tab:orange", linewidth=2.5)
