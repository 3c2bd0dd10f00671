"""Tensor caching on disk, so a generated or converted dataset loads instantly the second time."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable

import torch

from ..config import data_dir
from .types import Dataset, Split

CACHE_VERSION = 1


def cache_path(name: str, params: dict) -> Path:
    key = hashlib.sha1(json.dumps({"v": CACHE_VERSION, **params}, sort_keys=True).encode()).hexdigest()[:12]
    return data_dir() / "datasets" / f"{name}-{key}.pt"


def cached(name: str, params: dict, make: Callable[[], Dataset]) -> Dataset:
    """Load ``name`` with ``params`` from the cache, or build it with ``make()`` and save it (atomically)."""
    path = cache_path(name, params)
    if path.exists():
        try:
            blob = torch.load(path, map_location="cpu", weights_only=True)
            return Dataset(name, Split(blob["train_x"], blob["train_y"]), Split(blob["test_x"], blob["test_y"]), list(blob["classes"]))
        except Exception:
            path.unlink(missing_ok=True)  # a corrupt cache file is rebuilt, not reported
    ds = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    torch.save(
        {"train_x": ds.train.x, "train_y": ds.train.y, "test_x": ds.test.x, "test_y": ds.test.y, "classes": ds.classes},
        tmp,
    )
    tmp.replace(path)
    return ds
