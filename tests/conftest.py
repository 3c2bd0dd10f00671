"""Shared fixtures: every device-aware test runs on the CPU and, when present, on CUDA (and MPS)."""
from __future__ import annotations

import os

import pytest
import torch

os.environ.setdefault("COURSE_PROGRESS", "0")


def _devices() -> list:
    mps = getattr(torch.backends, "mps", None)
    return [
        pytest.param("cpu", id="cpu"),
        pytest.param("cuda", id="cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")),
        pytest.param("mps", id="mps", marks=pytest.mark.skipif(not (mps is not None and mps.is_available()), reason="no Apple MPS device on this machine")),
    ]


@pytest.fixture(params=_devices())
def device(request) -> torch.device:
    """A torch.device: cpu always; cuda and mps skipped visibly where absent."""
    return torch.device(request.param)


@pytest.fixture(autouse=True, scope="session")
def _course_data_dir(tmp_path_factory):
    """Tests write their caches to a fresh folder, never to a learner's data directory."""
    folder = tmp_path_factory.mktemp("course-data")
    old = os.environ.get("COURSE_DATA_DIR")
    os.environ["COURSE_DATA_DIR"] = str(folder)
    yield folder
    if old is None:
        os.environ.pop("COURSE_DATA_DIR", None)
    else:
        os.environ["COURSE_DATA_DIR"] = old


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)
