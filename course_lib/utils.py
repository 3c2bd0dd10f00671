"""Small utilities every layer of the library uses: the device, eval mode, batched inference, progress bars.

- ``resolve_device(device)``: ``None`` or a name -> a ``torch.device`` (``None``: the course's configured one).
- ``module_device(model)``: the device a model's parameters live on.
- ``with eval_mode(model):``: eval mode for a block (dropout off, batch norm on its running statistics), then
  the module's own mode back, also when the block raises.
- ``batched(fn, x, ..., model=model)``: ``fn`` over slices of its inputs, in eval mode under ``no_grad``,
  the results concatenated.
- ``progress(iterable)``: a ``tqdm.auto`` bar that stays quiet in CI.
"""
from __future__ import annotations

import os
from contextlib import contextmanager, nullcontext
from typing import Any, Callable, Iterable, Iterator, TypeVar

import torch
import torch.nn as nn
from tqdm.auto import tqdm

from .config import get_device


T = TypeVar("T")


# ---------------------------------------------------------------- devices

def resolve_device(device: torch.device | str | None = None) -> torch.device:
    """``device`` as a ``torch.device``; ``None`` means the course's configured device (``COURSE_DEVICE``)."""
    return device if isinstance(device, torch.device) else get_device(device)


def module_device(model: nn.Module) -> torch.device:
    """The device of ``model``'s first parameter (or buffer); the CPU for a module with neither."""
    for tensor in model.parameters():
        return tensor.device
    for tensor in model.buffers():
        return tensor.device
    return torch.device("cpu")


# ---------------------------------------------------------------- modes and inference

@contextmanager
def eval_mode(module: nn.Module) -> Iterator[nn.Module]:
    """Eval mode inside the block, the module's own mode back afterwards (also when the block raises)."""
    was_training = module.training
    module.eval()
    try:
        yield module
    finally:
        module.train(was_training)


def batched(
    fn: Callable[..., torch.Tensor],
    *tensors: torch.Tensor,
    batch_size: int = 500,
    model: nn.Module | None = None,
) -> torch.Tensor:
    """``torch.cat([fn(*slices) for each batch])`` under ``no_grad``, in eval mode when ``model`` is given.

    The slices are moved to ``model``'s device; ``batched(lambda xb: classifier(xb).argmax(1), images,
    model=classifier)`` predicts labels for any number of images.
    """
    if not tensors:
        raise ValueError("batched(fn, *tensors): give at least one tensor to slice")
    device = module_device(model) if model is not None else tensors[0].device
    starts = range(0, len(tensors[0]), batch_size) or [0]  # an empty input still gets one (empty) call
    with (eval_mode(model) if model is not None else nullcontext()), torch.no_grad():
        return torch.cat([fn(*(t[i:i + batch_size].to(device) for t in tensors)) for i in starts])


# ---------------------------------------------------------------- progress bars

def progress_enabled() -> bool:
    """False when ``COURSE_PROGRESS=0`` or when running in CI (``CI`` set)."""
    flag = os.environ.get("COURSE_PROGRESS")
    if flag is not None:
        return flag.strip().lower() not in ("0", "false", "no", "off", "")
    return not os.environ.get("CI")


def progress(iterable: Iterable[T] | None = None, **kwargs: Any) -> "tqdm[T]":
    """``tqdm.auto.tqdm`` that disables itself in CI; any tqdm keyword works."""
    kwargs.setdefault("disable", not progress_enabled())
    kwargs.setdefault("leave", False)
    kwargs.setdefault("dynamic_ncols", True)
    return tqdm(iterable, **kwargs)
