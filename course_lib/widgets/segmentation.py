"""Segmentation explorer: choose a test image and a class; see the probability map and the mask at a threshold.

    explorer = segmentation_explorer(unet, data.test.x[:50], data.test.y[:50], data.classes, background=0)
    explorer            # last expression of a cell

Panels: the input; p(class | pixel) from the softmax over the model's logits; the mask {p >= threshold}
laid over the input; and that mask against the truth (green hit, red false alarm, blue missed), titled
with the IoU of this class on this image.
"""
from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from ..metrics.segmentation import binary_iou
from ..train.segmentation import class_probabilities
from ..viz.segmentation import as_rgb, class_agreement, class_colors, overlay
from .base import Explorer, int_slider, slider


def segmentation_explorer(
    model: torch.nn.Module,
    images: torch.Tensor,
    masks: torch.Tensor,
    class_names: Sequence[str],
    background: int | None = None,
    threshold: float = 0.5,
    start_class: int | None = None,
) -> Explorer:
    """An :class:`Explorer` with controls ``index`` (test image), ``class`` and ``threshold``.

    ``images`` N x 1 x H x W (or N x 3 x H x W) in [0, 1], ``masks`` N x H x W class indices, ``class_names`` one per
    logit of the model; ``background`` (an index) is drawn black. Probabilities are computed once.
    """
    if len(images) != len(masks) or len(images) == 0:
        raise ValueError(f"expected as many masks as images (at least one), got {len(images)} images and {len(masks)} masks.")
    probs = class_probabilities(model, images)  # N x C x H x W on the CPU
    if probs.shape[1] != len(class_names):
        raise ValueError(f"the model gives {probs.shape[1]} scores per pixel but {len(class_names)} class names were given.")
    images, masks = images.detach().cpu(), masks.detach().cpu()
    n_classes = len(class_names)
    colors = class_colors(n_classes, background)
    foreground = [c for c in range(n_classes) if c != background]
    if start_class is None:
        start_class = foreground[0] if foreground else 0

    def draw(index: int, cls: int, threshold: float) -> Figure:
        image, truth, p = images[index], masks[index], probs[index, cls]
        predicted, true = p >= threshold, truth == cls
        fig = Figure(figsize=(11.5, 3.2), layout="constrained")
        axes = fig.subplots(1, 4)
        axes[0].imshow(as_rgb(image))
        axes[0].set_title(f"test image {index}")
        heat = axes[1].imshow(p.numpy(), cmap="magma", vmin=0, vmax=1)
        axes[1].set_title(f"p(class = {class_names[cls]})")
        fig.colorbar(heat, ax=axes[1], shrink=0.8)
        mask = torch.where(predicted, torch.tensor(cls), torch.tensor(background if background is not None else -1))
        if background is None:
            tinted = as_rgb(image) * 0.6
            tinted[predicted.numpy()] = colors[cls]
        else:
            tinted = overlay(image, mask, n_classes, background, alpha=0.7)
        axes[2].imshow(tinted)
        axes[2].set_title(f"mask: p >= {threshold:.2f}")
        axes[3].imshow(class_agreement(image, predicted, true))
        iou = binary_iou(predicted, true)
        axes[3].set_title("vs truth: " + ("class absent here" if iou != iou else f"IoU {iou:.2f}"))
        axes[3].set_xlabel("green hit, red false alarm, blue missed", fontsize=8)
        for ax in axes:
            ax.set_xticks([])
            ax.set_yticks([])
        return fig

    controls = {
        "index": int_slider("test image", 0, 0, len(images) - 1),
        "cls": widgets.Dropdown(
            options=[(name, c) for c, name in enumerate(class_names)], value=start_class, description="class",
            layout=widgets.Layout(width="200px"),
        ),
        "threshold": slider("threshold", threshold, 0.05, 0.95, step=0.05),
    }
    return Explorer(controls, draw, title="U-Net: probability map and mask of one class")
