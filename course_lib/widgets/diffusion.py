"""Chapter 06 explorers: what a diffusion model sees at step t, and what guidance and the number of steps do to its samples.

    timestep_explorer(model, images)   slider t: x_t (one fixed noise) and the model's estimate of x_0 from it,
                                       x0_hat = (x_t - sqrt(1 - alpha_bar_t) eps_theta(x_t, t)) / sqrt(alpha_bar_t)
    guidance_explorer(model)           slider w: one sample per class from the same start noise, guided by
                                       (1 + w) eps(x_t, y) - w eps(x_t, null)   (needs a class-conditional model)
    sampling_steps_explorer(model)     choice of the number of DDIM steps: samples from the same start noise
Every sample is drawn by ``model.sample`` with a generator seeded afresh, so x_T is the same for every value of the
control (DDIM with eta = 0 is deterministic after that) and only the control changes the picture. What a value shows
is computed once and kept, so moving back to a value only re-draws.
"""
from __future__ import annotations

from typing import Sequence

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure

from ..diffusion.forward import q_sample
from ..diffusion.model import to_image_range, to_model_range
from ..diffusion.samplers import predict_x0
from ..input_checks import CourseInputError, check_images, check_tensor
from ..utils import eval_mode, module_device
from ..viz.common import image_grid
from .base import Explorer, int_slider, slider

STEP_CHOICES = (1, 2, 5, 10, 20, 50)


def _show_row(ax, images: torch.Tensor, label: str | None = None, nrow: int | None = None) -> None:
    """Images in [0, 1] tiled on ``ax`` (one row unless ``nrow``), the label on the left."""
    grid = image_grid(images, nrow=nrow or len(images))
    ax.imshow((grid.squeeze(-1) if grid.shape[-1] == 1 else grid).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    if label:
        ax.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)


def _labels(model: torch.nn.Module, labels: torch.Tensor | None, n: int, device: torch.device) -> torch.Tensor | None:
    if labels is None:
        return None
    if getattr(model, "n_classes", None) is None:
        raise CourseInputError("labels: given to an unconditional diffusion model; build it with n_classes=10, or pass labels=None.")
    return check_tensor(labels, "labels", shape=(n,), integer=True).to(device)


def timestep_explorer(
    model: torch.nn.Module,
    images: torch.Tensor,
    *,
    labels: torch.Tensor | None = None,
    t: int | None = None,
    seed: int = 0,
    title: str = "The forward process, and what the network makes of x_t",
) -> Explorer:
    """A slider ``t`` (0 .. T-1). Rows: x_0 (the ``images``, N x C x H x W in [0, 1]), x_t = q_sample(x_0, t, eps) with one
    noise eps drawn from ``seed``, and the model's x0_hat from x_t (predict_x0 of its eps_theta, clipped to the image range).
    A conditional model is told ``labels`` if given, else the null label (it estimates x_0 without a class)."""
    check_images(images, "images", shape=tuple(model.image_shape))
    if len(images) == 0:
        raise CourseInputError("images: expected at least one image, got an empty batch.")
    device = module_device(model)
    schedule = model.schedule(device)
    T = schedule.T
    x0 = images.detach().float().to(device)
    y = _labels(model, labels, len(x0), device)
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed)).to(device)  # fixed: only t changes
    shown: dict[int, tuple[torch.Tensor, torch.Tensor, float]] = {}

    @torch.no_grad()
    def at(step: int) -> tuple[torch.Tensor, torch.Tensor, float]:
        if step not in shown:
            ts = torch.full((len(x0),), step, dtype=torch.long, device=device)
            x_t = q_sample(to_model_range(x0), ts, noise, schedule)  # in [-1, 1] plus noise
            with eval_mode(model):
                eps = model(x_t, ts, y)
            x0_hat = to_image_range(predict_x0(eps, x_t, ts, schedule).clamp(-1, 1))
            error = float(((x0_hat - x0) ** 2).flatten(1).sum(1).mean())
            shown[step] = (to_image_range(x_t).cpu(), x0_hat.cpu(), error)
        return shown[step]

    def draw(t: int) -> Figure:
        x_t, x0_hat, error = at(t)
        rows = [("x_0", x0.cpu()), (f"x_t, t = {t}", x_t), ("model's\nestimate of x_0", x0_hat)]
        fig = Figure(figsize=(0.9 * len(x0) + 1.8, 1.05 * len(rows) + 0.4), layout="constrained")
        for ax, (name, pictures) in zip(fig.subplots(len(rows), 1), rows):
            _show_row(ax, pictures, name)
        fig.suptitle(f"t = {t} of 0 .. {T - 1},  alpha_bar_t = {float(schedule.alpha_bar[t]):.3f}\n"
                     f"squared error of the estimate: {error:.1f} per image", fontsize=10)
        return fig

    start = T // 2 if t is None else t
    if not isinstance(start, int) or not 0 <= start < T:
        raise CourseInputError(f"t: expected a starting timestep in 0 .. {T - 1}, got {t!r}.")
    return Explorer({"t": int_slider("timestep t", start, 0, T - 1, width="360px")}, draw, title=title)


def guidance_explorer(
    model: torch.nn.Module,
    *,
    classes: Sequence[int] | None = None,
    per_class: int = 1,
    steps: int = 10,
    guidance: float = 0.0,
    max_guidance: float = 6.0,
    seed: int = 0,
    title: str = "Classifier-free guidance: the same start noise, a stronger pull towards the class",
) -> Explorer:
    """A slider ``w`` (the guidance scale, 0 = the conditional model itself). Columns: the ``classes`` (default every
    class), rows: ``per_class`` samples each, drawn by DDIM with ``steps`` steps from the same x_T for every w."""
    n_classes = getattr(model, "n_classes", None)
    if n_classes is None:
        raise CourseInputError("guidance_explorer: classifier-free guidance needs a class-conditional model (built with "
                               "n_classes=10 and trained with p_uncond > 0); this one is unconditional.")
    classes = list(range(n_classes)) if classes is None else [int(c) for c in classes]
    if not classes or any(not 0 <= c < n_classes for c in classes):
        raise CourseInputError(f"classes: expected classes in 0 .. {n_classes - 1}, got {classes}.")
    if per_class < 1:
        raise CourseInputError(f"per_class: expected at least one sample per class, got {per_class!r}.")
    if not 0 <= guidance <= max_guidance:
        raise CourseInputError(f"guidance: expected a starting w in 0 .. max_guidance = {max_guidance}, got {guidance!r}.")
    device = module_device(model)
    y = torch.tensor(classes * per_class, dtype=torch.long, device=device)  # row-major: one row per sample of each class
    samples: dict[float, torch.Tensor] = {}

    def sample(w: float) -> torch.Tensor:
        if w not in samples:
            with eval_mode(model):
                samples[w] = model.sample(len(y), labels=y, steps=steps, guidance=float(w),
                                          generator=torch.Generator().manual_seed(seed)).cpu()
        return samples[w]

    def draw(w: float) -> Figure:
        x = sample(w)
        fig = Figure(figsize=(0.85 * len(classes) + 0.6, 0.9 * per_class + 0.9), layout="constrained")
        ax = fig.subplots()
        _show_row(ax, x, nrow=len(classes))
        width = x.shape[-1] + 2  # make_grid's padding of 2
        ax.set_xticks([width * (i + 0.5) + 1 for i in range(len(classes))], labels=[str(c) for c in classes])
        ax.set_xlabel("class asked for")
        ax.set_title(f"w = {w:g}:  eps = (1 + w) eps(x_t, y) - w eps(x_t, null),  {steps} DDIM steps", fontsize=10)
        return fig

    return Explorer({"w": slider("guidance w", guidance, 0.0, max_guidance, step=0.5, width="360px")}, draw, title=title)


def sampling_steps_explorer(
    model: torch.nn.Module,
    *,
    n: int = 8,
    step_choices: Sequence[int] | None = None,
    steps: int | None = None,
    guidance: float = 0.0,
    seed: int = 0,
    title: str = "How many DDIM steps does a sample need?",
) -> Explorer:
    """A choice of the number of DDIM steps (default 1, 2, 5, 10, 20, 50, those up to T); ``n`` samples from the same
    x_T for every choice (a conditional model draws the classes 0, 1, ... in turn, guided by ``guidance``)."""
    device = module_device(model)
    T = model.schedule(device).T
    if step_choices is None:
        choices = [s for s in STEP_CHOICES if s <= T] or [T]
    else:
        choices = sorted({int(s) for s in step_choices})
        if not choices or choices[0] < 1 or choices[-1] > T:
            raise CourseInputError(f"step_choices: expected numbers of DDIM steps in 1 .. T = {T}, got {list(step_choices)}.")
    start = choices[len(choices) // 2] if steps is None else steps
    if start not in choices:
        raise CourseInputError(f"steps: expected one of the step_choices {choices}, got {steps!r}.")
    if not isinstance(n, int) or n < 1:
        raise CourseInputError(f"n: expected a positive number of samples, got {n!r}.")
    if guidance and getattr(model, "n_classes", None) is None:
        raise CourseInputError(f"guidance={guidance} needs a class-conditional model; pass guidance=0 for this one.")
    samples: dict[int, torch.Tensor] = {}

    def sample(k: int) -> torch.Tensor:
        if k not in samples:
            with eval_mode(model):
                samples[k] = model.sample(n, steps=k, guidance=guidance, generator=torch.Generator().manual_seed(seed)).cpu()
        return samples[k]

    def draw(steps: int) -> Figure:
        fig = Figure(figsize=(0.9 * n + 0.6, 1.5), layout="constrained")
        _show_row(fig.subplots(), sample(steps))
        calls = steps * (2 if guidance else 1)
        fig.suptitle(f"{steps} DDIM step{'s' if steps > 1 else ''} of T = {T}:  {calls} network call{'s' if calls > 1 else ''} "
                     "per sample, the same x_T", fontsize=10)
        return fig

    control = widgets.SelectionSlider(options=choices, value=start, description="DDIM steps", continuous_update=False,
                                      layout=widgets.Layout(width="360px"), style={"description_width": "initial"})
    return Explorer({"steps": control}, draw, title=title)


__all__ = ["guidance_explorer", "sampling_steps_explorer", "timestep_explorer"]
