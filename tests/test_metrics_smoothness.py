"""Latent roughness: 1 for a linear decoder, near the number of steps for a decoder with a cliff."""
import pytest
import torch

from course_lib.metrics.smoothness import interpolation_path, roughness, step_sizes
from course_lib.input_checks import CourseInputError


def linear_decoder(device):
    w = torch.randn(4, 784, generator=torch.Generator().manual_seed(0)).to(device)
    return lambda z: (z @ w).view(-1, 1, 28, 28)


def cliff_decoder(z):
    """Two images, switching where the first code coordinate crosses 0: all change in one step."""
    return (z[:, :1] > 0).float().view(-1, 1, 1, 1).expand(-1, 1, 28, 28)


def test_the_path_starts_and_ends_at_the_codes(device):
    z_a, z_b = torch.randn(3, 4, device=device), torch.randn(3, 4, device=device)
    path = interpolation_path(z_a, z_b, steps=8)
    assert path.shape == (9, 3, 4) and path.device.type == device.type
    torch.testing.assert_close(path[0], z_a)
    torch.testing.assert_close(path[-1], z_b)


def test_a_linear_decoder_has_roughness_one(device):
    z_a, z_b = torch.randn(5, 4, device=device), torch.randn(5, 4, device=device)
    assert roughness(linear_decoder(device), z_a, z_b) == pytest.approx(1.0, abs=1e-4)


def test_a_decoder_with_a_cliff_changes_in_one_step():
    z_a, z_b = -torch.ones(2, 4), torch.ones(2, 4)
    d = step_sizes(cliff_decoder, z_a, z_b, steps=16)
    assert d.shape == (2, 16) and int((d > 0).sum(1).max()) == 1
    assert roughness(cliff_decoder, z_a, z_b, steps=16) == pytest.approx(16.0)


def test_roughness_does_not_depend_on_the_scale_of_the_codes(device):
    z_a, z_b = torch.randn(4, 4, device=device), torch.randn(4, 4, device=device)
    decode = lambda z: torch.tanh(z @ torch.ones(4, 784, device=device)).view(-1, 1, 28, 28)  # noqa: E731
    scaled = lambda z: decode(z / 100)  # noqa: E731
    assert roughness(decode, z_a, z_b) == pytest.approx(roughness(scaled, 100 * z_a, 100 * z_b), rel=1e-4)


def test_mismatched_codes_are_refused():
    with pytest.raises(CourseInputError, match="same shape"):
        interpolation_path(torch.zeros(2, 4), torch.zeros(3, 4))
