"""Input checks that turn a deep torch traceback into one sentence: what was expected, what came."""
from __future__ import annotations

import contextlib
from typing import Iterator, Sequence

import torch

_trusted_depth = 0


@contextlib.contextmanager
def trusted() -> Iterator[None]:
    """Skip the value-range checks inside a training loop whose data was checked once up front.

    Shape and dtype checks stay on (they cost nothing); the range check reads the tensor's min and max,
    which on a GPU forces a copy back to the CPU and a wait on every batch.
    """
    global _trusted_depth
    _trusted_depth += 1
    try:
        yield
    finally:
        _trusted_depth -= 1


class CourseInputError(ValueError):
    """An argument has the wrong type, shape, dtype, device or range; the message says which and what to do."""


def describe(x: object) -> str:
    """A short description of a value, e.g. ``uint8 N x 28 x 28 on cpu``."""
    if isinstance(x, torch.Tensor):
        dtype = str(x.dtype).replace("torch.", "")
        dims = " x ".join(["N", *map(str, x.shape[1:])]) if x.dim() > 1 else (f"shape ({x.shape[0]},)" if x.dim() else "a scalar")
        return f"{dtype} {dims} on {x.device.type}"
    return type(x).__name__


def check_tensor(
    x: object,
    name: str,
    *,
    ndim: int | None = None,
    shape: Sequence[int | None] | None = None,
    floating: bool | None = None,
    integer: bool | None = None,
) -> torch.Tensor:
    """Check that ``x`` is a tensor with the given rank, shape (``None`` = any size) and kind of dtype."""
    if not isinstance(x, torch.Tensor):
        raise CourseInputError(f"{name}: expected a torch.Tensor, got {type(x).__name__}. Convert with torch.as_tensor(...).")
    if ndim is not None and x.dim() != ndim:
        raise CourseInputError(f"{name}: expected a tensor with {ndim} dimensions, got {describe(x)}.")
    if shape is not None:
        if x.dim() != len(shape) or any(s is not None and s != d for s, d in zip(shape, x.shape)):
            want = " x ".join("N" if s is None else str(s) for s in shape)
            raise CourseInputError(f"{name}: expected shape {want}, got {describe(x)}.")
    if floating and not x.is_floating_point():
        raise CourseInputError(f"{name}: expected a floating-point tensor, got {describe(x)}. Use x.float() (and divide uint8 pixels by 255).")
    if integer and (x.is_floating_point() or x.is_complex() or x.dtype == torch.bool):
        raise CourseInputError(f"{name}: expected an integer tensor (class indices), got {describe(x)}. Use y.long().")
    return x


def check_images(
    x: object,
    name: str = "images",
    *,
    shape: Sequence[int | None] = (1, 28, 28),
    value_range: tuple[float, float] | None = (0.0, 1.0),
) -> torch.Tensor:
    """Check a batch of images: float, shaped N x C x H x W (``None`` = any size), values inside ``value_range``."""
    want = " x ".join(["N", *("any" if s is None else str(s) for s in shape)])
    expected = f"expected images in [{value_range[0]:g}, {value_range[1]:g}] shaped {want}" if value_range else f"expected images shaped {want}"
    if not isinstance(x, torch.Tensor):
        raise CourseInputError(f"{name}: {expected}, got {type(x).__name__}.")
    ok_shape = x.dim() == len(shape) + 1 and all(s is None or s == d for s, d in zip(shape, x.shape[1:]))
    if not ok_shape or not x.is_floating_point():
        hint = " Divide uint8 pixels by 255 and add the channel axis with x.unsqueeze(1)." if not x.is_floating_point() or x.dim() == len(shape) else ""
        raise CourseInputError(f"{name}: {expected}, got {describe(x)}.{hint}")
    if value_range is not None and x.numel() and not _trusted_depth:
        lo, hi = float(x.detach().min()), float(x.detach().max())
        if lo < value_range[0] - 1e-6 or hi > value_range[1] + 1e-6:
            raise CourseInputError(f"{name}: {expected}, got values in [{lo:.3g}, {hi:.3g}].")
    return x


def check_same_device(*tensors: torch.Tensor, names: Sequence[str] | None = None) -> None:
    """All tensors live on one device (else say which is where, and how to move them)."""
    devices = {t.device for t in tensors}
    if len(devices) > 1:
        names = names or [f"argument {i}" for i in range(len(tensors))]
        where = ", ".join(f"{n} on {t.device}" for n, t in zip(names, tensors))
        raise CourseInputError(f"tensors are on different devices ({where}); move them with .to(device).")


def check_module_device(module: torch.nn.Module, x: torch.Tensor, name: str = "input") -> None:
    """The module's parameters and ``x`` are on the same device."""
    param = next(module.parameters(), None)
    if param is not None and param.device != x.device:
        raise CourseInputError(
            f"{name} is on {x.device} but {type(module).__name__} is on {param.device}; use x.to(cfg.device) and model.to(cfg.device)."
        )
