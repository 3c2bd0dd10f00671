"""A device-resident batch iterator: the whole dataset is one tensor on the device, batches are slices.

``torch.utils.data.DataLoader`` calls Python once per *sample*; for the small datasets of this course
that is most of the training time. Here each epoch draws one permutation, reorders the tensors once, and
yields contiguous slices: no per-sample Python work, no copies between host and device.
"""
from __future__ import annotations

from typing import Iterator

import torch


class Batches:
    """Iterate over aligned tensors in mini-batches: ``for x, y in Batches(x, y, batch_size=128): ...``."""

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int = 128,
        shuffle: bool = True,
        drop_last: bool = False,
        generator: torch.Generator | None = None,
    ) -> None:
        if not tensors:
            raise ValueError("Batches needs at least one tensor.")
        n = len(tensors[0])
        if any(len(t) != n for t in tensors):
            raise ValueError(f"all tensors must have the same length, got {[len(t) for t in tensors]}.")
        if len({t.device for t in tensors}) > 1:
            raise ValueError(f"all tensors must be on one device, got {[str(t.device) for t in tensors]}; use .to(device).")
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        self.tensors, self.n, self.batch_size = tensors, n, batch_size
        self.shuffle, self.drop_last, self.generator = shuffle, drop_last, generator

    def __len__(self) -> int:
        return self.n // self.batch_size if self.drop_last else -(-self.n // self.batch_size)

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        tensors = self.tensors
        if self.shuffle:
            order = torch.randperm(self.n, generator=self.generator).to(tensors[0].device)
            tensors = tuple(t[order] for t in tensors)  # one gather per epoch, then views
        for i in range(len(self)):
            yield tuple(t[i * self.batch_size : (i + 1) * self.batch_size] for t in tensors)

    @property
    def device(self) -> torch.device:
        return self.tensors[0].device
