"""GAN networks: shapes and ranges, raw scores (no sigmoid), input checks, and each network fitting a small batch."""
import pytest
import torch

from course_lib.data import load
from course_lib.losses import critic_loss, discriminator_loss, gradient_penalty
from course_lib.models import DCGANCritic, DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from course_lib.input_checks import CourseInputError


def test_dcgan_generator_makes_28x28_images_in_zero_one(device):
    g = DCGANGenerator(latent_dim=16, width=8).to(device)
    x = g(torch.randn(5, 16, device=device))
    assert x.shape == (5, 1, 28, 28) and 0 <= x.min() and x.max() <= 1
    assert g.sample(3).shape == (3, 1, 28, 28)
    with pytest.raises(CourseInputError, match="N x 16"):
        g(torch.randn(5, 8, device=device))


@pytest.mark.parametrize("make", [DCGANDiscriminator, DCGANCritic])
def test_discriminators_return_one_raw_score_per_image(device, make):
    d = make(width=8).to(device)
    with torch.no_grad():
        d.net[-1].bias.fill_(50.0)  # a sigmoid would squash this to 1
    scores = d(torch.rand(6, 1, 28, 28, device=device))
    assert scores.shape == (6,) and (scores > 1).all()
    with pytest.raises(CourseInputError, match=r"expected images in \[0, 1\] shaped N x 1 x 28 x 28"):
        d(torch.randn(6, 1, 28, 28, device=device) * 10)


def test_critic_has_no_batch_norm_so_each_score_depends_on_its_own_image_only(device):
    critic = DCGANCritic(width=8).to(device).train()
    x = torch.rand(4, 1, 28, 28, device=device)
    alone = critic(x[:1])
    in_batch = critic(x)[:1]
    assert torch.allclose(alone, in_batch, atol=1e-5)


def test_toy_networks_shapes(device):
    g, d = MLPGenerator(latent_dim=2, hidden=32).to(device), MLPDiscriminator(hidden=32).to(device)
    points = g.sample(7)
    assert points.shape == (7, 2) and d(points).shape == (7,)
    with pytest.raises(CourseInputError, match="N x 2"):
        d(torch.randn(7, 3, device=device))


@pytest.mark.parametrize("make", [lambda: DCGANDiscriminator(width=4), lambda: MLPDiscriminator(in_dim=784, hidden=64)])
def test_each_discriminator_overfits_one_small_batch(device, make):
    torch.manual_seed(0)
    d = make().to(device)
    real = load("mnist-5k", device=device).train.x[:8]
    fake = torch.rand_like(real)
    if isinstance(d, MLPDiscriminator):
        real, fake = real.flatten(1), fake.flatten(1)
    optimizer = torch.optim.Adam(d.parameters(), lr=1e-3)
    first = discriminator_loss(d(real), d(fake)).item()
    for _ in range(40):
        loss = discriminator_loss(d(real), d(fake))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < first / 10


@pytest.mark.parametrize("make", [lambda: DCGANGenerator(latent_dim=8, width=8), lambda: MLPGenerator(latent_dim=8, hidden=64, out_dim=784)])
def test_each_generator_overfits_one_small_batch(device, make):
    torch.manual_seed(0)
    g = make().to(device)
    target = load("mnist-5k", device=device).train.x[:16]
    z = torch.randn(16, 8, device=device)
    optimizer = torch.optim.Adam(g.parameters(), lr=3e-3)
    losses = []
    for _ in range(200):
        loss = (g(z).view(16, -1) - target.view(16, -1)).pow(2).sum(1).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] / 10


def test_a_critic_trained_with_the_gradient_penalty_separates_real_from_fake(device):
    torch.manual_seed(0)
    critic = DCGANCritic(width=8).to(device)
    real = load("mnist-5k", device=device).train.x[:32]
    fake = torch.rand_like(real)
    optimizer = torch.optim.Adam(critic.parameters(), lr=1e-3, betas=(0.5, 0.9))
    for _ in range(50):
        loss = critic_loss(critic(real), critic(fake)) + gradient_penalty(critic, real, fake)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert critic(real).mean() - critic(fake).mean() > 1.0
