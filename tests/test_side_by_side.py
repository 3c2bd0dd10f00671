"""pretrained_many: the toy runs train side by side in worker processes with the same weights as one after another."""
from __future__ import annotations

import dataclasses
import subprocess
import sys
import textwrap

import pytest
import torch

from course_lib.train import pretrained, pretrained_many
from course_lib.train.pretrained import RECIPES, cpu_threads, pretrained_key
from course_lib.train.side_by_side import side_by_side_workers

TINY = {"steps": 30, "n_snapshots": 2, "snapshot_size": 50}  # a few seconds of training in all
NAMES = ["ring8_gan", "ring8_wgan_gp"]


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))  # workers inherit the environment, so they share this cache
    monkeypatch.setenv("COURSE_MODELS", "live")
    return tmp_path


def _weights(model: torch.nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.state_dict().values()]


def test_runs_trained_side_by_side_have_the_weights_of_runs_trained_one_after_another(data_dir, tmp_path_factory, monkeypatch):
    side = pretrained_many(NAMES, "quick", device="cpu", workers=2, **TINY)
    assert all(side[n].training_record.source == "trained" for n in NAMES)  # trained now, though in a worker
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path_factory.mktemp("alone")))
    for name in NAMES:
        alone = pretrained(name, "quick", device="cpu", **TINY)
        assert alone.training_record.source == "trained"
        for a, b in zip(_weights(side[name]), _weights(alone), strict=True):
            assert torch.equal(a, b), name
        assert side[name].training_record.seconds > 0


def test_models_already_cached_are_loaded_not_trained_again(data_dir):
    first = pretrained("ring8_gan", "quick", device="cpu", **TINY)
    again = pretrained_many(["ring8_gan", "ring8_gan"], "quick", device="cpu", workers=2, **TINY)
    assert list(again) == ["ring8_gan"]
    assert again["ring8_gan"].training_record.source == "cache"
    for a, b in zip(_weights(first), _weights(again["ring8_gan"]), strict=True):
        assert torch.equal(a, b)


def test_how_many_train_at_once():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    toys = ["ring8_gan", "ring8_wgan", "grid25_gan"]
    assert side_by_side_workers(toys, cpu, "full", workers=2) == 2
    assert side_by_side_workers(toys, cpu, "full", workers=8) == 3  # no more workers than runs
    assert side_by_side_workers(toys, cpu, "quick") == 1  # quick runs take less than a worker takes to start
    assert side_by_side_workers(toys, gpu, "full", workers=2) == 1
    assert side_by_side_workers(toys + ["vae"], cpu, "full", workers=2) == 1  # the VAE uses torch's own threads
    assert side_by_side_workers([], cpu, "full", workers=2) == 1


def test_the_toy_recipes_train_on_one_thread_and_say_so_in_their_key(monkeypatch):
    assert all(RECIPES[f"{toy}_{mode}"].cpu_threads == 1 for toy in ("ring8", "grid25") for mode in ("gan", "wgan", "wgan_gp"))
    assert RECIPES["vae"].cpu_threads is None
    before = torch.get_num_threads()
    with cpu_threads(1, torch.device("cpu")):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with cpu_threads(1, torch.device("cuda")):  # only the CPU's threads are set
        assert torch.get_num_threads() == before
    # the key of a toy run changes with its thread count: weights cached from torch's own threads are not reused
    recipe = RECIPES["ring8_gan"]
    one_thread = pretrained_key("ring8_gan", "full")
    monkeypatch.setitem(RECIPES, "ring8_gan", dataclasses.replace(recipe, cpu_threads=None))
    assert pretrained_key("ring8_gan", "full") != one_thread


def test_unknown_names_are_refused_before_anything_trains(data_dir):
    with pytest.raises(KeyError, match="no pretrained recipe 'ring9_gan'"):
        pretrained_many(["ring8_gan", "ring9_gan"], "quick", device="cpu", workers=2, **TINY)
    assert not [p for p in data_dir.rglob("*") if p.is_file()]  # nothing was trained, nothing cached


def test_a_script_without_a_main_guard_trains_here_with_a_warning(data_dir, tmp_path):
    script = tmp_path / "no_guard.py"
    script.write_text(textwrap.dedent(f"""
        import warnings
        from course_lib.train import pretrained_many
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runs = pretrained_many({NAMES!r}, "quick", device="cpu", workers=2, **{TINY!r})
        print("sources", sorted(r.training_record.source for r in runs.values()))
        print("warned", any("__main__" in str(w.message) for w in caught))
    """))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "sources ['trained', 'trained']" in out.stdout
    assert "warned True" in out.stdout
