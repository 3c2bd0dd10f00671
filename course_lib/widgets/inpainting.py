"""Inpainting explorer: hide part of a test digit and tell the CVAE which digit it is (or lie to it).

    explorer = inpainting_explorer(cvae, data.test.x[:100], data.test.y[:100], vae=vae)
    explorer            # last expression of a cell

Panels: the truth, what the model sees (hidden pixels in blue), the CVAE's completion under the chosen
label, and, when a plain VAE is given, its completion (it gets no label and must guess from the visible part).
"""
from __future__ import annotations

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from ..metrics.inpainting import HIDE_KINDS, impute, observed_mask, show_hidden
from ..utils import module_device
from .base import Explorer, int_slider


def inpainting_explorer(
    cvae: torch.nn.Module,
    images: torch.Tensor,
    labels: torch.Tensor,
    vae: torch.nn.Module | None = None,
    steps: int = 10,
    hide: str = "bottom half",
) -> Explorer:
    """An :class:`Explorer` with controls ``index`` (test digit), ``hide`` (which part) and ``label`` (told to the CVAE)."""
    if len(images) != len(labels) or len(images) == 0:
        raise ValueError(f"expected one label per image (at least one image), got {len(images)} images and {len(labels)} labels.")
    device = module_device(cvae)
    images, labels = images.to(device), labels.to(device)

    def draw(index: int, hide: str, label: int) -> Figure:
        x = images[index : index + 1]
        keep = observed_mask(hide, 1, size=tuple(x.shape[-2:]), generator=torch.Generator().manual_seed(index), device=device)
        panels = [
            (x[0, 0], f"truth (a {int(labels[index])})"),
            (show_hidden(x, keep)[0].permute(1, 2, 0), "what the model sees"),
            (impute(cvae, x, keep, torch.tensor([label], device=device), steps=steps)[0, 0], f"CVAE told '{label}'"),
        ]
        if vae is not None:
            panels.append((impute(vae, x, keep, steps=steps)[0, 0], "VAE (no label)"))
        fig = Figure(figsize=(2.3 * len(panels), 2.6), layout="constrained")
        for ax, (picture, title) in zip(fig.subplots(1, len(panels)), panels):
            ax.imshow(picture.detach().cpu().numpy(), cmap="gray", vmin=0, vmax=1)
            ax.set_title(title, fontsize=10)
            ax.set_xticks([])
            ax.set_yticks([])
        return fig

    controls = {
        "index": int_slider("test digit", 0, 0, len(images) - 1),
        "hide": widgets.Dropdown(options=list(HIDE_KINDS), value=hide, description="hide", layout=widgets.Layout(width="220px")),
        "label": widgets.ToggleButtons(options=[(str(c), c) for c in range(int(cvae.n_classes))], value=int(labels[0]),
                                       description="tell the CVAE", style={"button_width": "28px", "description_width": "initial"}),
    }
    explorer = Explorer(controls, draw, title="Inpainting: what does the CVAE fill in when told a label?")
    explorer.widget.children[-2].layout.flex_flow = "row wrap"
    return explorer
