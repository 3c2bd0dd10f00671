"""Training helpers: they train (the loss falls), record what they promise, check inputs, and cache pretrained models."""
import inspect

import pytest
import torch

from course_lib.data import Split, load, make_shapes, sample_mixture
from course_lib.models import CVAE, MLPAutoencoder, MLPDiscriminator, MLPGenerator, MLPVAE, UNet
from course_lib.train import (
    SETTINGS,
    list_pretrained,
    model_settings,
    pretrained,
    settings,
    train_autoencoder,
    train_cvae,
    train_gan,
    train_unet,
    train_vae,
)
from course_lib.train.pretrained import RECIPES
from course_lib.input_checks import CourseInputError


@pytest.fixture
def digits(device):
    data = load("mnist-5k", device=device)
    return Split(data.train.x[:256], data.train.y[:256]), Split(data.test.x[:100], data.test.y[:100])


def test_train_autoencoder_lowers_the_loss_and_records_train_and_test(device, digits):
    train, test = digits
    model = MLPAutoencoder(8, hidden=(64,)).to(device)
    history = train_autoencoder(model, train, test=test, epochs=3, batch_size=32, lr=3e-3, seed=0)
    assert len(history["train_loss"]) == 3 and history["train_loss"][-1] < history["train_loss"][0]
    assert {"test_loss", "test_mse"} <= set(history.keys())
    assert history.last("test_mse") == pytest.approx(history.last("test_loss") / 784, rel=0.05)
    assert not model.training


def test_train_autoencoder_is_repeatable_with_a_seed(device, digits):
    train, _ = digits
    losses = []
    for _ in range(2):
        torch.manual_seed(1)
        model = MLPAutoencoder(4, hidden=(32,)).to(device)
        losses.append(train_autoencoder(model, train, epochs=1, batch_size=64, lr=1e-3, seed=3)["train_loss"])
    assert losses[0] == pytest.approx(losses[1], rel=1e-5)


def test_training_helpers_reject_bad_inputs_with_a_clear_message(device, digits):
    train, _ = digits
    model = MLPAutoencoder(4, hidden=(32,)).to(device)
    with pytest.raises(CourseInputError, match=r"expected images in \[0, 1\]"):
        train_autoencoder(model, Split(train.x * 255, train.y), epochs=1, batch_size=32, lr=1e-3)
    with pytest.raises(CourseInputError, match="'mse' or 'bce'"):
        train_autoencoder(model, train, epochs=1, batch_size=32, lr=1e-3, loss="l1")
    with pytest.raises(CourseInputError, match="positive"):
        train_vae(MLPVAE(2, 16).to(device), train, epochs=1, batch_size=0, lr=1e-3)
    with pytest.raises(CourseInputError, match="Split"):
        train_cvae(CVAE(2, width=4, hidden=16).to(device), train.x, epochs=1, batch_size=32, lr=1e-3)


def test_train_vae_and_cvae_record_reconstruction_and_kl(device, digits):
    train, test = digits
    for model, helper in ((MLPVAE(4, 64), train_vae), (CVAE(4, width=4, hidden=32), train_cvae)):
        history = helper(model.to(device), train, test=test, epochs=2, batch_size=32, lr=3e-3, seed=0)
        assert {"train_loss", "train_recon", "train_kl", "test_loss", "test_recon", "test_kl"} <= set(history.keys())
        assert history["train_loss"][-1] < history["train_loss"][0]
        assert history.last("train_loss") == pytest.approx(history.last("train_recon") + history.last("train_kl"), rel=1e-4)


def test_train_unet_segments_and_reports_miou(device):
    data = make_shapes(48, size=32, seed=0).to(device)
    train, test = Split(data.x[:32], data.y[:32]), Split(data.x[32:], data.y[32:])
    model = UNet(n_classes=4, depth=2, base_width=8).to(device)
    history = train_unet(model, train, test=test, epochs=3, batch_size=8, lr=1e-2, seed=0)
    assert history["train_loss"][-1] < history["train_loss"][0]
    assert 0 <= history.last("test_miou") <= 1
    with pytest.raises(CourseInputError, match=r"0\.\.2"):
        train_unet(UNet(n_classes=3, depth=2, base_width=4).to(device), train, epochs=1, batch_size=8, lr=1e-3)


def test_train_unet_as_an_image_to_image_model(device):
    x = make_shapes(16, size=16, seed=1).x.to(device)
    model = UNet(n_classes=1, depth=2, base_width=4, sigmoid=True).to(device)
    history = train_unet(model, Split(x, x), test=Split(x, x), epochs=2, batch_size=8, lr=1e-2, loss="bce", seed=0)
    assert "test_mse" in history.keys()


@pytest.mark.parametrize("mode", ["gan", "wgan", "wgan_gp"])
def test_train_gan_runs_n_critic_steps_and_keeps_snapshots(device, mode):
    data = sample_mixture("ring8", 2000, torch.Generator().manual_seed(0)).to(device)
    generator, critic = MLPGenerator(2, 32).to(device), MLPDiscriminator(2, 32).to(device)
    run = train_gan(generator, critic, data, mode=mode, steps=40, batch_size=64, lr=1e-3, n_critic=2,
                    log_every=10, n_snapshots=2, snapshot_size=50, seed=0)
    assert len(run.history["train_d_loss"]) == len(run.history["train_g_loss"]) == 4 and run.steps == [10, 20, 30, 40]
    assert [s for s, _ in run.snapshots] == [0, 20, 40] and run.snapshots[-1][1].shape == (50, 2)
    assert set(run.curves()) == {"D loss", "G loss"} and run.seconds > 0
    if mode == "wgan":
        assert all(p.abs().max() <= 0.01 for p in critic.parameters())
    if mode == "wgan_gp":
        assert "train_gp" in run.history.keys() and "train_wasserstein" in run.history.keys()
    assert all(p.requires_grad for p in critic.parameters())


def test_train_gan_rejects_an_unknown_mode(device):
    g, d = MLPGenerator(2, 8).to(device), MLPDiscriminator(2, 8).to(device)
    with pytest.raises(CourseInputError, match="mode"):
        train_gan(g, d, torch.randn(512, 2, device=device), mode="lsgan", steps=1, batch_size=8, lr=1e-3)


def test_settings_are_copies_for_the_requested_profile():
    quick, full = settings("vae", "quick"), settings("vae", "full")
    assert quick["epochs"] < full["epochs"]
    quick["epochs"] = 1000
    assert settings("vae", "quick")["epochs"] != 1000
    assert settings("vae", "quick", lr=0.5)["lr"] == 0.5


@pytest.mark.parametrize("name", sorted(RECIPES))
@pytest.mark.parametrize("profile", ["quick", "full"])
def test_every_recipe_builds_its_model_and_its_trainer_accepts_its_settings(name, profile):
    recipe = RECIPES[name]
    entry = SETTINGS[recipe.settings][profile]
    recipe.build(**entry["model"])
    inspect.signature(recipe.train).bind_partial(**entry["train"])
    assert set(entry["data"]) <= {"n_train", "n_test", "size"}


def test_pretrained_trains_once_then_reloads_and_keys_on_the_settings(device):
    tiny = {"hidden": 16, "latent_dim": 2, "epochs": 1}
    first = pretrained("mlp_vae", "quick", device=device, **tiny)
    assert not first.training_record.cached and first.training_record.seconds > 0
    assert "test_loss" in first.training_record.history.keys()
    again = pretrained("mlp_vae", "quick", device=device, **tiny)
    assert again.training_record.cached and again.training_record.key == first.training_record.key
    x = torch.rand(3, 1, 28, 28, device=device)
    assert torch.equal(again.encode(x)[0], first.encode(x)[0])
    other = pretrained("mlp_vae", "quick", device=device, **{**tiny, "hidden": 8})
    assert other.training_record.key != first.training_record.key
    assert "vae" in list_pretrained()


def test_pretrained_gan_returns_the_generator_with_critic_and_snapshots(device):
    generator = pretrained("ring8_wgan_gp", "quick", device=device, hidden=16, steps=20, log_every=5)
    record = generator.training_record
    assert isinstance(generator, MLPGenerator) and isinstance(record.critic, MLPDiscriminator)
    assert record.snapshots[0][0] == 0 and record.snapshots[-1][0] == 20
    assert pretrained("ring8_wgan_gp", "quick", device=device, hidden=16, steps=20, log_every=5).training_record.cached
