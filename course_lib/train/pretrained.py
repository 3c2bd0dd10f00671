"""Train a model once, reload it afterwards: ``pretrained("vae")`` is the VAE of notebook 02, ready in notebook 07.

The checkpoint is keyed by everything that decides the weights (recipe name, profile, model, data and training
settings, seed), so changing a setting trains a new model instead of silently reusing an old one::

    vae = pretrained("vae")                          # course ConvVAE, active profile, seed 0
    ae2 = pretrained("autoencoder", latent_dim=2)     # overrides go to the model, the data or the trainer
    vae.training_record.seconds, vae.training_record.history["test_loss"]

With ``COURSE_MODELS=shipped`` a model the course ships trained (:mod:`course_lib.train.shipped`) is loaded
from its half-precision file instead of being trained; ``model.training_record.describe()`` says which happened.

Recipes: see :data:`RECIPES` (``list_pretrained()``).
"""
from __future__ import annotations

import hashlib
import inspect
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import torch
import torch.nn as nn

from ..config import get_profile, models_source
from ..utils import resolve_device
from ..data import load
from ..models import CVAE, ConvAutoencoder, ConvVAE, DCGANCritic, DCGANDiscriminator, DCGANGenerator, DenoisingAutoencoder
from ..models import MLPAutoencoder, MLPDiscriminator, MLPGenerator, MLPVAE, UNet
from ..diffusion.model import DiffusionModel
from .adversarial import train_gan
from .diffusion import train_diffusion
from .checkpoint import load_checkpoint, save_checkpoint
from .engine import History
from .generative import train_autoencoder, train_cvae, train_vae
from .segmentation import train_unet
from .settings import SETTINGS
from .shipped import load_shipped

VERSION = 1  # bump to invalidate every cached model after a change of architecture or training code
DATA_OPTIONS = ("n_train", "n_test", "size")


@dataclass(frozen=True)
class Recipe:
    settings: str  # key of SETTINGS
    dataset: str
    build: Callable[..., nn.Module | tuple[nn.Module, nn.Module]]  # model kwargs -> model, or (generator, critic)
    train: Callable[..., Any]
    cpu_threads: int | None = None  # train on this many CPU threads (None: torch's own); part of the checkpoint key


def _denoising(noise_std: float = 0.5, **kw: Any) -> nn.Module:
    return DenoisingAutoencoder(ConvAutoencoder(**kw), noise_std)


def _gan(critic: type[nn.Module]) -> Callable[..., tuple[nn.Module, nn.Module]]:
    return lambda latent_dim=64, width=32: (DCGANGenerator(latent_dim, width), critic(width=width))


def _toy(latent_dim: int = 2, hidden: int = 512, depth: int = 3) -> tuple[nn.Module, nn.Module]:
    return MLPGenerator(latent_dim, hidden, depth), MLPDiscriminator(2, hidden, depth)


RECIPES: dict[str, Recipe] = {
    "autoencoder": Recipe("autoencoder", "mnist-5k", ConvAutoencoder, train_autoencoder),
    "autoencoder_16": Recipe("autoencoder_16", "mnist-5k", ConvAutoencoder, train_autoencoder),
    "mlp_autoencoder": Recipe("mlp_autoencoder", "mnist-5k", MLPAutoencoder, train_autoencoder),
    "denoising_autoencoder": Recipe("denoising_autoencoder", "mnist-5k", _denoising, train_autoencoder),
    "vae": Recipe("vae", "mnist-5k", ConvVAE, train_vae),
    "mlp_vae": Recipe("mlp_vae", "mnist-5k", MLPVAE, train_vae),
    "cvae": Recipe("cvae", "mnist-5k", CVAE, train_cvae),
    "unet_shapes": Recipe("unet_shapes", "shapes", lambda **kw: UNet(1, 4, **kw), train_unet),
    "unet_shapes_noskip": Recipe("unet_shapes", "shapes", lambda **kw: UNet(1, 4, skips=False, **kw), train_unet),
    "unet_digit_scenes": Recipe("unet_digit_scenes", "digit-scenes", lambda **kw: UNet(1, 11, **kw), train_unet),
    "dcgan": Recipe("dcgan", "mnist-5k", _gan(DCGANDiscriminator), train_gan),
    "wgan_gp": Recipe("wgan_gp", "mnist-5k", _gan(DCGANCritic), train_gan),
    "ddpm": Recipe("ddpm", "mnist-5k", DiffusionModel, train_diffusion),
    # the toy runs gain nothing from a second thread (small MLPs, ~15 ms a step either way): one thread each, so
    # they train side by side (pretrained_many) with the same weights as one after another
    **{f"{toy}_{mode}": Recipe(f"{toy}_{mode}", toy, _toy, train_gan, cpu_threads=1)
       for toy in ("ring8", "grid25") for mode in ("gan", "wgan", "wgan_gp")},
}


@dataclass
class TrainingRecord:
    """How a pretrained model was made: its checkpoint key, the settings, the wall time and the learning curves."""

    name: str
    key: str
    spec: dict[str, Any]
    seconds: float
    history: History
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)  # GANs: (generator step, samples)
    critic: nn.Module | None = None  # GANs: the discriminator or critic trained with the generator (None if not shipped)
    source: str = "trained"  # "trained" (just now), "cache" (trained earlier here) or "shipped" (with the course)

    @property
    def cached(self) -> bool:
        """True when the model was not trained just now (loaded from the cache, or shipped)."""
        return self.source != "trained"

    def describe(self) -> str:
        """Where the model comes from, in words: trained just now, loaded from the cache, or shipped with the course."""
        if self.source == "shipped":
            return f"shipped with the course (half precision; trained in {self.seconds:.0f} s when recorded)"
        if self.source == "cache":
            return f"loaded from the cache (trained earlier in {self.seconds:.0f} s)"
        return f"trained in {self.seconds:.0f} s"


def list_pretrained() -> list[str]:
    return sorted(RECIPES)


def _split_overrides(recipe: Recipe, overrides: dict[str, Any], entry: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Send each override to the dataset options, the trainer's keywords, or (otherwise) the model constructor."""
    train_params = inspect.signature(recipe.train).parameters
    parts = {k: dict(v) for k, v in entry.items()}
    for key, value in overrides.items():
        part = "data" if key in DATA_OPTIONS else "train" if key in train_params else "model"
        parts[part][key] = value
    return parts


def _key(name: str, profile: str, spec: dict[str, Any]) -> str:
    digest = hashlib.sha1(json.dumps(spec, sort_keys=True, default=str).encode()).hexdigest()[:12]
    return f"{name}-{profile}-{digest}"


def _spec(name: str, profile: str, seed: int, overrides: dict[str, Any]) -> tuple[Recipe, dict[str, dict[str, Any]], dict[str, Any]]:
    if name not in RECIPES:
        raise KeyError(f"no pretrained recipe {name!r}; choose one of {', '.join(list_pretrained())}.")
    recipe = RECIPES[name]
    parts = _split_overrides(recipe, overrides, SETTINGS[recipe.settings][profile])
    threads = {"cpu_threads": recipe.cpu_threads} if recipe.cpu_threads else {}
    return recipe, parts, {"recipe": name, "dataset": recipe.dataset, **parts, "seed": seed, **threads, "version": VERSION}


@contextmanager
def cpu_threads(n: int | None, device: torch.device) -> Iterator[None]:
    """Run the block on ``n`` torch CPU threads when ``device`` is the CPU (and ``n`` is set), then restore them."""
    if not n or device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def pretrained_key(name: str, profile: str | None = None, *, seed: int = 0, **overrides: Any) -> str:
    """The checkpoint key of ``pretrained(name, profile, seed=seed, **overrides)``: it changes with any setting."""
    profile = get_profile(profile)
    return _key(name, profile, _spec(name, profile, seed, overrides)[2])


def pretrained(
    name: str,
    profile: str | None = None,
    *,
    device: torch.device | str | None = None,
    seed: int = 0,
    retrain: bool = False,
    **overrides: Any,
) -> nn.Module:
    """The model of recipe ``name`` trained with the ``profile`` settings (and ``overrides``), from the cache if there.

    Returns the model in eval mode on ``device`` (for GANs, the generator); ``model.training_record`` tells how it was made.
    """
    profile = get_profile(profile)
    recipe, parts, spec = _spec(name, profile, seed, overrides)
    device = resolve_device(device)
    key = _key(name, profile, spec)
    source = models_source()

    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):  # leave the caller's random state alone
        torch.manual_seed(seed)
        built = recipe.build(**parts["model"])
        generator, critic = built if isinstance(built, tuple) else (built, None)
        module = nn.ModuleDict({"generator": generator, "critic": critic}) if critic is not None else generator
        module.to(device)
        meta, origin = None, "trained"
        if not retrain and source == "shipped":
            meta, origin = load_shipped(module, key), "shipped"  # None: the course ships no model with these settings
        if meta is None and not retrain:
            meta, origin = load_checkpoint(module, key, missing_ok=True), "cache"  # None: none cached, or a corrupt one
        if meta is None:
            origin = "trained"
            data = load(recipe.dataset, device=device, **parts["data"])
            start = time.perf_counter()
            train_kwargs = {"seed": seed, **parts["train"]}
            with cpu_threads(recipe.cpu_threads, device):
                if critic is not None:
                    result = recipe.train(generator, critic, data.train, **train_kwargs)
                    history, snapshots = result.history, [[s, x] for s, x in result.snapshots]
                else:
                    history, snapshots = recipe.train(generator, data.train, test=data.test, **train_kwargs), []
            meta = {"spec": spec, "seconds": time.perf_counter() - start, "history": dict(history.records), "snapshots": snapshots}
            save_checkpoint(module, key, **meta)
    history = History()
    for metric, values in meta.get("history", {}).items():
        history.records[metric] = list(values)
    if meta.get("parts"):  # shipped without the critic: it keeps its random weights, so it is not handed out
        critic = None
    record = TrainingRecord(name, key, spec, float(meta.get("seconds", 0.0)), history,
                            [(int(s), x) for s, x in meta.get("snapshots", [])], critic, origin)
    module.eval()
    generator.training_record = record
    return generator
