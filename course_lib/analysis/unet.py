"""The anatomy of a U-Net: the tensor shape at every level of the contracting and expanding paths, as a table and a picture.

    rows = trace_unet(unet, x[:1])   # [Stage("input", 0, (1, 1, 64, 64)), Stage("down", 0, (1, 16, 64, 64)), ...]
    print(format_trace(rows)); draw_unet(rows)

Forward hooks record what each block of :class:`course_lib.models.UNet` receives and returns, so the table
shows the real tensors, including the concatenation of each skip with the upsampled features.
"""
from __future__ import annotations

from dataclasses import dataclass

import torch
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from ..utils import eval_mode

STAGE_TEXT = {
    "input": "input image",
    "down": "conv block (contracting)",
    "pool": "max-pool 2x2",
    "bottleneck": "bottleneck conv block",
    "up": "transposed conv 2x2 (up)",
    "concat": "concatenate the skip",
    "decode": "conv block (expanding)",
    "head": "1x1 conv: class scores",
}


@dataclass(frozen=True)
class Stage:
    """One step of the forward pass: its kind (a key of :data:`STAGE_TEXT`), its level (0 = full size) and output shape."""

    kind: str
    level: int
    shape: tuple[int, ...]

    @property
    def description(self) -> str:
        return STAGE_TEXT[self.kind]


@torch.no_grad()
def trace_unet(model: torch.nn.Module, x: torch.Tensor) -> list[Stage]:
    """Run ``model`` (a course UNet) on ``x`` once, in eval mode, and return the shape after each stage, in order."""
    rows: list[Stage] = [Stage("input", 0, tuple(x.shape))]
    handles = []

    def record(kind: str, level: int, use_input: bool = False):
        def hook(_module, inputs, output=None):
            tensor = inputs[0] if use_input else output
            rows.append(Stage(kind, level, tuple(tensor.shape)))
        return hook

    depth = len(model.down)
    for i, block in enumerate(model.down):
        handles.append(block.register_forward_hook(record("down", i)))
        nxt = model.down[i + 1] if i + 1 < depth else model.bottleneck
        handles.append(nxt.register_forward_pre_hook(record("pool", i + 1, use_input=True)))
    handles.append(model.bottleneck.register_forward_hook(record("bottleneck", depth)))
    for j, (up, block) in enumerate(zip(model.up, model.decode)):
        level = depth - 1 - j
        handles.append(up.register_forward_hook(record("up", level)))
        if getattr(model, "skips", True):
            handles.append(block.register_forward_pre_hook(record("concat", level, use_input=True)))
        handles.append(block.register_forward_hook(record("decode", level)))
    handles.append(model.head.register_forward_hook(record("head", 0)))
    try:
        with eval_mode(model):
            model(x)
    finally:
        for handle in handles:
            handle.remove()
    return rows


def _shape_text(shape: tuple[int, ...]) -> str:
    return " x ".join(map(str, shape[1:]))  # C x H x W, without the batch


def format_trace(rows: list[Stage]) -> str:
    """The trace as a text table: level, stage and shape C x H x W (one row per stage)."""
    lines = [f"{'level':>5}  {'stage':<28} {'shape (C x H x W)':>18}"]
    for row in rows:
        indent = "  " * row.level
        lines.append(f"{row.level:>5}  {indent + row.description:<28} {_shape_text(row.shape):>18}")
    return "\n".join(lines)


def draw_unet(rows: list[Stage], title: str | None = None) -> Figure:
    """The trace drawn as a U: contracting path on the left, going down a level per pooling, expanding path on the
    right, skips as dashed arrows; each box shows its shape C x H x W."""
    shown = [r for r in rows if r.kind in ("down", "bottleneck", "decode", "head", "input")]
    depth = max(r.level for r in rows)
    fig = Figure(figsize=(11, 1.1 * (depth + 1) + 1.2), layout="constrained")
    ax = fig.subplots()
    positions: dict[tuple[str, int], tuple[float, float]] = {}
    x = 0.0
    for r in shown:
        y = -r.level
        positions[(r.kind, r.level)] = (x, y)
        color = {"input": "#dddddd", "down": "#9ecae1", "bottleneck": "#fdae6b", "decode": "#a1d99b", "head": "#dadaeb"}[r.kind]
        ax.add_patch(FancyBboxPatch((x - 0.45, y - 0.3), 0.9, 0.6, boxstyle="round,pad=0.02", facecolor=color, edgecolor="k", lw=0.8))
        label = {"input": "input", "down": "conv block", "bottleneck": "bottleneck", "decode": "conv block", "head": "1x1 conv"}[r.kind]
        ax.text(x, y + 0.1, label, ha="center", va="center", fontsize=8)
        ax.text(x, y - 0.13, _shape_text(r.shape), ha="center", va="center", fontsize=8, family="monospace")
        x += 1.0
    order = [positions[(r.kind, r.level)] for r in shown]
    for (x0, y0), (x1, y1) in zip(order[:-1], order[1:]):
        style = "-|>"
        text = "pool" if y1 < y0 else "up" if y1 > y0 else ""
        ax.add_patch(FancyArrowPatch((x0 + 0.45, y0), (x1 - 0.45, y1), arrowstyle=style, mutation_scale=10, color="0.3"))
        if text:
            ax.text((x0 + x1) / 2 + (0.12 if text == "pool" else -0.12), (y0 + y1) / 2, text, fontsize=7, color="0.3", ha="center")
    for level in range(depth):
        if ("down", level) in positions and ("decode", level) in positions and any(r.kind == "concat" and r.level == level for r in rows):
            (x0, y0), (x1, y1) = positions[("down", level)], positions[("decode", level)]
            ax.add_patch(FancyArrowPatch((x0 + 0.45, y0 + 0.2), (x1 - 0.45, y1 + 0.2), arrowstyle="-|>", mutation_scale=10,
                                         color="tab:purple", linestyle="--", connectionstyle="arc3,rad=-0.12"))
            concat = next(r for r in rows if r.kind == "concat" and r.level == level)
            top = y0 + 0.2 + 0.06 * (x1 - x0)  # the highest point of the arc (a quadratic Bezier with rad 0.12)
            ax.text((x0 + x1) / 2, top + 0.06, f"skip: concatenate -> {_shape_text(concat.shape)}", ha="center", fontsize=7.5,
                    color="tab:purple", va="bottom")
    ax.set_xlim(-0.6, x - 0.4)
    ax.set_ylim(-depth - 0.5, 0.5 + 0.06 * x)
    ax.set_yticks([-level for level in range(depth + 1)], [f"level {level}" for level in range(depth + 1)])
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(title or "U-Net: contracting path (left), bottleneck, expanding path (right); shapes C x H x W")
    return fig
