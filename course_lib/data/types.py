"""The two containers every dataset comes in: a ``Split`` (x, y) and a ``Dataset`` (train and test splits)."""
from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class Split:
    """Inputs ``x`` and targets ``y`` (labels, masks or mode indices) of one split, on one device."""

    x: torch.Tensor
    y: torch.Tensor

    def __post_init__(self) -> None:
        if len(self.x) != len(self.y):
            raise ValueError(f"x has {len(self.x)} items but y has {len(self.y)}; they must match.")

    def __len__(self) -> int:
        return len(self.x)

    def to(self, device: torch.device | str) -> "Split":
        return Split(self.x.to(device), self.y.to(device))

    def subset(self, n: int) -> "Split":
        """The first ``n`` items (the splits are already shuffled and stratified)."""
        return Split(self.x[:n], self.y[:n])

    def where(self, keep: torch.Tensor) -> "Split":
        """The items where the boolean mask ``keep`` (over items) is true, e.g. ``split.where(split.y != 9)``."""
        return Split(self.x[keep], self.y[keep])


@dataclass
class Dataset:
    """A named dataset with fixed train and test splits and the names of its classes."""

    name: str
    train: Split
    test: Split
    classes: list[str] = field(default_factory=list)

    def to(self, device: torch.device | str) -> "Dataset":
        return Dataset(self.name, self.train.to(device), self.test.to(device), list(self.classes))

    def __repr__(self) -> str:
        x = self.train.x
        return (
            f"Dataset({self.name!r}: train {len(self.train)}, test {len(self.test)}, "
            f"x {' x '.join(map(str, x.shape[1:]))} {str(x.dtype).replace('torch.', '')}, "
            f"{len(self.classes)} classes, on {x.device.type})"
        )
