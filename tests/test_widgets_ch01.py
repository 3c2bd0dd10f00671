"""Explorers of chapter 01: the 2-D code map, the denoising slider, the anomaly threshold."""
import numpy as np
import pytest
import torch
from torch import nn

from course_lib.metrics import code_range, rates_at, roc_points
from course_lib.models import corrupt
from course_lib.widgets import anomaly_explorer, code_map_explorer, decode_point, denoising_explorer


def tiny_decoder(device, latent_dim=2):
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(latent_dim, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))).to(device)


def test_moving_the_point_redraws_a_different_decoded_image(device):
    decoder = tiny_decoder(device)
    codes, labels = torch.randn(200, 2, device=device), torch.arange(200, device=device) % 10
    explorer = code_map_explorer(decoder, codes, labels, images=torch.rand(200, 1, 28, 28, device=device))
    before = explorer.image.value
    explorer.controls["z1"].value = explorer.controls["z1"].max
    assert explorer.redraws == 2 and explorer.image.value != before
    before = explorer.image.value
    explorer.controls["z2"].value = explorer.controls["z2"].min
    assert explorer.redraws == 3 and explorer.image.value != before


def test_the_decoded_image_depends_on_the_point(device):
    decoder = tiny_decoder(device)
    a, b = decode_point(decoder, (-2.0, 0.0), device), decode_point(decoder, (2.0, 0.0), device)
    assert a.shape == (28, 28) and np.abs(a - b).max() > 1e-3


def test_the_sliders_cover_the_codes():
    codes = torch.tensor([[0.0, -10.0], [1.0, 10.0]]).repeat(50, 1)
    (lo1, hi1), (lo2, hi2) = code_range(codes)
    assert lo1 < 0 < 1 < hi1 and lo2 < -10 < 10 < hi2


def test_the_code_map_refuses_codes_that_are_not_2d():
    with pytest.raises(ValueError, match="N x 2"):
        code_map_explorer(tiny_decoder("cpu", 3), torch.randn(10, 3), torch.zeros(10))


def test_turning_up_the_noise_redraws_a_different_picture(device):
    images = torch.rand(6, 1, 28, 28, device=device)
    explorer = denoising_explorer({"identity": lambda x: x, "blur": lambda x: x * 0.5}, images, std=0.1)
    before = explorer.image.value
    explorer.controls["noise_std"].value = 0.8
    assert explorer.redraws == 2 and explorer.image.value != before


def test_noise_stays_in_the_unit_interval_and_zero_noise_changes_nothing():
    x, eps = torch.rand(4, 1, 28, 28), torch.randn(4, 1, 28, 28)
    assert torch.equal(corrupt(x, 0.0, noise=eps), x)
    noisy = corrupt(x, 2.0, noise=eps)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not torch.equal(noisy, x)


def test_moving_the_threshold_redraws_a_different_picture(device):
    scores = torch.cat([torch.randn(100), torch.randn(50) + 2]).to(device)
    explorer = anomaly_explorer(scores, torch.arange(150, device=device) >= 100)
    before = explorer.image.value
    explorer.controls["percentile"].value = 30.0
    assert explorer.redraws == 2 and explorer.image.value != before


def test_roc_points_run_from_corner_to_corner_and_separate_perfectly_separable_scores():
    scores, anomaly = np.array([0.1, 0.2, 0.3, 5.0, 6.0]), np.array([False, False, False, True, True])
    fpr, tpr = roc_points(scores, anomaly)
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0, 0, 1, 1)
    assert np.trapezoid(tpr, fpr) == pytest.approx(1.0)
    assert rates_at(scores, anomaly, 1.0) == (0.0, 1.0)
