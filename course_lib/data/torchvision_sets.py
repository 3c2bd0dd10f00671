"""Full MNIST and Fashion-MNIST through ``torchvision.datasets``, downloaded once into the data directory.

A copy is looked for in the learner's data directory, then in the instructor's shared folders; only when
there is none is it downloaded, into a fresh folder that is moved into the learner's data directory when
complete (:func:`.layers.install_folder`), so an interrupted or concurrent download never leaves half a dataset.
"""
from __future__ import annotations

import struct
from pathlib import Path

import torch

from ..config import data_dir, shown_path
from .layers import data_layers, install_folder
from .types import Dataset, Split

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither cached nor downloadable; the message names the offline alternative."""


def _dataset_class(name: str):
    from torchvision import datasets

    return {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[name]


def _open_in(cls, root: Path, train: bool):
    """The split from the copy under ``root``, or ``None`` when there is none (or not a whole one)."""
    try:
        return cls(root=str(root), train=train, download=False)
    except RuntimeError:
        return None


def _open(name: str, train: bool, download: bool):
    cls = _dataset_class(name)
    for root, _ in data_layers():
        ds = _open_in(cls, root, train)
        if ds is not None:
            return ds
    root = data_dir()
    if not download:
        raise DatasetUnavailableError(_unavailable(name, root, "it is in no data folder and download=False"))
    try:
        root = install_folder(
            cls.__name__,
            lambda staging: cls(root=str(staging), train=train, download=True),
            usable=lambda folder: _open_in(cls, folder, train) is not None,
        )
    except Exception as err:  # URLError, socket errors, HTTP errors, checksum failures...
        raise DatasetUnavailableError(_unavailable(name, root, f"{type(err).__name__}: {err}", download=True)) from None
    return cls(root=str(root), train=train, download=False)


def _unavailable(name: str, root: Path, why: str, download: bool = False) -> str:
    folder = root / _dataset_class(name).__name__ / "raw"
    return (
        f"Could not {'download' if download else 'load'} {name!r} ({why}).\n"
        f"  Offline? Use the bundled dataset instead: load('mnist-5k') (5,000 real MNIST digits, no network needed).\n"
        f"  Or pre-fill the data directory on a machine with network: "
        f"COURSE_DATA_DIR={shown_path(root)} python -c \"from course_lib.data import load; load('{name}')\"\n"
        f"  then copy {shown_path(folder)} (the four *-idx?-ubyte files) to the same place here "
        f"(or, on a shared JupyterHub, to the instructor's shared folder, COURSE_SHARED_DATA_DIR)."
    )


def load_torchvision(name: str, download: bool = True) -> Dataset:
    """``mnist`` or ``fashion-mnist`` as float images in [0, 1], N x 1 x 28 x 28, with torchvision's train/test split."""
    splits = []
    for train in (True, False):
        ds = _open(name, train, download)
        x = ds.data.unsqueeze(1).to(torch.float32).div_(255.0)
        splits.append(Split(x, ds.targets.to(torch.int64)))
    classes = FASHION_CLASSES if name == "fashion-mnist" else [str(d) for d in range(10)]
    return Dataset(name, splits[0], splits[1], classes)


def write_idx(folder: Path, prefix: str, images: torch.Tensor, labels: torch.Tensor) -> None:
    """Write uint8 ``images`` (N x 28 x 28) and ``labels`` (N) as the raw IDX files torchvision reads,
    ``<prefix>-images-idx3-ubyte`` and ``<prefix>-labels-idx1-ubyte`` (prefix ``train`` or ``t10k``)."""
    folder.mkdir(parents=True, exist_ok=True)
    for stem, array, magic in (("images-idx3", images, 0x0803), ("labels-idx1", labels, 0x0801)):
        array = array.to(torch.uint8).contiguous()
        header = struct.pack(">I", magic) + b"".join(struct.pack(">I", d) for d in array.shape)
        (folder / f"{prefix}-{stem}-ubyte").write_bytes(header + array.numpy().tobytes())
