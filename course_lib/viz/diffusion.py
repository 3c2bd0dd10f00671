"""Plots of chapter 06 (diffusion models): the noise schedules, the forward process, and a metric against a setting.

    plot_schedules(schedules)                 alpha_bar_t and log SNR_t = log(alpha_bar_t / (1 - alpha_bar_t)) against t
    plot_forward_process(x0, schedule, ts)    x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps, one eps per image
    plot_metric_curve(rows, x, y)             e.g. FD against the number of DDIM steps, precision and recall against w
"""
from __future__ import annotations

from typing import Mapping, Sequence

import torch
from matplotlib.figure import Figure

from ..diffusion.forward import q_sample
from ..diffusion.model import to_image_range, to_model_range
from ..diffusion.schedule import NoiseSchedule
from ..input_checks import CourseInputError, check_images
from .common import image_grid


def plot_schedules(schedules: Mapping[str, NoiseSchedule], title: str | None = "Noise schedules") -> Figure:
    """Two panels, one line per schedule: alpha_bar_t (the share of the signal's variance left at step t) and the
    log signal-to-noise ratio log SNR_t = log(alpha_bar_t / (1 - alpha_bar_t)) against t (t / T when the T differ)."""
    if not schedules:
        raise CourseInputError("schedules: expected a name -> NoiseSchedule mapping with at least one entry, "
                               "e.g. {'linear': linear_schedule(1000), 'cosine': cosine_schedule(1000)}.")
    for name, schedule in schedules.items():
        if not isinstance(schedule, NoiseSchedule):
            raise CourseInputError(f"schedules[{name!r}]: expected a NoiseSchedule (linear_schedule(T), cosine_schedule(T) "
                                   f"or model.schedule()), got {type(schedule).__name__}.")
    same_T = len({s.T for s in schedules.values()}) == 1
    fig = Figure(figsize=(10, 3.6), layout="constrained")
    ax_bar, ax_snr = fig.subplots(1, 2)
    for name, schedule in schedules.items():
        alpha_bar = torch.cumprod(1 - schedule.betas.detach().double().cpu(), 0)  # float64: 1 - alpha_bar stays accurate
        t = torch.arange(schedule.T, dtype=torch.float64)
        t = t if same_T else t / schedule.T
        ax_bar.plot(t.numpy(), alpha_bar.numpy(), label=f"{name} (T = {schedule.T})")
        ax_snr.plot(t.numpy(), (alpha_bar / (1 - alpha_bar)).log().numpy(), label=name)
    xlabel = "t" if same_T else "t / T"
    ax_bar.set(xlabel=xlabel, ylabel=r"$\bar\alpha_t$", title=r"signal left: $\bar\alpha_t$", ylim=(-0.02, 1.02))
    ax_snr.set(xlabel=xlabel, ylabel=r"$\log(\bar\alpha_t / (1 - \bar\alpha_t))$", title="log signal-to-noise ratio")
    ax_snr.axhline(0, color="k", lw=0.8, ls="--")  # SNR = 1: as much noise as signal
    for ax in (ax_bar, ax_snr):
        ax.grid(alpha=0.3)
    ax_bar.legend(frameon=False)
    if title:
        fig.suptitle(title)
    return fig


def plot_forward_process(
    x0: torch.Tensor, schedule: NoiseSchedule, timesteps: Sequence[int], seed: int = 0, title: str | None = None
) -> Figure:
    """One column per timestep t, one row per image: x_t = sqrt(alpha_bar_t) x_0 + sqrt(1 - alpha_bar_t) eps (DDPM eq. 4)
    on the images scaled to [-1, 1], shown back in [0, 1]. Each image keeps one noise eps (drawn from ``seed``) in every
    column, so a row shows the same image growing noisier. ``x0`` is N x C x H x W in [0, 1]; t is 0-based (0 .. T-1)."""
    check_images(x0, "x0", shape=(None, None, None))
    timesteps = list(timesteps)
    if not timesteps:
        raise CourseInputError(f"timesteps: expected at least one timestep in 0 .. {schedule.T - 1}, e.g. "
                               f"[0, {schedule.T // 4}, {schedule.T // 2}, {schedule.T - 1}].")
    bad = [t for t in timesteps if isinstance(t, bool) or not isinstance(t, int) or not 0 <= t < schedule.T]
    if bad:
        raise CourseInputError(f"timesteps: expected integers in 0 .. {schedule.T - 1} (0-based, T = {schedule.T}), got {bad}; "
                               f"the last step is t = {schedule.T - 1}.")
    x0 = x0.detach().float().cpu()
    noise = torch.randn(x0.shape, generator=torch.Generator().manual_seed(seed))  # one eps per image, shared by the columns
    fig = Figure(figsize=(1.25 * len(timesteps) + 0.4, 1.1 * len(x0) + 0.9), layout="constrained")
    axes = fig.subplots(1, len(timesteps), squeeze=False)[0]
    for ax, t in zip(axes, timesteps):
        x_t = to_image_range(q_sample(to_model_range(x0), t, noise, schedule))  # N x C x H x W, clamped to [0, 1]
        grid = image_grid(x_t, nrow=1)  # the images stacked: one row each
        ax.imshow((grid.squeeze(-1) if grid.shape[-1] == 1 else grid).numpy(), cmap="gray", vmin=0, vmax=1, interpolation="nearest")
        ax.set_title(f"t = {t}", fontsize=10)
        ax.set_xlabel(rf"$\bar\alpha$ = {float(schedule.alpha_bar[t]):.2f}", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title)
    return fig


def plot_metric_curve(
    rows: Sequence[Mapping[str, object]],
    x: str,
    y: str | Sequence[str],
    *,
    by: str | None = None,
    labels: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    ylabel: str | None = None,
    title: str | None = None,
    logx: bool = False,
    reference: Mapping[str, float] | None = None,
) -> Figure:
    """One line per key of ``y`` (and per value of ``rows[i][by]`` when ``by`` is given) against ``rows[i][x]``, the
    points sorted by x: e.g. ``plot_metric_curve(rows, "steps", "fd")`` or ``(rows, "guidance", ["precision", "recall"])``
    for the rows of :func:`course_lib.analysis.diffusion.sampler_table`. ``labels`` renames keys in the legend;
    ``reference`` draws one dashed horizontal line per name, e.g. ``{"VAE": 83.5}``, the value to beat."""
    ys = [y] if isinstance(y, str) else list(y)
    if not rows:
        raise CourseInputError("rows: expected at least one row (a dict such as {'steps': 10, 'fd': 12.3}), got none.")
    if not ys:
        raise CourseInputError("y: expected a key of the rows (or a list of keys) to plot, got an empty list.")
    for i, row in enumerate(rows):
        for key in [x, *ys, *([by] if by else [])]:
            if key not in row:
                raise CourseInputError(f"rows[{i}]: expected a value for {key!r}, but its keys are {sorted(row)}.")
        if row[x] is None:
            raise CourseInputError(f"rows[{i}][{x!r}] is None (e.g. steps=None, DDPM's T steps) and has no place on the x axis; "
                                   f"leave such rows out: [r for r in rows if r[{x!r}] is not None].")
    names = dict(labels or {})
    groups = list(dict.fromkeys(row[by] for row in rows)) if by else [None]
    fig = Figure(figsize=(6, 3.8), layout="constrained")
    ax = fig.subplots()
    for key in ys:
        for group in groups:
            points = sorted((row[x], row[key]) for row in rows if by is None or row[by] == group)
            label = names.get(key, key) if by is None else (f"{by} = {group}" if len(ys) == 1 else f"{names.get(key, key)}, {by} = {group}")
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=label)
    for i, (name, level) in enumerate((reference or {}).items()):
        ax.axhline(float(level), linestyle="--", color=f"C{len(ys) * len(groups) + i}", label=name)
    ax.set_xlabel(xlabel or names.get(x, x))
    ax.set_ylabel(ylabel or ", ".join(names.get(k, k) for k in ys))
    if logx:
        ax.set_xscale("log")
    if title:
        ax.set_title(title)
    if len(ys) * len(groups) + len(reference or {}) > 1:
        ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return fig


__all__ = ["plot_forward_process", "plot_metric_curve", "plot_schedules"]
