"""Small assertions for exercise cases: each one fails with "expected ..., got ..." in words a learner reads.

Every helper returns its (checked) value, so they chain: ``expect_shape(expect_tensor(z, "z"), (5, 3), "z")``.
"""
from __future__ import annotations

from typing import Any, Sequence

import torch

from .registry import fail


def describe(x: Any) -> str:
    """A short description of ``x``: dtype, shape, device and a few values for tensors."""
    if isinstance(x, torch.Tensor):
        shape = " x ".join(map(str, x.shape)) or "scalar"
        text = f"a {str(x.dtype).replace('torch.', '')} tensor of shape {shape} on {x.device.type}"
        if 0 < x.numel() <= 6:
            text += f": {values(x)}"
        return text
    if x is None:
        return "None (did the function forget to return?)"
    text = repr(x)
    return f"a {type(x).__name__}" + (f" {text}" if len(text) < 60 else "")


def values(x: torch.Tensor, n: int = 6) -> str:
    """The first ``n`` values of a tensor, rounded: "[0.0, 0.5, 1.0, ...]"."""
    flat = x.detach().flatten()[:n].cpu().tolist()
    shown = ", ".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in flat)
    return f"[{shown}{', ...' if x.numel() > n else ''}]"


def expect_tensor(x: Any, what: str) -> torch.Tensor:
    """``x`` is a torch.Tensor."""
    if not isinstance(x, torch.Tensor):
        fail(f"{what} as a torch.Tensor", describe(x))
    return x


def expect_shape(x: torch.Tensor, shape: Sequence[int], what: str) -> torch.Tensor:
    """``x`` has exactly ``shape``."""
    expect_tensor(x, what)
    if tuple(x.shape) != tuple(shape):
        fail(f"{what} of shape {' x '.join(map(str, shape)) or 'scalar'}", describe(x))
    return x


def expect_dtype(x: torch.Tensor, dtype: torch.dtype, what: str) -> torch.Tensor:
    """``x`` has dtype ``dtype``."""
    expect_tensor(x, what)
    if x.dtype != dtype:
        fail(f"{what} of dtype {str(dtype).replace('torch.', '')}", describe(x))
    return x


def same_device(a: torch.device, b: torch.device) -> bool:
    """``cuda`` and ``cuda:0`` are the same device."""
    a, b = torch.device(a), torch.device(b)
    if a.type != b.type:
        return False
    return a.type == "cpu" or (a.index or 0) == (b.index or 0)


def expect_device(x: torch.Tensor, device: torch.device, what: str) -> torch.Tensor:
    """``x`` lives on ``device`` (the input's device: nothing may hard-code cuda or cpu)."""
    expect_tensor(x, what)
    if not same_device(x.device, device):
        fail(f"{what} on {torch.device(device).type}, like the input", describe(x))
    return x


def expect_close(got: Any, expected: torch.Tensor | float, what: str, atol: float = 1e-5, rtol: float = 1e-4) -> torch.Tensor:
    """``got`` equals ``expected`` within ``atol + rtol * |expected|`` everywhere (shapes must match)."""
    expected = torch.as_tensor(expected)
    got = expect_tensor(got, what)
    if got.shape != expected.shape:
        fail(f"{what} of shape {' x '.join(map(str, expected.shape)) or 'scalar'}", describe(got))
    got_f, want = got.detach().double().cpu(), expected.detach().double().cpu()
    if got_f.numel() and not torch.allclose(got_f, want, atol=atol, rtol=rtol, equal_nan=False):
        worst = int((got_f - want).abs().nan_to_num(float("inf")).flatten().argmax())
        fail(
            f"{what} = {values(want) if want.numel() <= 6 else 'the reference values'}",
            f"{values(got_f)}" if got_f.numel() <= 6 else
            f"a largest difference of {abs(got_f.flatten()[worst] - want.flatten()[worst]).item():.4g} "
            f"(element {worst}: {got_f.flatten()[worst].item():.4g} instead of {want.flatten()[worst].item():.4g})",
        )
    return got


def expect_equal(got: Any, expected: torch.Tensor, what: str) -> torch.Tensor:
    """``got`` equals ``expected`` exactly (same shape, same values; for integer or reshaped data)."""
    got = expect_shape(got, tuple(expected.shape), what)
    if not torch.equal(got.detach().cpu(), expected.detach().cpu().to(got.dtype)):
        bad = int((got.detach().cpu() != expected.detach().cpu().to(got.dtype)).flatten().nonzero()[0])
        fail(f"{what} equal to the reference everywhere",
             f"element {bad} is {got.flatten()[bad].item():.4g} instead of {expected.flatten()[bad].item():.4g}")
    return got
