"""Progress bars that show in notebooks and terminals and stay quiet in CI."""
from __future__ import annotations

import os
from typing import Any, Iterable, TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")


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
