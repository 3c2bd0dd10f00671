"""Chapter 06 plots: the schedules, the forward process, and a metric against a sampler's setting."""
import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from course_lib.diffusion import cosine_schedule, linear_schedule  # noqa: E402
from course_lib.input_checks import CourseInputError  # noqa: E402
from course_lib.viz.diffusion import plot_forward_process, plot_metric_curve, plot_schedules  # noqa: E402


def column(fig: Figure, k: int) -> np.ndarray:
    return np.asarray(fig.axes[k].images[0].get_array(), dtype=float)


def test_plot_schedules_draws_alpha_bar_and_log_snr_for_each_schedule():
    schedules = {"linear": linear_schedule(1000), "cosine": cosine_schedule(1000)}
    fig = plot_schedules(schedules)
    assert isinstance(fig, Figure) and len(fig.axes) == 2
    bar, snr = fig.axes
    assert len(bar.lines) == 2 and [line.get_label() for line in snr.lines[:2]] == ["linear", "cosine"]  # then the SNR = 1 line
    assert "signal-to-noise" in snr.get_title()
    for line, schedule in zip(bar.lines, schedules.values()):
        alpha_bar = line.get_ydata()
        assert np.allclose(alpha_bar, schedule.alpha_bar.numpy(), atol=1e-5)
        assert alpha_bar[0] > 0.99 and alpha_bar[-1] < 0.01 and np.all(np.diff(alpha_bar) < 0)  # falls from 1 to 0
    cos_snr = snr.lines[1].get_ydata()
    alpha_bar = schedules["cosine"].alpha_bar.double()
    expected = (alpha_bar / (1 - alpha_bar)).log().numpy()
    assert np.allclose(cos_snr, expected, atol=1e-3) and cos_snr[0] > 0 > cos_snr[-1]


def test_plot_schedules_with_different_T_puts_t_over_T_on_the_axis():
    fig = plot_schedules({"T=50": cosine_schedule(50), "T=1000": cosine_schedule(1000)})
    assert fig.axes[0].get_xlabel() == "t / T"
    assert fig.axes[0].lines[0].get_xdata()[-1] < 1


def test_plot_schedules_rejects_empty_and_wrong_input():
    with pytest.raises(CourseInputError, match="at least one"):
        plot_schedules({})
    with pytest.raises(CourseInputError, match="expected a NoiseSchedule"):
        plot_schedules({"betas": torch.linspace(1e-4, 0.02, 10)})


def test_forward_process_has_one_titled_column_per_timestep_and_rows_per_image():
    x0 = torch.rand(3, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    fig = plot_forward_process(x0, cosine_schedule(100), [0, 10, 50, 99])
    assert [ax.get_title() for ax in fig.axes] == ["t = 0", "t = 10", "t = 50", "t = 99"]
    assert column(fig, 0).shape[0] == 3 * 30 + 2  # three images stacked (make_grid pads 2 pixels)
    assert np.abs(column(fig, 0) - column(plot_forward_process(x0, cosine_schedule(100), [0, 99], seed=0), 0)).max() == 0  # seeded


def test_forward_process_starts_at_the_image_and_ends_in_its_shared_noise():
    schedule = cosine_schedule(1000)
    x0 = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(0))
    other = torch.rand(2, 1, 28, 28, generator=torch.Generator().manual_seed(1))
    fig, fig_other = plot_forward_process(x0, schedule, [0, 999]), plot_forward_process(other, schedule, [0, 999])
    assert np.abs(column(fig, 0) - column(fig_other, 0)).max() > 0.5  # t = 0: still the images, which differ
    assert np.abs(column(fig, 1) - column(fig_other, 1)).max() < 0.02  # t = T-1: only the noise is left, the same noise
    assert np.abs(column(fig, 1) - column(plot_forward_process(x0, schedule, [0, 999], seed=1), 1)).max() > 0.5  # another seed


def test_forward_process_rejects_bad_timesteps_and_images():
    x0 = torch.rand(2, 1, 28, 28)
    with pytest.raises(CourseInputError, match=r"0 \.\. 99.*\[100\]"):
        plot_forward_process(x0, cosine_schedule(100), [0, 100])
    with pytest.raises(CourseInputError, match="at least one timestep"):
        plot_forward_process(x0, cosine_schedule(100), [])
    with pytest.raises(CourseInputError, match=r"\[0, 1\]"):
        plot_forward_process(2 * x0 - 1.5, cosine_schedule(100), [0])


ROWS = [
    {"steps": 20, "guidance": 0.0, "fd": 5.0, "precision": 0.7, "recall": 0.6},
    {"steps": 2, "guidance": 0.0, "fd": 40.0, "precision": 0.2, "recall": 0.3},
    {"steps": 5, "guidance": 0.0, "fd": 12.0, "precision": 0.5, "recall": 0.5},
    {"steps": 5, "guidance": 2.0, "fd": 15.0, "precision": 0.8, "recall": 0.3},
]


def test_metric_curve_draws_a_sorted_line_with_the_callers_labels():
    fig = plot_metric_curve(ROWS[:3], "steps", "fd", xlabel="DDIM steps", ylabel="FD", title="FD against steps", logx=True)
    ax = fig.axes[0]
    assert len(ax.lines) == 1 and ax.get_xlabel() == "DDIM steps" and ax.get_ylabel() == "FD" and ax.get_title() == "FD against steps"
    assert list(ax.lines[0].get_xdata()) == [2, 5, 20] and list(ax.lines[0].get_ydata()) == [40.0, 12.0, 5.0]
    assert ax.get_xscale() == "log"


def test_metric_curve_draws_one_line_per_key_and_group():
    rows = [r for r in ROWS if r["steps"] == 5]
    fig = plot_metric_curve(rows, "guidance", ["precision", "recall"], labels={"guidance": "w"})
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.lines] == ["precision", "recall"] and ax.get_xlabel() == "w"
    assert list(ax.lines[1].get_ydata()) == [0.5, 0.3]
    grouped = plot_metric_curve(ROWS, "steps", "fd", by="guidance").axes[0]
    assert [line.get_label() for line in grouped.lines] == ["guidance = 0.0", "guidance = 2.0"]


def test_metric_curve_rejects_empty_rows_missing_keys_and_ddpm_rows():
    with pytest.raises(CourseInputError, match="at least one row"):
        plot_metric_curve([], "steps", "fd")
    with pytest.raises(CourseInputError, match=r"rows\[0\]: expected a value for 'ms'"):
        plot_metric_curve(ROWS, "steps", "ms")
    with pytest.raises(CourseInputError, match="leave such rows out"):
        plot_metric_curve([{"steps": None, "fd": 3.0}], "steps", "fd")


def test_a_metric_curve_draws_the_reference_to_beat():
    from course_lib.viz.diffusion import plot_metric_curve

    rows = [{"steps": 5, "fd": 90.0}, {"steps": 20, "fd": 60.0}]
    ax = plot_metric_curve(rows, "steps", "fd", reference={"VAE": 83.5}).axes[0]
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 1 and list(dashed[0].get_ydata()) == [83.5, 83.5]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["fd", "VAE"]
