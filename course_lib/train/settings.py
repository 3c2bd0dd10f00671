"""Recommended settings per model and profile, shared by the notebooks, ``pretrained`` and the benchmark.

``quick`` trains in seconds on a CPU (CI, a first look); ``full`` gives the course's results (see
``benchmarks/quality.py``: minutes on a laptop CPU, seconds on a GPU). Each entry has three parts:

    SETTINGS[name][profile] = {"model": constructor kwargs, "data": dataset options, "train": helper kwargs}

so a notebook writes ``train_vae(ConvVAE(**model_settings("vae")), data.train, test=data.test, **settings("vae"))``.
"""
from __future__ import annotations

import copy
from typing import Any

from ..config import get_profile

# Toy runs (ring8, grid25): 128-unit MLPs and a learning rate decayed linearly to 0 reach on ring8 what the papers'
# 512-unit networks reach in many more steps, in one to two minutes of CPU per run (measured with benchmarks/quality.py).
# Chapter 05 keeps 20 snapshots of 1,000 points along each toy run (the settings themselves are the ``ring8_*`` and
# ``grid25_*`` entries below): ``pretrained("ring8_gan", **TOY_SNAPSHOTS)``.
TOY_SNAPSHOTS = {"n_snapshots": 20, "snapshot_size": 1000}
_TOY_GAN = {"mode": "gan", "batch_size": 256, "lr": 2e-3, "betas": (0.5, 0.9), "n_critic": 1, "schedule": "linear"}
_TOY_WGAN = {"mode": "wgan", "batch_size": 256, "lr": 5e-4, "optimizer": "rmsprop", "n_critic": 5, "clip": 0.05, "schedule": "linear"}
_TOY_WGAN_GP = {"mode": "wgan_gp", "batch_size": 256, "lr": 2e-3, "betas": (0.5, 0.9), "n_critic": 2, "gp_weight": 0.1, "schedule": "linear"}
_TOY_MODEL = {"full": {"latent_dim": 2, "hidden": 128, "depth": 3}, "quick": {"latent_dim": 2, "hidden": 64, "depth": 3}}
# Equal budgets within each set: GAN, WGAN and WGAN-GP get the same generator steps (quick, full), so that chapter 05's
# verdict on which one collapses compares the objectives, not the training time. grid25 needs more than ring8: 25 modes
# spread over [-4, 4]^2 (WGAN-GP covers 19/25 modes after 3,000 steps, still rising).
_TOY_STEPS = {"ring8": (100, 2000), "grid25": (100, 6000)}
_TOY_MODES = {"gan": _TOY_GAN, "wgan": _TOY_WGAN, "wgan_gp": _TOY_WGAN_GP}
# per set and mode, what differs from the mode's settings above: on grid25 WGAN-GP takes 5 critic steps of batch 128
_TOY_CHANGES = {("grid25", "wgan_gp"): {"batch_size": 128, "n_critic": 5}}

# The convolutional autoencoders, VAE and CVAE map their 7 x 7 feature maps straight to the code and back (hidden = 0,
# no fully connected layer of 256 between): 0.17-0.27 M parameters instead of 1.7 M, the size of the DCGAN's generator,
# so that chapter 07 compares networks of one size. Measured in full on 2 CPU cores against hidden = 256: VAE test
# -ELBO 113.5 vs 113.1 nats, conv AE test error 7.7 vs 10.9 per image, CVAE samples of the requested class 92-96 % vs
# 93-97 % (three seeds each), half the training time (VAE 12 s vs 23 s).
SETTINGS: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
    "autoencoder": {
        "quick": {"model": {"latent_dim": 32, "width": 16, "hidden": 0}, "data": {},
                  "train": {"epochs": 2, "batch_size": 128, "lr": 3e-3, "loss": "mse"}},
        "full": {"model": {"latent_dim": 32, "width": 32, "hidden": 0}, "data": {},
                 "train": {"epochs": 12, "batch_size": 64, "lr": 2e-3, "loss": "mse"}},
    },
    # chapter 07's autoencoder: the VAE's code size (16), network and training budget, so that the comparison of the
    # two differs in the objective only (squared error vs the ELBO)
    "autoencoder_16": {
        "quick": {"model": {"latent_dim": 16, "width": 16, "hidden": 0}, "data": {},
                  "train": {"epochs": 2, "batch_size": 128, "lr": 3e-3, "loss": "mse"}},
        "full": {"model": {"latent_dim": 16, "width": 32, "hidden": 0}, "data": {},
                 "train": {"epochs": 10, "batch_size": 32, "lr": 2e-3, "loss": "mse"}},
    },
    "mlp_autoencoder": {
        "quick": {"model": {"latent_dim": 32, "hidden": (256,)}, "data": {},
                  "train": {"epochs": 2, "batch_size": 128, "lr": 3e-3, "loss": "mse"}},
        "full": {"model": {"latent_dim": 32, "hidden": (512, 256)}, "data": {},
                 "train": {"epochs": 15, "batch_size": 64, "lr": 2e-3, "loss": "mse"}},
    },
    "denoising_autoencoder": {
        "quick": {"model": {"latent_dim": 32, "width": 16, "hidden": 0, "noise_std": 0.5}, "data": {},
                  "train": {"epochs": 2, "batch_size": 128, "lr": 3e-3, "loss": "mse"}},
        "full": {"model": {"latent_dim": 32, "width": 32, "hidden": 0, "noise_std": 0.5}, "data": {},
                 "train": {"epochs": 15, "batch_size": 64, "lr": 2e-3, "loss": "mse"}},
    },
    "vae": {
        "quick": {"model": {"latent_dim": 16, "width": 16, "hidden": 0}, "data": {},
                  "train": {"epochs": 2, "batch_size": 128, "lr": 3e-3}},
        "full": {"model": {"latent_dim": 16, "width": 32, "hidden": 0}, "data": {},
                 "train": {"epochs": 10, "batch_size": 32, "lr": 2e-3}},
    },
    "mlp_vae": {  # the paper's MNIST VAE with the settings of pytorch/examples: the baseline of the benchmark
        "quick": {"model": {"latent_dim": 20, "hidden": 400}, "data": {},
                  "train": {"epochs": 2, "batch_size": 128, "lr": 1e-3, "schedule": None}},
        "full": {"model": {"latent_dim": 20, "hidden": 400}, "data": {},
                 "train": {"epochs": 10, "batch_size": 128, "lr": 1e-3, "schedule": None}},
    },
    "cvae": {  # beta = 4 keeps q(z|x, y) close to the prior, so z ~ N(0, I) decodes to the requested class (93 % vs 50 % at beta = 1)
        "quick": {"model": {"latent_dim": 8, "width": 16, "hidden": 0}, "data": {},
                  "train": {"epochs": 2, "batch_size": 128, "lr": 3e-3, "beta": 4.0}},
        "full": {"model": {"latent_dim": 8, "width": 32, "hidden": 0}, "data": {},
                 "train": {"epochs": 10, "batch_size": 32, "lr": 2e-3, "beta": 4.0}},
    },
    "unet_shapes": {
        "quick": {"model": {"depth": 3, "base_width": 8}, "data": {"n_train": 160, "n_test": 100},
                  "train": {"epochs": 3, "batch_size": 16, "lr": 1e-2, "loss": "ce+dice"}},
        "full": {"model": {"depth": 3, "base_width": 8}, "data": {"n_train": 2000, "n_test": 500},
                 "train": {"epochs": 5, "batch_size": 16, "lr": 5e-3, "loss": "ce+dice"}},
    },
    "unet_digit_scenes": {
        "quick": {"model": {"depth": 3, "base_width": 8}, "data": {"n_train": 160, "n_test": 100},
                  "train": {"epochs": 3, "batch_size": 16, "lr": 1e-2, "loss": "ce+dice"}},
        "full": {"model": {"depth": 3, "base_width": 8}, "data": {"n_train": 2000, "n_test": 500},
                 "train": {"epochs": 10, "batch_size": 16, "lr": 5e-3, "loss": "ce+dice"}},
    },
    "dcgan": {
        "quick": {"model": {"latent_dim": 64, "width": 16}, "data": {},
                  "train": {"mode": "gan", "steps": 100, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "log_every": 10}},
        "full": {"model": {"latent_dim": 64, "width": 32}, "data": {},
                 "train": {"mode": "gan", "steps": 1000, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "log_every": 50}},
    },
    "wgan_gp": {  # as many generator steps as the DCGAN (1,000 in full), each after n_critic = 3 critic steps
        "quick": {"model": {"latent_dim": 64, "width": 16}, "data": {},
                  "train": {"mode": "wgan_gp", "steps": 50, "batch_size": 64, "lr": 1e-4, "betas": (0.5, 0.9), "n_critic": 5,
                            "gp_weight": 10.0, "log_every": 10}},
        "full": {"model": {"latent_dim": 64, "width": 32}, "data": {},
                 "train": {"mode": "wgan_gp", "steps": 1000, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.9), "n_critic": 3,
                           "gp_weight": 10.0, "log_every": 50}},
    },
    # chapter 06's denoising diffusion model: the time-conditioned U-Net, told the class (dropped 10 % of the time, for
    # classifier-free guidance), T = 1,000 steps of the cosine schedule
    "ddpm": {
        "quick": {"model": {"base_width": 8, "depth": 2, "n_classes": 10, "T": 100, "schedule": "cosine"}, "data": {},
                  "train": {"epochs": 1, "batch_size": 128, "lr": 2e-3, "p_uncond": 0.1}},
        "full": {"model": {"base_width": 16, "depth": 2, "n_classes": 10, "T": 1000, "schedule": "cosine"}, "data": {},
                 "train": {"epochs": 25, "batch_size": 64, "lr": 2e-3, "p_uncond": 0.1}},
    },
    # ring8_gan, ring8_wgan, ring8_wgan_gp, grid25_gan, grid25_wgan, grid25_wgan_gp
    **{f"{toy}_{mode}": {p: {"model": _TOY_MODEL[p], "data": {},
                             "train": {**base, **_TOY_CHANGES.get((toy, mode), {}), "steps": s, "log_every": s // 20}}
                         for p, s in zip(("quick", "full"), _TOY_STEPS[toy])}
       for toy in _TOY_STEPS for mode, base in _TOY_MODES.items()},
}


def _entry(name: str, profile: str | None) -> dict[str, dict[str, Any]]:
    if name not in SETTINGS:
        raise KeyError(f"no settings named {name!r}; choose one of {', '.join(SETTINGS)}.")
    return copy.deepcopy(SETTINGS[name][get_profile(profile)])


def settings(name: str, profile: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Training keyword arguments for ``name`` under ``profile`` (default: the active one), with ``overrides`` applied."""
    return {**_entry(name, profile)["train"], **overrides}


def model_settings(name: str, profile: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Constructor keyword arguments of the model for ``name`` under ``profile``."""
    return {**_entry(name, profile)["model"], **overrides}


def data_settings(name: str, profile: str | None = None, **overrides: Any) -> dict[str, Any]:
    """Dataset options (``load(dataset, **data_settings(name))``) for ``name`` under ``profile``."""
    return {**_entry(name, profile)["data"], **overrides}
