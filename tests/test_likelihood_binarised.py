"""Likelihoods that mean what they say: a fixed binarisation of MNIST-5k, bits per dimension, bounds on binary data."""
import math

import pytest
import torch

from course_lib.data import binarise, load_mnist5k, load_mnist5k_binarised
from course_lib.input_checks import CourseInputError
from course_lib.metrics.likelihood import (
    LikelihoodBound,
    check_binary,
    iwae_log_likelihood,
    likelihood_bound,
    nats_to_bits_per_dim,
)
from course_lib.models import CVAE, MLPVAE
from course_lib.train import model_settings
from vae_support import zero_vae


def test_binarise_is_deterministic_binary_and_keeps_the_grey_level_mean(device):
    x = load_mnist5k().test.x[:200].to(device)
    a, b = binarise(x, seed=0), binarise(x, seed=0)
    assert a.shape == x.shape and a.device == x.device and a.dtype == x.dtype
    assert torch.equal(a, b)
    assert set(a.unique().tolist()) <= {0.0, 1.0}
    assert a.mean().item() == pytest.approx(x.mean().item(), abs=0.01)  # E[Bernoulli(x)] = x; 156,800 draws
    assert not torch.equal(a, binarise(x, seed=1))
    assert torch.equal(a[(x == 0) | (x == 1)], x[(x == 0) | (x == 1)])  # black stays black, white stays white


def test_binarise_is_the_same_on_every_device_and_leaves_the_global_random_state_alone(device):
    x = torch.rand(8, 1, 28, 28)
    state = torch.get_rng_state()
    on_cpu = binarise(x, seed=3)
    assert torch.equal(torch.get_rng_state(), state)
    assert torch.equal(binarise(x.to(device), seed=3).cpu(), on_cpu)


def test_the_binarised_test_split_is_fixed_and_matches_the_grey_split():
    grey = load_mnist5k().test
    binary = load_mnist5k_binarised(device="cpu")
    assert len(binary) == 1000 and torch.equal(binary.y, grey.y)
    assert torch.equal(binary.x, binarise(grey.x, seed=0))
    assert torch.equal(binary.x, load_mnist5k_binarised(device="cpu").x)


@pytest.mark.parametrize("bad, words", [(torch.full((2, 1, 28, 28), 255.0), "Divide uint8"), (-torch.rand(2, 1, 28, 28), "[0, 1]")])
def test_binarise_refuses_values_outside_zero_one_clearly(bad, words):
    with pytest.raises(CourseInputError, match=r"grey levels in \[0, 1\]") as err:
        binarise(bad)
    assert words in str(err.value)


def test_bits_per_dim_of_784_ln2_nats_is_exactly_one():
    assert nats_to_bits_per_dim(784 * math.log(2), 784) == pytest.approx(1.0, rel=1e-12)
    assert nats_to_bits_per_dim(0.0, 784) == 0.0
    assert torch.allclose(nats_to_bits_per_dim(torch.tensor([784 * math.log(2), 392 * math.log(2)]), 784), torch.tensor([1.0, 0.5]))
    with pytest.raises(CourseInputError, match="dims"):
        nats_to_bits_per_dim(1.0, 0)


def test_a_coin_flip_decoder_costs_one_bit_per_pixel_on_binary_images(device):
    x = binarise(torch.rand(10, 1, 28, 28, device=device))
    bound = likelihood_bound(zero_vae(device), x, k=5)
    assert isinstance(bound, LikelihoodBound) and bound.k == 5 and bound.dims == 784
    assert bound.nats == pytest.approx(-784 * math.log(2), rel=1e-5)
    assert bound.bits_per_dim == pytest.approx(1.0, rel=1e-5)
    assert "nats per image" in str(bound) and "bits/dim" in str(bound)


def test_the_iwae_bound_on_binarised_digits_is_above_the_elbo(device):
    torch.manual_seed(0)
    model = MLPVAE(latent_dim=4, hidden=32).to(device)
    x = binarise(load_mnist5k().test.x[:50].to(device))
    elbo, iwae = likelihood_bound(model, x, k=1), likelihood_bound(model, x, k=50)
    assert iwae.nats > elbo.nats and iwae.bits_per_dim < elbo.bits_per_dim
    assert elbo.nats < 0 and iwae.nats < 0  # a log-probability of binary images


def test_the_conditional_bound_on_binarised_digits_is_above_the_conditional_elbo(device):
    torch.manual_seed(0)
    model = CVAE(**model_settings("cvae")).to(device)
    test = load_mnist5k_binarised(device=device)
    x, y = test.x[:20], test.y[:20]
    elbo, iwae = likelihood_bound(model, x, k=1, y=y), likelihood_bound(model, x, k=20, y=y)
    assert iwae.nats > elbo.nats


def test_the_bound_refuses_grey_levels_and_says_why(device):
    x = torch.rand(4, 1, 28, 28, device=device)
    with pytest.raises(CourseInputError, match="binary") as err:
        likelihood_bound(zero_vae(device), x)
    assert "cross-entropy" in str(err.value) and "binarise" in str(err.value)
    with pytest.raises(CourseInputError, match=r"\[0, 1\]"):
        check_binary(2 * binarise(torch.full_like(x, 0.5)))
    assert iwae_log_likelihood(zero_vae(device), x, k=1) == pytest.approx(-784 * math.log(2), rel=1e-5)  # kept: grey in, cross-entropy out
