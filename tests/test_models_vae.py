"""VAE and CVAE: the reparameterization trick, the closed-form ELBO at initialisation, sampling, overfitting."""
import math

import pytest
import torch

from course_lib.data import load
from course_lib.losses import elbo_loss
from course_lib.models import CVAE, ConvVAE, MLPVAE, one_hot, reparameterize
from course_lib.input_checks import CourseInputError

VAES = [lambda: MLPVAE(latent_dim=4, hidden=64), lambda: ConvVAE(latent_dim=4, width=8, hidden=64), lambda: ConvVAE(latent_dim=4, width=8, hidden=0)]
VAE_IDS = ["mlp", "conv", "conv-no-hidden"]


def test_gradients_reach_mu_and_logvar_through_reparameterize(device):
    mu = torch.zeros(8, 3, device=device, requires_grad=True)
    logvar = torch.zeros(8, 3, device=device, requires_grad=True)
    reparameterize(mu, logvar).pow(2).sum().backward()
    assert mu.grad is not None and mu.grad.abs().sum() > 0
    assert logvar.grad is not None and logvar.grad.abs().sum() > 0


def test_gradients_do_not_flow_through_plain_sampling(device):
    mu = torch.zeros(8, 3, device=device, requires_grad=True)
    logvar = torch.zeros(8, 3, device=device, requires_grad=True)
    z = torch.distributions.Normal(mu, (0.5 * logvar).exp()).sample()
    assert not z.requires_grad  # nothing to back-propagate: the sample is cut off from mu and logvar


def test_reparameterized_samples_have_the_encoder_mean_and_variance(device):
    mu = torch.full((200_000, 1), 1.5, device=device)
    logvar = torch.full((200_000, 1), math.log(0.25), device=device)
    z = reparameterize(mu, logvar)
    assert z.mean().item() == pytest.approx(1.5, abs=0.01)
    assert z.std().item() == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("make", VAES, ids=VAE_IDS)
def test_elbo_of_a_zero_initialised_vae_is_d_log_two(device, make):
    # All weights zero: mu = logvar = 0 (so KL = 0) and every pixel probability is sigmoid(0) = 1/2,
    # whatever z, so -log p(x|z) = 784 log 2 for any image x.
    model = make().to(device)
    with torch.no_grad():
        for p in model.parameters():
            p.zero_()
    x = torch.rand(6, 1, 28, 28, device=device)
    x_hat, mu, logvar = model(x)
    loss, recon, kl = elbo_loss(x_hat, x, mu, logvar)
    assert kl.item() == 0.0
    assert loss.item() == pytest.approx(784 * math.log(2), rel=1e-5)


@pytest.mark.parametrize("make", VAES, ids=VAE_IDS)
def test_vae_shapes_and_prior_samples(device, make):
    model = make().to(device)
    x = torch.rand(5, 1, 28, 28, device=device)
    x_hat, mu, logvar = model(x)
    assert x_hat.shape == x.shape and mu.shape == logvar.shape == (5, 4)
    samples = model.sample(7)
    assert samples.shape == (7, 1, 28, 28) and samples.device == x.device
    assert 0 <= samples.min() and samples.max() <= 1


@pytest.mark.parametrize("make", VAES, ids=VAE_IDS)
def test_vae_rejects_images_of_the_wrong_shape(device, make):
    with pytest.raises(CourseInputError, match="N x 1 x 28 x 28"):
        make().to(device).encode(torch.rand(4, 784, device=device))


@pytest.mark.parametrize("make", VAES + [lambda: CVAE(latent_dim=4, width=8, hidden=64), lambda: CVAE(latent_dim=4, width=8, hidden=0)],
                         ids=[*VAE_IDS, "cvae", "cvae-no-hidden"])
def test_each_vae_overfits_one_small_batch(device, make):
    torch.manual_seed(0)
    model = make().to(device)
    digits = load("mnist-5k", device=device).train
    x, y = digits.x[:16], digits.y[:16]
    forward = (lambda: model(x, y)) if isinstance(model, CVAE) else (lambda: model(x))
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    losses = []
    for _ in range(200):
        x_hat, mu, logvar = forward()
        loss, _, _ = elbo_loss(x_hat, x, mu, logvar)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 3  # from 784 log 2 ~ 543 nats to a fraction of it


def test_one_hot_accepts_labels_or_soft_labels_and_rejects_bad_ones(device):
    y = torch.tensor([0, 3, 9], device=device)
    assert torch.equal(one_hot(y, 10).argmax(1), y)
    soft = torch.full((2, 10), 0.1, device=device)
    assert one_hot(soft, 10) is soft
    with pytest.raises(CourseInputError, match=r"0\.\.9"):
        one_hot(torch.tensor([10], device=device), 10)
    with pytest.raises(CourseInputError, match="integer"):
        one_hot(torch.tensor([1.0, 2.0], device=device), 10)
    with pytest.raises(CourseInputError, match="N x 10"):
        one_hot(torch.zeros(3, 4, device=device), 10)


def test_the_cvae_decoder_uses_the_label(device):
    torch.manual_seed(0)
    model = CVAE(latent_dim=2, width=8, hidden=32).to(device)
    z = torch.zeros(2, 2, device=device)
    a, b = model.decode(z, torch.tensor([1, 7], device=device))
    assert not torch.allclose(a, b)
    assert model.sample(10).shape == (10, 1, 28, 28)
    assert model.sample(3, labels=torch.tensor([7, 7, 7])).shape == (3, 1, 28, 28)
    with pytest.raises(CourseInputError, match="one label per image"):
        model.encode(torch.rand(3, 1, 28, 28, device=device), torch.tensor([1, 2], device=device))


@pytest.mark.parametrize("make", [lambda h: ConvVAE(latent_dim=4, width=8, hidden=h), lambda h: CVAE(latent_dim=4, width=8, hidden=h)],
                         ids=["vae", "cvae"])
def test_hidden_zero_maps_the_feature_maps_straight_to_the_code(make):
    # width 8: 16 channels of 7 x 7 = 784 features (+ 10 one-hot labels for the CVAE) straight to mu and logvar
    small, large = make(0), make(32)
    features = 16 * 7 * 7 + (10 if isinstance(small, CVAE) else 0)
    assert small.to_mu.in_features == features and large.to_mu.in_features == 32
    assert not [m for m in small.encoder.modules() if isinstance(m, torch.nn.Linear)]
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in large.parameters())
    with pytest.raises(CourseInputError, match="0 for none"):
        make(-1)
