"""Save and load model weights in the data directory, with the settings they were trained with."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from ..config import data_dir


def checkpoint_path(name: str) -> Path:
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise ValueError(f"checkpoint names use letters, digits, '.', '_' and '-' only, got {name!r}.")
    return data_dir() / "checkpoints" / f"{name}.pt"


def save_checkpoint(model: torch.nn.Module, name: str, **meta: Any) -> Path:
    """Write ``model``'s weights (moved to the CPU) and ``meta`` to ``<data dir>/checkpoints/<name>.pt`` atomically."""
    path = checkpoint_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    tmp = path.with_suffix(".tmp")
    torch.save({"state_dict": state, "meta": meta}, tmp)
    tmp.replace(path)
    return path


def load_checkpoint(model: torch.nn.Module, name: str) -> dict[str, Any]:
    """Load weights saved under ``name`` into ``model`` (on whatever device it is); return the saved ``meta``."""
    path = checkpoint_path(name)
    if not path.exists():
        raise FileNotFoundError(f"no checkpoint named {name!r} in {path.parent}; train the model first or save it with save_checkpoint.")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    try:
        model.load_state_dict(blob["state_dict"])
    except RuntimeError as err:
        raise ValueError(f"checkpoint {name!r} does not fit this {type(model).__name__} (different settings?): {err}") from None
    return dict(blob.get("meta", {}))


def has_checkpoint(name: str) -> bool:
    return checkpoint_path(name).exists()
