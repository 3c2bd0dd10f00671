"""Training helpers for the autoencoder family: autoencoder, VAE, CVAE, all on the shared engine.

Each helper takes the model, the training split and explicit settings (epochs, batch size, learning rate, ...),
trains in place and returns the engine's :class:`History`: ``train_loss`` per epoch, and ``test_*`` when a
test split is given. The recommended settings per profile live in :mod:`course_lib.train.settings`::

    history = train_vae(model, data.train, test=data.test, **settings("vae"))
"""
from __future__ import annotations

import torch
import torch.nn as nn

from ..data import Batches
from ..data.types import Split
from ..losses import bce_loss, elbo_loss, mse_loss
from ..input_checks import CourseInputError, check_images
from .steps import as_split, check_on_device, check_positive, fit_model, gradient_step, in_eval_mode, make_optimizer, seeded_generator
from .engine import History, evaluate_in_batches

RECONSTRUCTION = {"mse": mse_loss, "bce": bce_loss}


def _prepare(model: nn.Module, train: Split | torch.Tensor, test: Split | torch.Tensor | None, labels: bool) -> tuple[Split, Split | None]:
    train_split = check_on_device(as_split(train, "train", targets=labels), model, "train")
    test_split = None if test is None else check_on_device(as_split(test, "test", targets=labels), model, "test")
    for split, name in ((train_split, "train"), (test_split, "test")):
        if split is not None:
            check_images(split.x, f"{name}.x", shape=getattr(model, "image_shape", (1, 28, 28)))  # once, up front
    return train_split, test_split


def train_autoencoder(
    model: nn.Module,
    train: Split | torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    loss: str = "mse",
    test: Split | torch.Tensor | None = None,
    schedule: str | None = "onecycle",
    weight_decay: float = 0.0,
    seed: int | None = None,
    desc: str = "autoencoder",
) -> History:
    """Minimise the reconstruction loss (``"mse"`` or ``"bce"``, summed over pixels, averaged over images).

    Works for any model mapping images to reconstructions, a :class:`DenoisingAutoencoder` included (it corrupts
    its input in training mode). History: ``train_loss``; with ``test``: ``test_loss`` and ``test_mse`` (per pixel).
    """
    if loss not in RECONSTRUCTION:
        raise CourseInputError(f"loss: expected 'mse' or 'bce', got {loss!r}.")
    check_positive(epochs=epochs, batch_size=batch_size, lr=lr)
    recon = RECONSTRUCTION[loss]
    train, test = _prepare(model, train, test, labels=False)
    g = seeded_generator(seed)
    batches = Batches(train.x, batch_size=batch_size, generator=g)
    optimizer, scheduler = make_optimizer(model.parameters(), lr, epochs * len(batches), schedule, weight_decay=weight_decay)

    def step(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        (x,) = batch
        value = recon(model(x), x)
        gradient_step(value, optimizer, scheduler)
        return {"loss": value.detach()}

    def metrics(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        (x,) = batch
        x_hat = model(x)
        return {"loss": recon(x_hat, x), "mse": (x_hat - x).pow(2).mean()}

    evaluate = in_eval_mode(model, lambda: evaluate_in_batches(metrics, Batches(test.x, batch_size=500, shuffle=False)))
    return fit_model(model, step, batches, epochs, evaluate=evaluate if test is not None else None, desc=desc)


def _train_elbo(model: nn.Module, train: Split, test: Split | None, conditional: bool, *, epochs: int, batch_size: int, lr: float,
                beta: float, reconstruction: str, schedule: str | None, seed: int | None, desc: str) -> History:
    check_positive(epochs=epochs, batch_size=batch_size, lr=lr)
    train, test = _prepare(model, train, test, labels=conditional)
    g = seeded_generator(seed)
    batches = Batches(train.x, train.y, batch_size=batch_size, generator=g)
    optimizer, scheduler = make_optimizer(model.parameters(), lr, epochs * len(batches), schedule)

    def losses(x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        x_hat, mu, logvar = model(x, y) if conditional else model(x)
        loss, recon, kl = elbo_loss(x_hat, x, mu, logvar, beta=beta, reconstruction=reconstruction)
        return {"loss": loss, "recon": recon, "kl": kl}

    def step(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        out = losses(*batch)
        gradient_step(out["loss"], optimizer, scheduler)
        return {k: v.detach() for k, v in out.items()}

    # in eval mode the loss is still stochastic (one z per image): an unbiased estimate of the negative ELBO
    evaluate = in_eval_mode(model, lambda: evaluate_in_batches(lambda b: losses(*b), Batches(test.x, test.y, batch_size=500, shuffle=False)))
    return fit_model(model, step, batches, epochs, evaluate=evaluate if test is not None else None, desc=desc)


def train_vae(
    model: nn.Module,
    train: Split | torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    beta: float = 1.0,
    reconstruction: str = "bce",
    test: Split | torch.Tensor | None = None,
    schedule: str | None = "onecycle",
    seed: int | None = None,
    desc: str = "VAE",
) -> History:
    """Minimise the negative beta-ELBO, recon + beta * KL. History: ``train_loss``, ``train_recon``, ``train_kl`` (and test_*)."""
    return _train_elbo(model, train, test, False, epochs=epochs, batch_size=batch_size, lr=lr, beta=beta,
                       reconstruction=reconstruction, schedule=schedule, seed=seed, desc=desc)


def train_cvae(
    model: nn.Module,
    train: Split,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    beta: float = 1.0,
    reconstruction: str = "bce",
    test: Split | None = None,
    schedule: str | None = "onecycle",
    seed: int | None = None,
    desc: str = "CVAE",
) -> History:
    """Like :func:`train_vae`, with the labels ``train.y`` passed to the encoder and the decoder."""
    return _train_elbo(model, train, test, True, epochs=epochs, batch_size=batch_size, lr=lr, beta=beta,
                       reconstruction=reconstruction, schedule=schedule, seed=seed, desc=desc)
