"""Tensor caching on disk, so a generated or converted dataset loads instantly the second time.

An entry is looked for in the learner's data directory, then in the instructor's shared folders
(:mod:`.layers`); a new one is always written to the learner's, in one step.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import torch

from ..config import data_dir
from .layers import atomic_write, cached_copies, warn_corrupt_shared
from .types import Dataset, Split

CACHE_VERSION = 1


def cache_entry(name: str, params: dict) -> Path:
    """The entry's path inside a data folder: ``datasets/<name>-<hash of params>.pt``."""
    key = hashlib.sha1(json.dumps({"v": CACHE_VERSION, **params}, sort_keys=True).encode()).hexdigest()[:12]
    return Path("datasets") / f"{name}-{key}.pt"


def cache_path(name: str, params: dict) -> Path:
    """Where a new entry is written: in the learner's own data directory."""
    return data_dir() / cache_entry(name, params)


def cached(name: str, params: dict, make: Callable[[], Dataset]) -> Dataset:
    """Load ``name`` with ``params`` from the cache, or build it with ``make()`` and save it (atomically).

    A corrupt file of the learner's own is rebuilt; a corrupt file in a shared folder is skipped with a warning
    and left where it is.
    """
    for path, shared in cached_copies(cache_entry(name, params)):
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            return Dataset(name, Split(blob["train_x"], blob["train_y"]), Split(blob["test_x"], blob["test_y"]), list(blob["classes"]))
        except Exception as err:
            if shared:
                warn_corrupt_shared(path, err)
            else:
                path.unlink(missing_ok=True)  # a corrupt file of the learner's own is rebuilt, not reported
    ds = make()
    blob = {"train_x": ds.train.x, "train_y": ds.train.y, "test_x": ds.test.x, "test_y": ds.test.y, "classes": ds.classes}
    atomic_write(cache_path(name, params), lambda tmp: torch.save(blob, tmp))
    return ds
