"""One place that decides how the course runs: device, profile, seed and data directory.

A notebook's first cell calls :func:`setup`; everything else in ``course_lib`` reads the same
choices through :func:`get_device`, :func:`get_profile` and :func:`data_dir`, so nothing hard-codes a GPU.
Cached data is looked up in the learner's own :func:`data_dir` first, then in the instructor's read-only
:func:`shared_data_dirs` (see :mod:`course_lib.data.layers`).
"""
from __future__ import annotations

import os
import platform
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import torch

PROFILES = ("quick", "full")
MODEL_SOURCES = ("live", "shipped")
DEVICES = ("auto", "cpu", "cuda", "mps")
DEFAULT_SEED = 0

T = TypeVar("T")


class CourseConfigError(ValueError):
    """A setting (profile, device, seed) has a value the course does not know."""


def _mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def available_devices() -> list[str]:
    """Devices this machine can run the course on, best first."""
    found = ["cuda"] if torch.cuda.is_available() else []
    if _mps_available():
        found.append("mps")
    return found + ["cpu"]


def get_device(name: str | None = None) -> torch.device:
    """The device to compute on: ``name``, else ``COURSE_DEVICE``, else CUDA, then MPS, then CPU."""
    requested = (name or os.environ.get("COURSE_DEVICE") or "auto").strip().lower()
    kind = requested.split(":")[0]
    if kind not in DEVICES:
        raise CourseConfigError(
            f"unknown device {requested!r}: choose one of {', '.join(DEVICES)} "
            f"(set COURSE_DEVICE or pass device=...)."
        )
    if kind == "auto":
        return torch.device(available_devices()[0])
    if kind not in available_devices():
        raise CourseConfigError(
            f"device {requested!r} is not available on this machine; available: "
            f"{', '.join(available_devices())}. Unset COURSE_DEVICE to pick the best one automatically."
        )
    return torch.device(requested)


def get_profile(name: str | None = None) -> str:
    """The run profile: ``quick`` (seconds, for CI and a first look) or ``full`` (the real results)."""
    profile = (name or os.environ.get("COURSE_PROFILE") or "full").strip().lower()
    if profile not in PROFILES:
        raise CourseConfigError(
            f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)} (set COURSE_PROFILE or pass profile=...)."
        )
    return profile


def models_source(name: str | None = None) -> str:
    """Where ``pretrained`` takes models from: ``name``, else ``COURSE_MODELS``, else ``live`` (train them).

    ``shipped`` loads the course's trained models (:mod:`course_lib.train.shipped`) where one has the settings asked for.
    """
    value = (name or os.environ.get("COURSE_MODELS") or "live").strip().lower()
    if value not in MODEL_SOURCES:
        raise CourseConfigError(
            f"unknown model source {value!r}: choose one of {', '.join(MODEL_SOURCES)} "
            f"(set COURSE_MODELS or pass models=... to setup)."
        )
    return value


def get_seed(seed: int | str | None = None) -> int:
    """The global seed: ``seed``, else ``COURSE_SEED``, else 0."""
    value = seed if seed is not None else os.environ.get("COURSE_SEED", DEFAULT_SEED)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise CourseConfigError(f"the seed must be a whole number, got {value!r} (check COURSE_SEED).") from None


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch (all devices) so a run can be repeated."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def data_dir(path: str | os.PathLike[str] | None = None) -> Path:
    """Where datasets, the classifier and checkpoints are cached: ``path``, ``COURSE_DATA_DIR`` or a per-user cache."""
    if path is None:
        path = os.environ.get("COURSE_DATA_DIR")
    if path is None:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "dgm-course"
    folder = Path(path).expanduser()
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def shared_data_dirs() -> list[Path]:
    """The read-only folders an instructor pre-filled, in the order they are searched after :func:`data_dir`.

    Read from ``COURSE_SHARED_DATA_DIR``: several folders joined by ``os.pathsep`` (``:``; ``;`` on Windows),
    empty entries ignored. The course never creates them and never writes to them.
    """
    value = os.environ.get("COURSE_SHARED_DATA_DIR", "")
    return [Path(entry).expanduser() for entry in value.split(os.pathsep) if entry.strip()]


@dataclass(frozen=True)
class Config:
    """The choices a notebook runs with; ``cfg.pick(quick=..., full=...)`` picks a setting by profile."""

    device: torch.device
    profile: str
    seed: int
    data_dir: Path
    models: str = "live"  # where pretrained(...) takes models from: "live" (train them) or "shipped"

    def pick(self, *, quick: T, full: T) -> T:
        """The ``quick`` or the ``full`` value, whichever profile is active."""
        return quick if self.profile == "quick" else full

    def summary(self, dataset: str | None = None) -> str:
        import torchvision

        rows = [
            ("device", _describe_device(self.device)),
            ("profile", f"{self.profile}  ({'small settings, seconds' if self.profile == 'quick' else 'real settings, minutes on a CPU'})"),
            ("seed", str(self.seed)),
            ("data", shown_path(self.data_dir)),
            ("models", "shipped with the course where one fits, else trained here (COURSE_MODELS=shipped)" if self.models == "shipped"
             else "trained here, then cached (COURSE_MODELS=shipped loads the course's trained ones)"),
        ]
        if dataset:
            rows.append(("dataset", dataset))
        rows.append(("versions", f"python {platform.python_version()}, torch {torch.__version__}, torchvision {torchvision.__version__}"))
        return "\n".join(f"{k:>9}: {v}" for k, v in rows)


CGROUP_CPU_LIMITS = (Path("/sys/fs/cgroup/cpu.max"),  # cgroup v2: "<quota> <period>" or "max <period>"
                     Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))  # cgroup v1: quota, beside cpu.cfs_period_us


def _cgroup_cpus(files: tuple[Path, ...] = CGROUP_CPU_LIMITS) -> float | None:
    """The CPUs a container's quota allows (quota / period), or None when there is no quota or it cannot be read."""
    for path in files:
        try:
            if path.name == "cpu.max":
                quota, period = path.read_text().split()[:2]
            else:
                quota, period = path.read_text().strip(), (path.parent / "cpu.cfs_period_us").read_text().strip()
            if quota in ("max", "-1"):
                return None
            return int(quota) / int(period)
        except (OSError, ValueError, ZeroDivisionError):
            continue
    return None


def usable_cpus(cgroup_files: tuple[Path, ...] = CGROUP_CPU_LIMITS) -> int:
    """The CPUs this process may really use: those it is pinned to, capped by a container's quota (at least 1).

    ``torch.get_num_threads()`` counts the machine's cores, which on a shared JupyterHub node can be many more.
    """
    pinned = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    quota = _cgroup_cpus(cgroup_files)
    return max(1, min(pinned, int(quota)) if quota is not None else pinned)


def limit_threads_to_usable_cpus() -> int:
    """Lower torch's CPU threads to :func:`usable_cpus` (never raise them; ``OMP_NUM_THREADS`` set by hand wins).

    More threads than the CPUs a process gets make every small operation wait for a thread that is not running
    (measured: a toy GAN step took 758 ms with 2 threads and 14 ms with 1 while another job held both cores).
    Returns the number of threads now in use.
    """
    if not os.environ.get("OMP_NUM_THREADS"):
        usable = usable_cpus()
        if torch.get_num_threads() > usable:
            torch.set_num_threads(usable)
    return torch.get_num_threads()


def shown_path(path: Path) -> str:
    """``path`` as a learner reads it: ``~/...`` under the home folder, so a shared screen or a recorded page shows no user name."""
    try:
        return str(Path("~") / Path(path).resolve().relative_to(Path.home().resolve()))
    except (ValueError, RuntimeError, OSError):
        return str(path)


def _describe_device(device: torch.device) -> str:
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    if device.type == "mps":
        return "mps (Apple GPU)"
    n = torch.get_num_threads()
    return f"cpu ({n} thread{'' if n == 1 else 's'})"


_current: Config | None = None


def setup(
    *,
    device: str | None = None,
    profile: str | None = None,
    seed: int | None = None,
    data: str | os.PathLike[str] | None = None,
    dataset: str | None = None,
    verbose: bool = True,
    models: str | None = None,
) -> Config:
    """Prepare a notebook: pick device and profile, seed everything, set the data directory, print a summary.

    Every argument falls back to its environment variable (``COURSE_DEVICE``, ``COURSE_PROFILE``,
    ``COURSE_SEED``, ``COURSE_DATA_DIR``, ``COURSE_MODELS``), then to the default.
    """
    global _current
    cfg = Config(get_device(device), get_profile(profile), get_seed(seed), data_dir(data), models_source(models))
    os.environ["COURSE_DATA_DIR"] = str(cfg.data_dir)
    os.environ["COURSE_PROFILE"] = cfg.profile
    os.environ["COURSE_MODELS"] = cfg.models
    seed_everything(cfg.seed)
    limit_threads_to_usable_cpus()
    _current = cfg
    if verbose:
        print(cfg.summary(dataset))
    return cfg


def current() -> Config:
    """The configuration of the last :func:`setup`, or one built from the environment."""
    return _current if _current is not None else setup(verbose=False)


def pick(*, quick: Any, full: Any) -> Any:
    """``quick`` or ``full`` according to the active profile (see :meth:`Config.pick`)."""
    return quick if get_profile() == "quick" else full
