"""Several pretrained models at once: the ones not shipped or cached yet train side by side, one CPU core each.

Chapter 05's six toy GANs are small multilayer perceptrons: a second thread does not make a step faster (about
15 ms either way on a laptop core), so on a machine with two cores, two runs at a time take half the time of one
after another. Their recipes train on one thread (``Recipe.cpu_threads``), so the weights are the same whichever
way they were trained::

    runs = pretrained_many(["ring8_gan", "ring8_wgan", "ring8_wgan_gp"], **TOY_SNAPSHOTS)
    runs["ring8_gan"].training_record.describe()     # "trained in 9 s", or where it came from
"""
from __future__ import annotations

import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Sequence

import torch
import torch.nn as nn

from ..config import get_profile, models_source, usable_cpus
from ..utils import progress, resolve_device
from .checkpoint import has_checkpoint
from .pretrained import RECIPES, pretrained, pretrained_key
from .shipped import manifest


def _ready(name: str, profile: str, seed: int, overrides: dict[str, Any]) -> bool:
    """Whether ``pretrained(name, ...)`` would load the model (shipped or cached) instead of training it."""
    key = pretrained_key(name, profile, seed=seed, **overrides)
    return (models_source() == "shipped" and key in manifest()["models"]) or has_checkpoint(key)


def _train_in_worker(job: tuple[str, str, int, dict[str, Any]]) -> str:
    """In a worker process: train one model on the CPU and leave it in the cache (no progress bar of its own)."""
    name, profile, seed, overrides = job
    os.environ["COURSE_PROGRESS"] = "0"
    pretrained(name, profile, device="cpu", seed=seed, **overrides)
    return name


def side_by_side_workers(names: Sequence[str], device: torch.device, profile: str, workers: int | None = None) -> int:
    """How many of ``names`` train at once: ``workers`` if given, else one per usable CPU core in the full profile.

    Only one-thread recipes on the CPU train side by side (a GPU, or torch's own threads, already keep the machine
    busy). The quick profile trains one after another: its runs take about a second, less than a worker takes to
    start (a few seconds to import torch).
    """
    if device.type != "cpu" or not names or any(RECIPES[n].cpu_threads != 1 for n in names):
        return 1
    if workers is None:
        workers = usable_cpus() if profile == "full" else 1
    return max(1, min(len(names), workers))


def _train_side_by_side(names: list[str], profile: str, seed: int, overrides: dict[str, Any], n_workers: int) -> set[str]:
    """Train ``names`` in ``n_workers`` worker processes; the names trained. Workers that cannot start leave the rest
    to be trained here, one after another (with a warning that says why)."""
    trained: set[str] = set()
    # spawn, not fork: a forked copy of a process that already runs torch's threads can hang, and spawn works on every OS
    executor = ProcessPoolExecutor(n_workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        futures = [executor.submit(_train_in_worker, (n, profile, seed, dict(overrides))) for n in names]
        for future in progress(as_completed(futures), total=len(futures), desc=f"training {len(names)} models, {n_workers} at a time"):
            trained.add(future.result())
    except BrokenProcessPool:
        warnings.warn("the worker processes could not start, so the models train here one after another (from a "
                      "script, call pretrained_many under `if __name__ == \"__main__\":`)", RuntimeWarning, stacklevel=3)
    except BaseException:  # an interrupt or an error in one run: stop the others now rather than after their training
        for process in list(getattr(executor, "_processes", {}).values()):
            process.terminate()
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    return trained


def pretrained_many(
    names: Sequence[str],
    profile: str | None = None,
    *,
    device: torch.device | str | None = None,
    seed: int = 0,
    workers: int | None = None,
    **overrides: Any,
) -> dict[str, nn.Module]:
    """``{name: pretrained(name, profile, device=device, seed=seed, **overrides)}`` for every name.

    The models that are neither shipped nor cached train first, in ``workers`` processes at a time (default: one per
    usable CPU core in the full profile, see :func:`side_by_side_workers`) when their recipes train on one CPU
    thread; otherwise one after another, as ``pretrained`` does.
    A model trained in a worker says "trained" in its ``training_record``, like one trained here.
    """
    profile = get_profile(profile)
    device = resolve_device(device)
    names = list(dict.fromkeys(names))
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        raise KeyError(f"no pretrained recipe {unknown[0]!r}; choose among {', '.join(sorted(RECIPES))}.")
    missing = [n for n in names if not _ready(n, profile, seed, overrides)]
    n_workers = side_by_side_workers(missing, device, profile, workers)
    trained = _train_side_by_side(missing, profile, seed, overrides, n_workers) if n_workers > 1 else set()
    models = {}
    for name in names:
        model = pretrained(name, profile, device=device, seed=seed, **overrides)
        if name in trained:
            model.training_record.source = "trained"
        models[name] = model
    return models


__all__ = ["pretrained_many", "side_by_side_workers"]
