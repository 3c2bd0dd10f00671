"""Autoencoders: shapes, ranges, input checks, denoising behaviour, and overfitting one small batch."""
import pytest
import torch

from course_lib.data import load
from course_lib.losses import mse_loss
from course_lib.models import ConvAutoencoder, DenoisingAutoencoder, MLPAutoencoder, corrupt
from course_lib.input_checks import CourseInputError

def digits(n: int, device: torch.device) -> torch.Tensor:
    """The first n MNIST-5k training digits (real images: structure an autoencoder can compress)."""
    return load("mnist-5k", device=device).train.x[:n]


MODELS = [lambda k: MLPAutoencoder(k, hidden=(64,)), lambda k: ConvAutoencoder(k, width=8, hidden=64), lambda k: ConvAutoencoder(k, width=8, hidden=0)]


@pytest.mark.parametrize("make", MODELS, ids=["mlp", "conv", "conv-no-hidden"])
@pytest.mark.parametrize("latent_dim", [2, 32])
def test_codes_have_the_requested_size_and_reconstructions_the_image_shape(device, make, latent_dim):
    model = make(latent_dim).to(device)
    x = torch.rand(5, 1, 28, 28, device=device)
    z = model.encode(x)
    assert z.shape == (5, latent_dim)
    x_hat = model.decode(z)
    assert x_hat.shape == x.shape and x_hat.device == x.device
    assert 0 <= x_hat.min() and x_hat.max() <= 1


@pytest.mark.parametrize("make", MODELS, ids=["mlp", "conv", "conv-no-hidden"])
def test_autoencoders_reject_raw_uint8_digits_with_a_clear_message(device, make):
    model = make(8).to(device)
    raw = torch.randint(0, 256, (4, 28, 28), dtype=torch.uint8, device=device)
    with pytest.raises(CourseInputError, match=r"expected images in \[0, 1\] shaped N x 1 x 28 x 28, got uint8 N x 28 x 28"):
        model(raw)
    with pytest.raises(CourseInputError, match="N x 8"):
        model.decode(torch.zeros(4, 3, device=device))


@pytest.mark.parametrize("make", MODELS, ids=["mlp", "conv", "conv-no-hidden"])
def test_each_autoencoder_overfits_one_small_batch(device, make):
    torch.manual_seed(0)
    model = make(16).to(device)
    x = digits(16, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    first = mse_loss(model(x), x).item()
    for _ in range(200):
        loss = mse_loss(model(x), x)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first / 10


def test_corrupt_adds_noise_and_stays_in_zero_one(device):
    x = torch.rand(64, 1, 28, 28, device=device)
    noisy = corrupt(x, 0.5)
    assert noisy.shape == x.shape and 0 <= noisy.min() and noisy.max() <= 1
    assert (noisy - x).abs().mean() > 0.1


def test_denoising_autoencoder_corrupts_only_in_training_mode(device):
    dae = DenoisingAutoencoder(MLPAutoencoder(4, hidden=(32,)), noise_std=0.5).to(device)
    x = torch.rand(8, 1, 28, 28, device=device)
    dae.eval()
    assert torch.equal(dae(x), dae.autoencoder(x))
    dae.train()
    assert not torch.allclose(dae(x), dae.autoencoder(x))
    assert dae.encode(x).shape == (8, 4)
