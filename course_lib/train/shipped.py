"""Trained models shipped with the course: half-precision ``safetensors`` files that ``pretrained`` can load.

With ``COURSE_MODELS=shipped`` (or ``setup(models="shipped")``), ``pretrained(name, seed=..., **overrides)`` loads
the shipped copy of that exact model instead of training it, when the course ships one with the same settings;
any other model is trained (or read from the cache) as usual. ``live`` (the default) always trains, since
most chapters teach training. The manifest ``shipped/manifest.json`` keeps, for every file, the settings
the model was trained with, its training curves, its wall time and the SHA-256 of the file.

Re-record every shipped model (after a change of settings, architecture or training code)::

    COURSE_PROGRESS=0 python -m course_lib.train.record_shipped
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
import torch.nn as nn

from .settings import TOY_SNAPSHOTS

SHIPPED_DIR = Path(__file__).with_name("shipped")
MANIFEST_NAME = "manifest.json"
RECORD_COMMAND = "COURSE_PROGRESS=0 python -m course_lib.train.record_shipped"
SIZE_LIMIT_MB = 25.0


class ShippedModelError(ValueError):
    """A shipped model file is missing, corrupt, or does not fit the model it is loaded into."""


@dataclass(frozen=True)
class Shipped:
    """One shipped model: the ``pretrained`` call that makes it, and which parts are kept (GANs: the generator)."""

    name: str
    seed: int = 0
    overrides: dict[str, Any] = field(default_factory=dict)
    parts: tuple[str, ...] = ()  # state-dict prefixes kept; () keeps everything
    label: str = ""  # the file's name when the recipe's name does not tell the overrides apart
    snapshots: bool = True  # keep the samples saved along training (chapter 05 shows seed 0's)

    @property
    def file(self) -> str:
        return f"{self.label or self.name}-seed{self.seed}.safetensors"


def _unet(name: str, label: str, budget: dict[str, Any]) -> Shipped:
    overrides = {"depth": 3, "base_width": 8, "n_test": 100, "batch_size": 16, "lr": 5e-3, **budget}
    return Shipped(name, overrides=overrides, label=label)


_SHAPES = {"n_train": 1000, "epochs": 4}  # notebook 04's BUDGET and SCENE_BUDGET in full
_SCENES = {"n_train": 2000, "epochs": 10}


@lru_cache(maxsize=1)
def shipped_models() -> tuple[Shipped, ...]:
    """What the course ships: the full models the notebooks load (seed 0), and the comparison's extra seeds
    (chapter 07 compares five seeds of each model: its autoencoder ``autoencoder_16``, the VAE, the CVAE, the GANs'
    generators and the diffusion model), within ``SIZE_LIMIT_MB``.
    """
    return (
        Shipped("autoencoder"),
        *(Shipped("vae", seed=seed) for seed in range(5)),
        *(Shipped("cvae", seed=seed) for seed in range(5)),
        Shipped("cvae", overrides={"beta": 1.0}, label="cvae-beta1"),
        *(Shipped("autoencoder_16", seed=seed) for seed in range(5)),
        _unet("unet_shapes", "unet_shapes-ce", {**_SHAPES, "loss": "ce"}),
        _unet("unet_shapes", "unet_shapes-dice", {**_SHAPES, "loss": "dice"}),
        _unet("unet_shapes_noskip", "unet_shapes_noskip-ce", {**_SHAPES, "loss": "ce"}),
        _unet("unet_digit_scenes", "unet_digit_scenes", {**_SCENES, "loss": "ce+dice"}),
        *(Shipped(f"{toy}_{mode}", overrides=dict(TOY_SNAPSHOTS), parts=("generator.",))
          for toy in ("ring8", "grid25") for mode in ("gan", "wgan", "wgan_gp")),
        *(Shipped(gan, seed=seed, parts=("generator.",), snapshots=seed == 0) for gan in ("dcgan", "wgan_gp") for seed in range(5)),
        *(Shipped("ddpm", seed=seed) for seed in range(5)),
    )


@lru_cache(maxsize=4)
def _read_manifest(path: Path, mtime: float) -> dict[str, Any]:
    try:
        manifest = json.loads(path.read_text())
        if not isinstance(manifest.get("models"), dict):
            raise ValueError("it has no 'models' table")
        return manifest
    except (OSError, ValueError) as err:
        raise ShippedModelError(
            f"the shipped-model manifest {path} is unreadable ({err}); reinstall the course, or set "
            f"COURSE_MODELS=live to train the models instead."
        ) from None


def manifest(folder: Path | None = None) -> dict[str, Any]:
    """The manifest of the shipped models (``{"models": {key: entry}}``); empty when the course ships none."""
    path = (folder or SHIPPED_DIR) / MANIFEST_NAME
    if not path.exists():
        return {"models": {}}
    return _read_manifest(path, path.stat().st_mtime)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kept(state: dict[str, torch.Tensor], parts: tuple[str, ...]) -> dict[str, torch.Tensor]:
    return {k: v for k, v in state.items() if not parts or k.startswith(parts)}


def save_shipped(module: nn.Module, key: str, meta: dict[str, Any], item: Shipped, folder: Path | None = None) -> dict[str, Any]:
    """Write ``module``'s weights (floats in half precision) and its snapshots to ``folder/item.file``; return its entry."""
    from safetensors.torch import save

    state = {k: v.detach().cpu() for k, v in _kept(module.state_dict(), item.parts).items()}
    tensors = {f"weights/{k}": (v.half() if v.is_floating_point() else v).contiguous() for k, v in state.items()}
    steps = []
    for i, (step, samples) in enumerate(meta.get("snapshots", []) if item.snapshots else []):
        tensors[f"snapshots/{i}"] = torch.as_tensor(samples).detach().cpu().half().contiguous()
        steps.append(int(step))
    data = save(tensors, metadata={"key": key})
    folder = folder or SHIPPED_DIR
    folder.mkdir(parents=True, exist_ok=True)
    (folder / item.file).write_bytes(data)
    return {
        "file": item.file, "sha256": _sha256(data), "bytes": len(data), "recipe": item.name, "seed": item.seed,
        "overrides": item.overrides, "parts": list(item.parts), "spec": meta["spec"], "seconds": round(float(meta["seconds"]), 2),
        "history": meta.get("history", {}), "snapshot_steps": steps,
    }


def load_shipped(module: nn.Module, key: str, folder: Path | None = None) -> dict[str, Any] | None:
    """Load the shipped model ``key`` into ``module``; return its ``meta`` (as a checkpoint's), or None if none is shipped.

    The file must match the manifest's SHA-256, hold the tensors ``module`` expects with the same shapes,
    and nothing else; otherwise :class:`ShippedModelError` says which file is wrong and what to do.
    """
    entry = manifest(folder)["models"].get(key)
    if entry is None:
        return None
    from safetensors.torch import load

    path = (folder or SHIPPED_DIR) / entry["file"]
    fix = "reinstall the course (or re-record it: " + RECORD_COMMAND + "), or set COURSE_MODELS=live to train it instead."
    try:
        data = path.read_bytes()
    except OSError as err:
        raise ShippedModelError(f"the shipped model {path.name} cannot be read ({err.strerror}); {fix}") from None
    if _sha256(data) != entry["sha256"]:
        raise ShippedModelError(f"the shipped model {path.name} is corrupt (its SHA-256 differs from the manifest's); {fix}")
    try:
        tensors = load(data)
    except Exception as err:  # safetensors raises its own error types for a damaged header
        raise ShippedModelError(f"the shipped model {path.name} is not a readable safetensors file ({err}); {fix}") from None
    weights = {k.removeprefix("weights/"): v for k, v in tensors.items() if k.startswith("weights/")}
    expected = _kept(module.state_dict(), tuple(entry["parts"]))
    missing, extra = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
    wrong = [f"{k}: file {tuple(weights[k].shape)}, model {tuple(v.shape)}" for k, v in expected.items()
             if k in weights and weights[k].shape != v.shape]
    if missing or extra or wrong:
        detail = "; ".join(filter(None, [
            f"missing {', '.join(missing[:3])}" if missing else "", f"unexpected {', '.join(extra[:3])}" if extra else "",
            f"wrong shape {', '.join(wrong[:3])}" if wrong else "",
        ]))
        raise ShippedModelError(f"the shipped model {path.name} does not fit this {type(module).__name__} ({detail}); {fix}")
    module.load_state_dict(weights, strict=not entry["parts"])  # half-precision values are copied into the model's dtype
    snapshots = [[step, tensors[f"snapshots/{i}"].float()] for i, step in enumerate(entry.get("snapshot_steps", []))]
    return {"spec": entry["spec"], "seconds": entry["seconds"], "history": entry["history"], "snapshots": snapshots,
            "parts": entry["parts"]}


def write_manifest(models: dict[str, dict[str, Any]], folder: Path | None = None) -> float:
    """Write the manifest of ``models`` (key -> entry from :func:`save_shipped`) into ``folder``; return their size in MB."""
    total = sum(e["bytes"] for e in models.values()) / 1e6
    text = json.dumps({"format": 1, "record_command": RECORD_COMMAND, "precision": "float16",
                       "total_mb": round(total, 2), "models": models}, indent=1, sort_keys=True)
    (folder or SHIPPED_DIR).joinpath(MANIFEST_NAME).write_text(text + "\n")
    return total
