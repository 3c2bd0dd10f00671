"""Writers for tests/test_data_cache.py's race: several processes write the same cache entries at the same moment.

A module of its own, so that each spawned process imports only torch and the data cache (seconds count on 2 cores).
"""
from __future__ import annotations

import os
from pathlib import Path

import torch

from course_lib.data.cache import cached
from course_lib.data.layers import atomic_write
from course_lib.data.types import Dataset, Split

WRITERS, ROUNDS = 4, 3
PAYLOAD = 1 << 20  # float32 values: 4 MB per write


def payload(writer: int, round_: int) -> dict:
    x = torch.full((PAYLOAD,), float(writer))
    return {"writer": writer, "round": round_, "x": x, "sum": float(x.double().sum())}


def whole(blob: dict) -> bool:
    """One writer's complete payload: the right size, every value its index, and the checksum it wrote."""
    x = blob["x"]
    return x.numel() == PAYLOAD and bool(x.eq(blob["writer"]).all()) and float(x.double().sum()) == blob["sum"]


def scene(writer: int) -> Dataset:
    x = torch.full((256, 1, 64, 64), float(writer))  # 4 MB
    y = torch.full((256,), writer, dtype=torch.int64)
    return Dataset("race", Split(x, y), Split(x[:8].clone(), y[:8].clone()), [str(writer)])


def one_writer(ds: Dataset) -> bool:
    """Every tensor of ``ds`` made by the same writer."""
    writer = int(ds.train.y[0])
    same = ds.train.x.eq(writer).all() and ds.train.y.eq(writer).all() and ds.test.x.eq(writer).all()
    return bool(same) and ds.classes == [str(writer)]


def race(index: int, folder: str, barrier, results) -> None:
    """One learner: each round, write the same entry as everyone else at the same moment, then read it back."""
    os.environ["COURSE_DATA_DIR"] = folder
    os.environ.pop("COURSE_SHARED_DATA_DIR", None)
    torch.set_num_threads(1)
    problems = []
    target = Path(folder) / "race" / "entry.pt"
    try:
        for round_ in range(ROUNDS):
            barrier.wait(timeout=60)
            atomic_write(target, lambda tmp: torch.save(payload(index, round_), tmp))
            if not whole(torch.load(target, weights_only=True)):
                problems.append(f"writer {index}, round {round_}: read back a torn entry")
        for round_ in range(ROUNDS):
            barrier.wait(timeout=60)
            if not one_writer(cached("race", {"round": round_}, lambda: scene(index))):
                problems.append(f"writer {index}, round {round_}: cached() returned a mixed dataset")
    except Exception as err:  # a torn file that does not even load; the others' barrier breaks at once
        barrier.abort()
        problems.append(f"writer {index}: {type(err).__name__}: {err}")
    results.put((index, problems))
