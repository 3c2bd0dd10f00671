"""What each model of the comparison was given: its code size and its training budget, read from how it was made.

A comparison is fair when the models differ only in what is being compared, or when the table says how else
they differ. The budget of a model trained by ``pretrained`` is in its ``training_record``:

=================  =============================================================================================
``code_size``      the size of the latent code (a CVAE's decoder is told the label besides)
``parameters``     the weights of the model that is measured: encoder and decoder of an autoencoder or VAE, the
                   generator of a GAN (its critic, used in training only, not counted), the U-Net of a diffusion model
``steps``          gradient steps of the model (for a GAN: of the generator); epochs x ceil(N / batch) for the
                   autoencoders and VAEs, which see every training image once per epoch
``critic_steps``   a GAN's discriminator or critic steps: steps x n_critic (each on a fresh real batch)
``images_seen``    real training images used by those steps: epochs x N, or critic steps x batch size
``train_seconds``  wall time of the training
=================  =============================================================================================
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import torch.nn as nn


def training_budget(spec: Mapping[str, Any], n_train: int) -> dict[str, float]:
    """Steps, critic steps and images seen of a training described by a ``pretrained`` spec (``spec["train"]``)
    on ``n_train`` training images; see the module docstring."""
    train = spec.get("train", {})
    if "steps" in train:  # a GAN: generator steps, each after n_critic critic steps on fresh real batches
        critic_steps = train["steps"] * train.get("n_critic", 1)
        return {"steps": train["steps"], "critic_steps": critic_steps, "images_seen": critic_steps * train["batch_size"]}
    epochs, batch_size = train["epochs"], train["batch_size"]
    return {"steps": epochs * math.ceil(n_train / batch_size), "images_seen": epochs * n_train}


def model_budget(model: nn.Module, n_train: int) -> dict[str, float]:
    """The code size and the number of parameters of ``model`` and, when it comes from ``pretrained`` (it has a ``training_record``), its
    training budget and time; an empty dict for a model without either."""
    out: dict[str, float] = {}
    if isinstance(getattr(model, "latent_dim", None), int):
        out["code_size"] = model.latent_dim
    out["parameters"] = float(sum(p.numel() for p in model.parameters()))
    record = getattr(model, "training_record", None)
    if record is not None:
        out.update(training_budget(record.spec, n_train))
        out["train_seconds"] = float(record.seconds)
    return out


__all__ = ["model_budget", "training_budget"]
