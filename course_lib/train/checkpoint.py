"""Save and load model weights in the data directory, with the settings they were trained with.

A checkpoint is read from the learner's data directory, else from the instructor's shared folders
(:mod:`course_lib.data.layers`); it is always saved to the learner's, in one step.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import torch

from ..config import data_dir
from ..data.layers import atomic_write, cached_copies, find_cached, warn_corrupt_shared


def checkpoint_entry(name: str) -> Path:
    """The checkpoint's path inside a data folder: ``checkpoints/<name>.pt``."""
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+", name):
        raise ValueError(f"checkpoint names use letters, digits, '.', '_' and '-' only, got {name!r}.")
    return Path("checkpoints") / f"{name}.pt"


def checkpoint_path(name: str) -> Path:
    """Where :func:`save_checkpoint` writes ``name``: in the learner's own data directory."""
    return data_dir() / checkpoint_entry(name)


def save_checkpoint(model: torch.nn.Module, name: str, **meta: Any) -> Path:
    """Write ``model``'s weights (moved to the CPU) and ``meta`` to ``<data dir>/checkpoints/<name>.pt`` atomically."""
    state = {k: v.detach().cpu() for k, v in model.state_dict().items()}
    return atomic_write(checkpoint_path(name), lambda tmp: torch.save({"state_dict": state, "meta": meta}, tmp))


def load_checkpoint(model: torch.nn.Module, name: str, missing_ok: bool = False) -> dict[str, Any] | None:
    """Load weights saved under ``name`` into ``model`` (on whatever device it is); return the saved ``meta``.

    A corrupt copy of the learner's own is removed (the model is trained again); a corrupt shared one is
    skipped with a warning. With no usable copy: ``None`` when ``missing_ok``, else ``FileNotFoundError``.
    """
    for path, shared in cached_copies(checkpoint_entry(name)):
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            state, meta = blob["state_dict"], dict(blob.get("meta", {}))
        except Exception as err:
            if shared:
                warn_corrupt_shared(path, err)
            else:
                path.unlink(missing_ok=True)
            continue
        try:
            model.load_state_dict(state)
        except RuntimeError as err:
            raise ValueError(f"checkpoint {name!r} does not fit this {type(model).__name__} (different settings?): {err}") from None
        return meta
    if missing_ok:
        return None
    raise FileNotFoundError(
        f"no checkpoint named {name!r} in {checkpoint_path(name).parent} (nor in a shared data folder); "
        f"train the model first or save it with save_checkpoint."
    )


def has_checkpoint(name: str) -> bool:
    """Whether a checkpoint ``name`` exists in the learner's data directory or a shared folder."""
    return find_cached(checkpoint_entry(name)) is not None
