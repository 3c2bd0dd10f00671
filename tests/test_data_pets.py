"""Oxford-IIIT Pet loader, tested on tiny files the test writes (no download), and offline."""
import numpy as np
import pytest
import torch
from PIL import Image

from course_lib.data import DatasetUnavailableError
from course_lib.data.pets import PET_CLASSES, load_pets


def _write_tiny_pets(root, names_by_split):
    base = root / "oxford-iiit-pet"
    (base / "images").mkdir(parents=True)
    (base / "annotations" / "trimaps").mkdir(parents=True)
    for split, names in names_by_split.items():
        lines = []
        for k, name in enumerate(names):
            rgb = np.zeros((20, 30, 3), dtype=np.uint8)
            rgb[:, 15:] = 255  # right half white
            Image.fromarray(rgb).save(base / "images" / f"{name}.jpg")
            trimap = np.full((20, 30), 2, dtype=np.uint8)  # background
            trimap[:, 15:] = 1  # the pet on the right
            trimap[:, 14:16] = 3  # a border between
            Image.fromarray(trimap).save(base / "annotations" / "trimaps" / f"{name}.png")
            lines.append(f"{name} {k + 1} 1 1")
        (base / "annotations" / f"{split}.txt").write_text("\n".join(lines) + "\n")


def test_loads_resized_rgb_images_and_masks_from_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    _write_tiny_pets(tmp_path, {"trainval": ["Abyssinian_1", "beagle_2", "beagle_3"], "test": ["pug_4"]})
    pets = load_pets(size=16, download=False)
    assert pets.name == "oxford-pets" and pets.classes == PET_CLASSES
    assert pets.train.x.shape == (3, 3, 16, 16) and pets.test.x.shape == (1, 3, 16, 16)
    assert pets.train.y.shape == (3, 16, 16) and pets.train.y.dtype == torch.int64
    assert 0 <= pets.train.x.min() and pets.train.x.max() <= 1
    y = pets.train.y[0]
    assert (y[:, :6] == 0).all() and (y[:, -6:] == 1).all() and (y == 2).any()  # background left, pet right, border
    assert pets.train.x[0, :, :, -4:].mean() > 0.9 and pets.train.x[0, :, :, :4].mean() < 0.1


def test_keeps_the_first_images_when_asked_and_caches_the_tensors(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    _write_tiny_pets(tmp_path, {"trainval": ["a_1", "a_2", "a_3"], "test": ["b_1", "b_2"]})
    pets = load_pets(size=8, n_train=2, n_test=1, download=False)
    assert len(pets.train) == 2 and len(pets.test) == 1
    assert list((tmp_path / "datasets").glob("oxford-pets-*.pt"))


def test_offline_without_a_copy_raises_a_clear_error(tmp_path, monkeypatch):
    from torchvision.datasets import OxfordIIITPet

    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    monkeypatch.setattr(OxfordIIITPet, "_RESOURCES", (("http://127.0.0.1:9/images.tar.gz", "0" * 32),))
    with pytest.raises(DatasetUnavailableError) as info:
        load_pets(size=16)
    message = str(info.value)
    assert "Could not get Oxford-IIIT Pet" in message and "shapes" in message and str(tmp_path) in message


def test_without_download_and_without_a_copy_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetUnavailableError, match="download=False"):
        load_pets(size=16, download=False)
