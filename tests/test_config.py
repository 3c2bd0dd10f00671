import os

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
