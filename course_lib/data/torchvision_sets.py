"""Full MNIST and Fashion-MNIST through ``torchvision.datasets``, downloaded once into the data directory."""
from __future__ import annotations

import struct
from pathlib import Path

import torch

from ..config import data_dir
from .types import Dataset, Split

FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


class DatasetUnavailableError(RuntimeError):
    """A dataset is neither cached nor downloadable; the message names the offline alternative."""


def _dataset_class(name: str):
    from torchvision import datasets

    return {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[name]


def _open(name: str, root: Path, train: bool, download: bool):
    cls = _dataset_class(name)
    try:
        return cls(root=str(root), train=train, download=False)
    except RuntimeError:
        if not download:
            raise
    try:
        return cls(root=str(root), train=train, download=True)
    except Exception as err:  # URLError, socket errors, HTTP errors, checksum failures...
        folder = root / cls.__name__ / "raw"
        raise DatasetUnavailableError(
            f"Could not download {name!r} ({type(err).__name__}: {err}).\n"
            f"  Offline? Use the bundled dataset instead: load('mnist-5k') (5,000 real MNIST digits, no network needed).\n"
            f"  Or pre-fill the data directory on a machine with network: "
            f"COURSE_DATA_DIR={root} python -c \"from course_lib.data import load; load('{name}')\"\n"
            f"  then copy {folder} (the four *-idx?-ubyte files) to the same place here."
        ) from None


def load_torchvision(name: str, download: bool = True) -> Dataset:
    """``mnist`` or ``fashion-mnist`` as float images in [0, 1], N x 1 x 28 x 28, with torchvision's train/test split."""
    root = data_dir()
    splits = []
    for train in (True, False):
        ds = _open(name, root, train, download)
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
