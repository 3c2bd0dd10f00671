"""The trained models shipped with the course: half-precision safetensors files loaded by ``pretrained``.

The staleness tests fail, naming the re-record command, when a shipped model's settings change without
re-recording it (as tests/test_reference.py does for the comparison's reference run).
"""
import importlib
import json
import os

import pytest
import torch

from course_lib.config import CourseConfigError, models_source, setup
from course_lib.data import load
from course_lib.models import MLPGenerator
from course_lib.train import pretrained
from course_lib.train import shipped
from course_lib.train.record_shipped import expected_key
from course_lib.train.shipped import (
    RECORD_COMMAND, SIZE_LIMIT_MB, Shipped, ShippedModelError, load_shipped, manifest, save_shipped, shipped_models, write_manifest,
)

pretrained_module = importlib.import_module("course_lib.train.pretrained")  # the module (the package exports the function)
TINY_GAN = {"hidden": 16, "steps": 20, "log_every": 5}


# -- the files the course ships ---------------------------------------------------------------------------

def test_every_shipped_model_is_recorded_with_todays_settings():
    recorded = manifest()["models"]
    for item in shipped_models():
        key = expected_key(item)
        assert key in recorded, (
            f"{item.file}: no shipped model with today's settings of {item.name!r} (seed {item.seed}); "
            f"its settings, architecture or VERSION changed since it was recorded. Re-record with: {RECORD_COMMAND}"
        )
        assert recorded[key]["file"] == item.file and recorded[key]["parts"] == list(item.parts), f"re-record with: {RECORD_COMMAND}"
    stale = set(recorded) - {expected_key(item) for item in shipped_models()}
    assert not stale, f"the manifest lists models nobody ships any more ({sorted(stale)}); re-record with: {RECORD_COMMAND}"


def test_the_shipped_files_match_the_manifest_and_fit_the_size_limit():
    entries = manifest()["models"].values()
    assert entries, f"the course ships no models; record them with: {RECORD_COMMAND}"
    files = {p.name for p in shipped.SHIPPED_DIR.glob("*.safetensors")}
    assert files == {e["file"] for e in entries}, f"files and manifest disagree; re-record with: {RECORD_COMMAND}"
    total = sum((shipped.SHIPPED_DIR / e["file"]).stat().st_size for e in entries) / 1e6
    assert total <= SIZE_LIMIT_MB, f"{total:.1f} MB of shipped models, more than {SIZE_LIMIT_MB} MB"
    for e in entries:  # each comes with the settings it was trained with and its training curve
        assert e["spec"]["recipe"] == e["recipe"] and e["spec"]["seed"] == e["seed"] and e["seconds"] > 0
        assert e["history"] and all(len(v) > 0 for v in e["history"].values()), e["file"]


def test_every_shipped_model_loads_without_training(monkeypatch):
    monkeypatch.setenv("COURSE_MODELS", "shipped")
    monkeypatch.setattr(pretrained_module, "load", lambda *a, **k: pytest.fail("a shipped model was trained instead of loaded"))
    for item in shipped_models():
        model = pretrained(item.name, "full", device="cpu", seed=item.seed, **item.overrides)
        record = model.training_record
        assert record.source == "shipped" and record.cached and "shipped with the course" in record.describe(), item.file
        if item.parts:
            assert record.critic is None
        assert all(p.dtype == torch.float32 and torch.isfinite(p).all() for p in model.parameters()), item.file


def test_the_shipped_autoencoder_reconstructs_as_well_as_when_it_was_recorded(monkeypatch):
    monkeypatch.setenv("COURSE_MODELS", "shipped")
    monkeypatch.setattr(pretrained_module, "load", lambda *a, **k: pytest.fail("the autoencoder is not shipped"))
    model = pretrained("autoencoder", "full", device="cpu")
    x = load("mnist-5k", device="cpu").test.x
    with torch.no_grad():
        mse = (model(x) - x).pow(2).mean().item()
    recorded = model.training_record.history["test_mse"][-1]
    assert mse == pytest.approx(recorded, rel=0.02), "half precision should change the test error by well under 2 %"


# -- saving, loading and its errors on a tiny model ------------------------------------------------------

@pytest.fixture
def shipped_tiny_gan(tmp_path, monkeypatch):
    """A tiny quick-profile GAN trained here and shipped into a folder of its own; returns (generator, folder)."""
    generator = pretrained("ring8_wgan_gp", "quick", device="cpu", **TINY_GAN)
    record = generator.training_record
    module = torch.nn.ModuleDict({"generator": generator, "critic": record.critic})
    meta = {"spec": record.spec, "seconds": record.seconds, "history": dict(record.history.records),
            "snapshots": [[s, x] for s, x in record.snapshots]}
    item = Shipped("ring8_wgan_gp", overrides=TINY_GAN, parts=("generator.",))
    folder = tmp_path / "shipped"
    write_manifest({record.key: save_shipped(module, record.key, meta, item, folder)}, folder)
    monkeypatch.setattr(shipped, "SHIPPED_DIR", folder)
    return generator, folder


def _fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "empty-cache"))


def test_pretrained_loads_a_shipped_model_only_when_asked(shipped_tiny_gan, tmp_path, monkeypatch):
    original, folder = shipped_tiny_gan
    _fresh_cache(tmp_path, monkeypatch)
    monkeypatch.setenv("COURSE_MODELS", "shipped")
    loaded = pretrained("ring8_wgan_gp", "quick", device="cpu", **TINY_GAN)
    record = loaded.training_record
    assert isinstance(loaded, MLPGenerator) and record.source == "shipped" and record.critic is None
    for p, q in zip(loaded.parameters(), original.parameters()):  # the weights, rounded to half precision
        assert torch.equal(p, q.detach().half().float())
    assert [s for s, _ in record.snapshots] == [s for s, _ in original.training_record.snapshots]
    assert record.history.records == original.training_record.history.records
    monkeypatch.setenv("COURSE_MODELS", "live")
    live = pretrained("ring8_wgan_gp", "quick", device="cpu", **TINY_GAN)
    assert live.training_record.source == "trained" and "trained in" in live.training_record.describe()


def test_a_model_the_course_does_not_ship_is_trained_as_usual(shipped_tiny_gan, tmp_path, monkeypatch):
    _fresh_cache(tmp_path, monkeypatch)
    monkeypatch.setenv("COURSE_MODELS", "shipped")
    other = pretrained("ring8_wgan_gp", "quick", device="cpu", **{**TINY_GAN, "hidden": 8})
    assert other.training_record.source == "trained"
    assert pretrained("ring8_wgan_gp", "quick", device="cpu", **{**TINY_GAN, "hidden": 8}).training_record.source == "cache"


def _entry(folder):
    data = json.loads((folder / "manifest.json").read_text())
    return data, next(iter(data["models"].values()))


@pytest.mark.parametrize("damage, message", [
    (lambda data: data[:-10] + b"0123456789", "is corrupt"),
    (lambda data: data[:40], "is corrupt"),
])
def test_a_corrupt_shipped_file_gets_a_clear_error(shipped_tiny_gan, tmp_path, monkeypatch, damage, message):
    _, folder = shipped_tiny_gan
    _, entry = _entry(folder)
    path = folder / entry["file"]
    path.write_bytes(damage(path.read_bytes()))
    _fresh_cache(tmp_path, monkeypatch)
    monkeypatch.setenv("COURSE_MODELS", "shipped")
    with pytest.raises(ShippedModelError, match=message) as err:
        pretrained("ring8_wgan_gp", "quick", device="cpu", **TINY_GAN)
    assert entry["file"] in str(err.value) and "COURSE_MODELS=live" in str(err.value)


def test_a_file_that_is_not_safetensors_gets_a_clear_error(shipped_tiny_gan, monkeypatch):
    _, folder = shipped_tiny_gan
    data, entry = _entry(folder)
    garbage = b"this is not a safetensors file"
    (folder / entry["file"]).write_bytes(garbage)
    entry["sha256"] = shipped._sha256(garbage)  # a matching checksum: the format check must still catch it
    (folder / "manifest.json").write_text(json.dumps(data))
    with pytest.raises(ShippedModelError, match="not a readable safetensors file"):
        load_shipped(MLPGenerator(2, 16, 3), next(iter(data["models"])), folder)


def test_a_missing_file_and_a_broken_manifest_get_clear_errors(shipped_tiny_gan):
    _, folder = shipped_tiny_gan
    data, entry = _entry(folder)
    key = next(iter(data["models"]))
    (folder / entry["file"]).unlink()
    with pytest.raises(ShippedModelError, match="cannot be read"):
        load_shipped(torch.nn.ModuleDict({"generator": MLPGenerator(2, 16, 3)}), key, folder)
    (folder / "manifest.json").write_text("{not json")
    with pytest.raises(ShippedModelError, match="manifest .* is unreadable"):
        manifest(folder)


def test_a_shipped_file_that_does_not_fit_the_model_names_the_tensor(shipped_tiny_gan):
    _, folder = shipped_tiny_gan
    data, _ = _entry(folder)
    wider = torch.nn.ModuleDict({"generator": MLPGenerator(2, 32, 3)})
    with pytest.raises(ShippedModelError, match=r"does not fit .*wrong shape generator\.") as err:
        load_shipped(wider, next(iter(data["models"])), folder)
    assert "(16" in str(err.value) and "(32" in str(err.value)


def test_models_source_reads_the_setting_and_rejects_unknown_values(monkeypatch, tmp_path):
    monkeypatch.delenv("COURSE_MODELS", raising=False)
    assert models_source() == "live"
    monkeypatch.setenv("COURSE_MODELS", " Shipped ")
    assert models_source() == "shipped"
    with pytest.raises(CourseConfigError, match="unknown model source 'cached'.*live, shipped"):
        models_source("cached")
    for name in ("COURSE_DATA_DIR", "COURSE_PROFILE"):  # setup() writes these; put them back afterwards
        monkeypatch.setenv(name, os.environ.get(name, "quick"))
    cfg = setup(models="shipped", data=tmp_path, verbose=False)
    assert cfg.models == "shipped" and "shipped with the course" in cfg.summary()
    monkeypatch.setenv("COURSE_MODELS", "live")
