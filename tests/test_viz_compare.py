"""Chapter 07 plots: one block per model on the samples page, one panel per metric."""
import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
import torch  # noqa: E402

from course_lib.viz.compare import metric_panels, samples_page  # noqa: E402


def test_samples_page_has_one_block_per_model_with_its_name():
    samples = {"real data": torch.rand(20, 1, 28, 28), "VAE": torch.rand(30, 1, 28, 28), "DCGAN": torch.rand(20, 1, 28, 28)}
    fig = samples_page(samples, n=20, captions={"VAE": "FD 12"})
    assert len(fig.axes) == 3
    assert [ax.get_ylabel() for ax in fig.axes] == ["real data", "VAE\nFD 12", "DCGAN"]
    with pytest.raises(ValueError):
        samples_page({})


def test_metric_panels_draw_a_bar_per_model_and_the_real_line():
    table = {"real data": {"fd": 2.0, "sharpness": 0.05}, "VAE": {"fd": 10.0, "sharpness": 0.01}, "DCGAN": {"fd": 8.0, "sharpness": 0.04}}
    per_seed = {"VAE": {0: {"fd": 10.0}, 1: {"fd": 11.0}}, "DCGAN": {0: {"fd": 8.0}, 1: {"fd": 15.0}}}
    fig = metric_panels(table, per_seed, panels=(("fd", "FD", True), ("sharpness", "sharpness", False)))
    assert len(fig.axes) == 2
    fd_ax = fig.axes[0]
    assert len(fd_ax.patches) == 2 and fd_ax.get_legend() is not None
    assert [t.get_text() for t in fd_ax.get_xticklabels()] == ["VAE", "DCGAN"]
