"""Procedurally generated segmentation sets, deterministic for a seed.

- ``shapes``: circles, squares and triangles of random size, position and brightness on a noisy
  64 x 64 canvas; the mask says, per pixel, 0 background, 1 circle, 2 square, 3 triangle.
- ``digit-scenes``: two to four MNIST-5k digits on a 64 x 64 canvas (one per quadrant, jittered);
  the mask labels each pixel with its digit's class 0-9, or 10 for background. Train scenes use
  train digits and test scenes test digits, so the test set holds digits the model never saw.
"""
from __future__ import annotations

import torch

from .mnist5k import load_mnist5k
from .types import Dataset, Split

SHAPE_CLASSES = ["background", "circle", "square", "triangle"]
SCENE_CLASSES = [str(d) for d in range(10)] + ["background"]
SCENE_BACKGROUND = 10


def make_shapes(n: int, size: int = 64, max_shapes: int = 3, noise: float = 0.08, seed: int = 0) -> Split:
    """``n`` noisy images (n x 1 x size x size in [0, 1]) and their class masks (n x size x size)."""
    g = torch.Generator().manual_seed(seed)
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    yy, xx = torch.meshgrid(coords, coords, indexing="ij")
    image = torch.zeros(n, size, size)
    mask = torch.zeros(n, size, size, dtype=torch.int64)
    count = torch.randint(1, max_shapes + 1, (n,), generator=g)

    def uniform(lo: float | torch.Tensor, hi: float | torch.Tensor) -> torch.Tensor:
        return lo + (hi - lo) * torch.rand(n, generator=g)

    for k in range(max_shapes):  # later shapes are drawn on top of earlier ones
        kind = torch.randint(1, 4, (n,), generator=g)
        r = uniform(size * 0.09, size * 0.2)
        cx, cy = uniform(r, size - r), uniform(r, size - r)
        dx = xx - cx[:, None, None]
        dy = yy - cy[:, None, None]
        r_ = r[:, None, None]
        circle = dx**2 + dy**2 <= r_**2
        square = (dx.abs() <= 0.85 * r_) & (dy.abs() <= 0.85 * r_)
        triangle = (dy >= -r_) & (dy <= r_) & (dx.abs() <= (dy + r_) / 2)  # apex up, base 2r wide
        k_ = kind[:, None, None]
        inside = torch.where(k_ == 1, circle, torch.where(k_ == 2, square, triangle)) & (k < count)[:, None, None]
        brightness = uniform(0.45, 1.0)[:, None, None].expand_as(image)
        image = torch.where(inside, brightness, image)
        mask = torch.where(inside, k_, mask)
    image = (image + noise * torch.randn(image.shape, generator=g)).clamp_(0.0, 1.0)
    return Split(image.unsqueeze(1), mask)


def make_digit_scenes(digits: Split, n: int, size: int = 64, seed: int = 0, threshold: float = 0.3) -> Split:
    """``n`` scenes of 2-4 digits drawn from ``digits``; masks hold the digit class or 10 (background)."""
    if size < 56:
        raise ValueError(f"digit scenes need a canvas of at least 56 pixels (two digits side by side), got {size}.")
    g = torch.Generator().manual_seed(seed)
    image = torch.zeros(n, size, size)
    mask = torch.full((n, size, size), SCENE_BACKGROUND, dtype=torch.int64)
    cell = size // 2
    jitter = cell - 28
    for i in range(n):
        n_digits = int(torch.randint(2, 5, (1,), generator=g))
        quadrants = torch.randperm(4, generator=g)[:n_digits]
        picks = torch.randint(len(digits), (n_digits,), generator=g)
        for q, j in zip(quadrants.tolist(), picks.tolist()):
            top = (q // 2) * cell + int(torch.randint(jitter + 1, (1,), generator=g))
            left = (q % 2) * cell + int(torch.randint(jitter + 1, (1,), generator=g))
            digit = digits.x[j, 0]
            image[i, top : top + 28, left : left + 28] = digit
            mask[i, top : top + 28, left : left + 28][digit > threshold] = digits.y[j]
    return Split(image.unsqueeze(1), mask)


def load_shapes(n_train: int = 2000, n_test: int = 500, size: int = 64, seed: int = 0) -> Dataset:
    return Dataset(
        "shapes",
        make_shapes(n_train, size, seed=seed),
        make_shapes(n_test, size, seed=seed + 10_000),
        SHAPE_CLASSES,
    )


def load_digit_scenes(n_train: int = 2000, n_test: int = 500, size: int = 64, seed: int = 0) -> Dataset:
    mnist = load_mnist5k()
    return Dataset(
        "digit-scenes",
        make_digit_scenes(mnist.train, n_train, size, seed=seed),
        make_digit_scenes(mnist.test, n_test, size, seed=seed + 10_000),
        SCENE_CLASSES,
    )
