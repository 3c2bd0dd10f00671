"""Chapter 05 explorer: scrubbing through GAN training redraws the samples of the chosen snapshot."""
import pytest
import torch

from course_lib.data import ring8_centres
from course_lib.widgets.gan_training import TrainingExplorer


def point_snapshots(n_snapshots: int = 4, spread: float = 1.0) -> list:
    g = torch.Generator().manual_seed(0)
    return [(100 * k, spread * (k + 1) * torch.randn(200, 2, generator=g)) for k in range(n_snapshots)]


def image_snapshots(n_snapshots: int = 3) -> list:
    g = torch.Generator().manual_seed(1)
    return [(50 * k, torch.rand(16, 1, 28, 28, generator=g)) for k in range(n_snapshots)]


def test_moving_the_snapshot_slider_draws_other_samples():
    explorer = TrainingExplorer({"GAN": point_snapshots()}, centres=ring8_centres())
    assert explorer.controls["snapshot"].value == 3  # starts at the end of training
    before = explorer.image.value
    explorer.controls["snapshot"].value = 0
    assert explorer.redraws == 2 and explorer.image.value != before


def test_image_snapshots_with_loss_curves_redraw():
    curves = {"GAN": {"D loss": [1.4, 1.2, 1.3], "G loss": [0.7, 0.9, 0.8]}}
    explorer = TrainingExplorer({"GAN": image_snapshots()}, curves=curves)
    before = explorer.image.value
    explorer.controls["snapshot"].value = 1
    assert explorer.image.value != before


def test_the_run_picker_switches_between_runs():
    explorer = TrainingExplorer({"GAN": point_snapshots(spread=0.2), "WGAN-GP": point_snapshots(spread=2.0)}, centres=ring8_centres())
    before = explorer.image.value
    explorer.controls["run"].value = "WGAN-GP"
    assert explorer.image.value != before


def test_a_shorter_run_shows_its_last_snapshot():
    explorer = TrainingExplorer({"long": point_snapshots(5), "short": point_snapshots(2)})
    explorer.controls["run"].value = "short"
    explorer.controls["snapshot"].value = 0
    explorer.controls["snapshot"].value = 4  # beyond the short run: shows its last snapshot, does not raise
    assert explorer.redraws == 4


def test_bad_snapshots_say_what_was_expected():
    with pytest.raises(ValueError, match="N x 2"):
        TrainingExplorer({"GAN": [(0, torch.zeros(10, 3))]})
    with pytest.raises(ValueError, match="at least one"):
        TrainingExplorer({"GAN": []})
