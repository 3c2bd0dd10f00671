import os
from pathlib import Path

import pytest
import torch

from course_lib import config
from course_lib.config import CourseConfigError, get_device, get_profile, get_seed, setup


def test_profile_defaults_to_full_and_reads_the_environment(monkeypatch):
    monkeypatch.delenv("COURSE_PROFILE", raising=False)
    assert get_profile() == "full"
    monkeypatch.setenv("COURSE_PROFILE", "QUICK")
    assert get_profile() == "quick"


def test_unknown_profile_lists_the_valid_ones(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    with pytest.raises(CourseConfigError, match="unknown profile 'fast'.*quick, full"):
        get_profile()


def test_unknown_device_lists_the_valid_ones():
    with pytest.raises(CourseConfigError, match="unknown device 'tpu'.*auto, cpu, cuda, mps"):
        get_device("tpu")


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present here")
def test_absent_device_says_what_is_available(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cuda")
    with pytest.raises(CourseConfigError, match="not available on this machine; available: .*cpu"):
        get_device()


def test_auto_device_prefers_cuda_then_mps_then_cpu(monkeypatch):
    monkeypatch.delenv("COURSE_DEVICE", raising=False)
    assert get_device().type == config.available_devices()[0]
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert get_device().type == "cuda"


def test_environment_device_override(monkeypatch):
    monkeypatch.setenv("COURSE_DEVICE", "cpu")
    assert get_device() == torch.device("cpu")


def test_bad_seed_is_reported(monkeypatch):
    monkeypatch.setenv("COURSE_SEED", "abc")
    with pytest.raises(CourseConfigError, match="whole number"):
        get_seed()


def test_setup_seeds_everything_and_prints_a_summary(tmp_path, capsys, monkeypatch):
    cfg = setup(device="cpu", profile="quick", seed=7, data=tmp_path, dataset="mnist-5k")
    a = torch.rand(3)
    setup(device="cpu", profile="quick", seed=7, data=tmp_path, verbose=False)
    assert torch.equal(a, torch.rand(3))
    out = capsys.readouterr().out
    for word in ("device", "cpu", "profile", "quick", "seed", "7", str(tmp_path), "mnist-5k", "torch"):
        assert word in out
    assert cfg.pick(quick=1, full=2) == 1
    assert cfg.data_dir == tmp_path and os.environ["COURSE_DATA_DIR"] == str(tmp_path)


def test_data_dir_defaults_to_a_per_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert config.data_dir() == tmp_path / "dgm-course"


def _quota_files(tmp_path, v2: str | None = None, v1: tuple[str, str] | None = None):
    files = []
    if v2 is not None:
        (tmp_path / "cpu.max").write_text(v2)
    files.append(tmp_path / "cpu.max")
    (tmp_path / "v1").mkdir()
    if v1 is not None:
        (tmp_path / "v1" / "cpu.cfs_quota_us").write_text(v1[0])
        (tmp_path / "v1" / "cpu.cfs_period_us").write_text(v1[1])
    files.append(tmp_path / "v1" / "cpu.cfs_quota_us")
    return tuple(files)


@pytest.mark.parametrize("v2, v1, expected", [
    ("100000 100000\n", None, 1),  # a JupyterHub container allowed one CPU on a big node
    ("150000 100000\n", None, 1),  # 1.5 CPUs: one thread per whole CPU
    ("max 100000\n", None, None),  # no quota: the pinned CPUs
    (None, ("200000", "100000"), 2),  # cgroup v1
    (None, ("-1", "100000"), None),
    ("garbage", None, None),  # unreadable: the pinned CPUs, never an error
    (None, None, None),
])
def test_usable_cpus_are_the_pinned_ones_capped_by_a_container_quota(tmp_path, v2, v1, expected):
    pinned = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    usable = config.usable_cpus(_quota_files(tmp_path, v2, v1))
    assert usable == (min(pinned, expected) if expected is not None else pinned)


def test_setup_lowers_torch_threads_to_the_usable_cpus_but_never_raises_them(monkeypatch, tmp_path, capsys):
    before = torch.get_num_threads()
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    try:
        torch.set_num_threads(8)
        monkeypatch.setattr(config, "usable_cpus", lambda *a: 1)
        setup(profile="quick", data=tmp_path, device="cpu")
        assert torch.get_num_threads() == 1 and "cpu (1 thread)" in capsys.readouterr().out
        monkeypatch.setattr(config, "usable_cpus", lambda *a: 4)
        setup(profile="quick", data=tmp_path, device="cpu", verbose=False)
        assert torch.get_num_threads() == 1  # never raised
        torch.set_num_threads(8)
        monkeypatch.setenv("OMP_NUM_THREADS", "8")  # set by hand: left alone
        setup(profile="quick", data=tmp_path, device="cpu", verbose=False)
        assert torch.get_num_threads() == 8
    finally:
        torch.set_num_threads(before)


def test_the_summary_shows_a_data_folder_under_home_with_a_tilde(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HOME", str(tmp_path))
    setup(device="cpu", profile="quick", data=tmp_path / ".cache" / "dgm-course")
    assert "data: ~/.cache/dgm-course" in capsys.readouterr().out
    assert config.shown_path(Path("/elsewhere/data")) == "/elsewhere/data"
