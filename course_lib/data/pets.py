"""Oxford-IIIT Pet (Parkhi, Vedaldi, Zisserman & Jawahar 2012) for segmentation, through ``torchvision.datasets``.

Optional and online once: about 800 MB are downloaded into the data directory the first time (an instructor can
pre-fill it, or a shared folder: see :mod:`.layers`). Images are resized to ``size`` x ``size`` RGB in [0, 1];
the trimaps become masks with 0 background, 1 pet, 2 border (the thin uncertain band around the pet). The
converted tensors are cached.

    pets = load_pets(size=64)          # raises DatasetUnavailableError, with what to do, when offline
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F

from ..config import data_dir, shown_path
from .cache import cached
from .layers import data_layers, install_folder
from .torchvision_sets import DatasetUnavailableError
from .types import Dataset, Split

PET_CLASSES = ["background", "pet", "border"]
TRIMAP_TO_CLASS = {1: 1, 2: 0, 3: 2}  # trimap values: 1 pet, 2 background, 3 border


def _open(split: str, download: bool):
    """The split from the learner's data directory or a shared folder; else downloaded into the learner's."""
    from torchvision.datasets import OxfordIIITPet

    def open_in(root: Path):
        try:
            return OxfordIIITPet(str(root), split=split, target_types="segmentation", download=False)
        except RuntimeError:
            return None

    for root, _ in data_layers():
        ds = open_in(root)
        if ds is not None:
            return ds
    root = data_dir()
    if not download:
        raise DatasetUnavailableError(_message(root, "it is in no data folder and download=False"))
    try:
        root = install_folder(
            "oxford-iiit-pet",
            lambda staging: OxfordIIITPet(str(staging), split=split, target_types="segmentation", download=True),
            usable=lambda folder: open_in(folder) is not None,
        )
    except Exception as err:  # URLError, socket errors, HTTP errors, checksum failures...
        raise DatasetUnavailableError(_message(root, f"{type(err).__name__}: {err}")) from None
    return OxfordIIITPet(str(root), split=split, target_types="segmentation", download=False)


def _message(root: Path, why: str) -> str:
    return (
        f"Could not get Oxford-IIIT Pet ({why}).\n"
        f"  Offline? The rest of the course needs no network: load('shapes') and load('digit-scenes') are generated here.\n"
        f"  Or pre-fill the data directory on a machine with network: "
        f"COURSE_DATA_DIR={shown_path(root)} python -c \"from course_lib.data.pets import load_pets; load_pets()\"\n"
        f"  then copy {shown_path(root / 'oxford-iiit-pet')} (images/ and annotations/) to the same place here "
        f"(or, on a shared JupyterHub, to the instructor's shared folder, COURSE_SHARED_DATA_DIR)."
    )


def _to_tensors(ds, size: int, limit: int | None) -> Split:
    """Resize every image (bilinear, antialiased) and trimap (nearest) to size x size; masks as class indices."""
    import numpy as np

    n = len(ds) if limit is None else min(limit, len(ds))
    images, masks = [], []
    lut = torch.zeros(256, dtype=torch.int64)
    for value, cls in TRIMAP_TO_CLASS.items():
        lut[value] = cls
    for i in range(n):
        image, trimap = ds[i]
        x = torch.from_numpy(np.asarray(image.convert("RGB"), dtype=np.uint8).copy()).permute(2, 0, 1).float() / 255
        m = torch.from_numpy(np.asarray(trimap, dtype=np.uint8).copy()).long()
        images.append(F.interpolate(x[None], size=(size, size), mode="bilinear", antialias=True, align_corners=False)[0])
        masks.append(F.interpolate(m[None, None].float(), size=(size, size), mode="nearest")[0, 0].long())
    x = torch.stack(images).clamp_(0, 1) if images else torch.zeros(0, 3, size, size)
    y = lut[torch.stack(masks)] if masks else torch.zeros(0, size, size, dtype=torch.int64)
    return Split(x, y)


def load_pets(size: int = 64, n_train: int | None = None, n_test: int | None = None, download: bool = True) -> Dataset:
    """Oxford-IIIT Pet as ``Dataset("oxford-pets")``: x N x 3 x size x size in [0, 1], y N x size x size in {0, 1, 2}.

    ``n_train`` / ``n_test`` keep the first images of torchvision's ``trainval`` / ``test`` splits (all by default).
    Raises :class:`DatasetUnavailableError` with instructions when the data is neither cached nor downloadable.
    """
    if size < 8:
        raise ValueError(f"size: expected at least 8 pixels, got {size}.")

    def make() -> Dataset:
        train = _to_tensors(_open("trainval", download), size, n_train)
        test = _to_tensors(_open("test", download), size, n_test)
        return Dataset("oxford-pets", train, test, list(PET_CLASSES))

    return cached("oxford-pets", {"size": size, "n_train": n_train, "n_test": n_test}, make)
