"""Explorers of chapter 02: latent sliders of a 2-D VAE and the interpolation slider."""
import numpy as np
import pytest
import torch
from torch import nn

from course_lib.widgets.code_map import code_map_explorer
from course_lib.metrics import interpolate
from course_lib.widgets import interpolation_explorer


def tiny_model(device, latent_dim=4):
    torch.manual_seed(0)
    encode = nn.Sequential(nn.Flatten(), nn.Linear(784, latent_dim)).to(device)
    decode = nn.Sequential(nn.Linear(latent_dim, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))).to(device)
    return encode, decode


def test_latent_sliders_of_a_2d_vae_redraw_the_decoded_digit(device):
    _, decode = tiny_model(device, 2)
    explorer = code_map_explorer(decode, torch.randn(100, 2, device=device), torch.arange(100) % 10,
                                 ranges=[(-3.0, 3.0), (-3.0, 3.0)], start=(0.0, 0.0))
    assert explorer.controls["z1"].min == -3 and explorer.controls["z1"].value == 0
    before = explorer.image.value
    explorer.controls["z1"].value = 2.5
    assert explorer.image.value != before


def test_interpolation_starts_and_ends_at_the_decoded_codes_of_the_two_images(device):
    encode, decode = tiny_model(device)
    x_a, x_b = torch.rand(1, 28, 28, device=device), torch.rand(1, 1, 28, 28, device=device)
    frames = interpolate(encode, decode, x_a, x_b, steps=5)
    assert frames.shape == (5, 1, 28, 28) and frames.device.type == torch.device(device).type
    with torch.no_grad():
        ends = decode(encode(torch.stack([x_a, x_b[0]])))
    torch.testing.assert_close(frames[[0, -1]], ends)


def test_interpolation_needs_two_steps():
    encode, decode = tiny_model("cpu")
    with pytest.raises(ValueError, match="at least 2 steps"):
        interpolate(encode, decode, torch.rand(1, 28, 28), torch.rand(1, 28, 28), steps=1)


def test_moving_t_or_the_pair_redraws_a_different_picture(device):
    models = {"VAE": tiny_model(device), "AE": tiny_model(device, 3)}
    pairs = [(torch.rand(1, 28, 28, device=device), torch.rand(1, 28, 28, device=device)) for _ in range(3)]
    explorer = interpolation_explorer(models, pairs, steps=7)
    before = explorer.image.value
    explorer.controls["t"].value = 1.0
    assert explorer.redraws == 2 and explorer.image.value != before
    before = explorer.image.value
    explorer.controls["pair"].value = 2
    assert explorer.redraws == 3 and explorer.image.value != before
