"""train_gan's two steps, and its losses chosen once per variant."""
import pytest
import torch

from course_lib.losses import critic_loss, discriminator_loss, generator_loss, saturating_generator_loss, wasserstein_generator_loss
from course_lib.models import MLPCritic, MLPGenerator
from course_lib.train.adversarial import adversarial_losses, critic_step, generator_step


def test_each_variant_chooses_its_losses_once():
    gan, sat = adversarial_losses("gan"), adversarial_losses("gan", saturating=True)
    wgan, gp = adversarial_losses("wgan", clip=0.05), adversarial_losses("wgan_gp")
    assert (gan.critic, gan.generator, gan.penalty, gan.clip) == (discriminator_loss, generator_loss, None, None)
    assert sat.generator is saturating_generator_loss
    assert (wgan.critic, wgan.generator, wgan.clip, wgan.penalty) == (critic_loss, wasserstein_generator_loss, 0.05, None)
    assert gp.penalty is not None and gp.clip is None and gp.wasserstein
    with pytest.raises(ValueError, match="mode"):
        adversarial_losses("lsgan")


def _pair(seed=0):
    torch.manual_seed(seed)
    return MLPGenerator(latent_dim=2, hidden=16), MLPCritic(hidden=16)


def test_the_critic_step_updates_only_the_critic_and_clips_for_a_wgan():
    G, D = _pair()
    g_before = [p.clone() for p in G.parameters()]
    d_before = [p.clone() for p in D.parameters()]
    opt = torch.optim.SGD(D.parameters(), lr=0.1)
    metrics = critic_step(D, G, torch.randn(32, 2), torch.randn(32, 2), opt, adversarial_losses("wgan", clip=0.01))
    assert all(torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    assert any(not torch.equal(a, b) for a, b in zip(d_before, D.parameters()))
    assert max(float(p.detach().abs().max()) for p in D.parameters()) <= 0.01 + 1e-8
    assert set(metrics) == {"loss", "d_loss", "wasserstein"}


def test_the_gradient_penalty_is_added_and_reported():
    G, D = _pair()
    metrics = critic_step(D, G, torch.randn(32, 2), torch.randn(32, 2), torch.optim.SGD(D.parameters(), lr=0.0),
                          adversarial_losses("wgan_gp", gp_weight=10.0))
    assert torch.allclose(metrics["loss"], metrics["d_loss"] + metrics["gp"]) and float(metrics["gp"]) >= 0


def test_the_generator_step_moves_the_generator_through_a_frozen_critic():
    G, D = _pair()
    d_before = [p.clone() for p in D.parameters()]
    g_before = [p.clone() for p in G.parameters()]
    loss = generator_step(D, G, torch.randn(32, 2), torch.optim.SGD(G.parameters(), lr=0.1), adversarial_losses("gan"))
    assert not loss.requires_grad
    assert all(torch.equal(a, b) for a, b in zip(d_before, D.parameters())) and all(p.grad is None for p in D.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(g_before, G.parameters()))
    assert all(p.requires_grad for p in D.parameters()), "the critic can learn again after the generator step"
