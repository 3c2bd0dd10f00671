"""The wire between the grader (trusted) and the worker that runs a learner's code (untrusted).

Frames are an 8-byte length and a payload. The grader writes pickles (its own data: the worker may
read them); the worker writes ``torch.save`` payloads that the grader reads with
``torch.load(weights_only=True)``, which builds only tensors, numbers, strings and containers, never
an object of the worker's choosing. Nothing here imports the rest of ``course_lib``: this module and
``worker.py`` are all of the tooling that a worker's copy of the library holds.
"""
from __future__ import annotations

import io
import os
import pickle
import struct
import textwrap
from typing import Any

import torch

HEADER = struct.Struct("<Q")
MAX_FRAME = 512 * 2**20  # the grader reads no answer bigger than this


class WireError(Exception):
    """The other side closed the pipe, sent too much, or sent something that is not a frame."""


def _read_exactly(fd: int, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise WireError("the other side closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_frame(fd: int, payload: bytes) -> None:
    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def read_frame(fd: int, limit: int = MAX_FRAME) -> bytes:
    (size,) = HEADER.unpack(_read_exactly(fd, HEADER.size))
    if size > limit:
        raise WireError(f"a message of {size} bytes (the limit is {limit})")
    return _read_exactly(fd, size)


def dump_data(obj: Any) -> bytes:
    """What the worker sends: tensors, numbers, strings, None and containers of them."""
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()


def load_data(payload: bytes) -> Any:
    """Read what a worker sent, building nothing but data (``weights_only=True``)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a payload in another pickle protocol is refused or read, never announced
        return torch.load(io.BytesIO(payload), weights_only=True, map_location="cpu")


# ---------------------------------------------------------------- the grader's own helpers, sent by source

class _SourcePickler(pickle.Pickler):
    """Pickles the grader's case helpers (functions and classes of ``course_lib.exercises``) by source.

    The worker's copy of the library has no ``course_lib.exercises`` (no references, no cases), so a
    helper module-level function or nn.Module class the grader hands to a learner's code (a loss
    function, a tiny critic) travels as its source text and is rebuilt there.
    """

    def reducer_override(self, obj: Any) -> Any:
        module = getattr(obj, "__module__", "") or ""
        if isinstance(obj, type) or callable(obj) and hasattr(obj, "__code__"):
            if module.startswith("course_lib.exercises") or module.startswith("course_hidden_cases"):
                return rebuild_from_source, (module, obj.__qualname__, source_bundle(obj))
        return NotImplemented


def dump_request(obj: Any) -> bytes:
    buffer = io.BytesIO()
    _SourcePickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    return buffer.getvalue()


def source_bundle(obj: Any) -> list[str]:
    """The source of ``obj`` and of the module-level functions and classes of its module that it uses."""
    import inspect

    module = inspect.getmodule(obj)
    seen: dict[str, str] = {}

    def add(item: Any) -> None:
        name = item.__name__
        if name in seen:
            return
        seen[name] = textwrap.dedent(inspect.getsource(item))
        import ast

        code_names = {n.id for n in ast.walk(ast.parse(seen[name])) if isinstance(n, ast.Name)}
        code_names |= {n.attr for n in ast.walk(ast.parse(seen[name])) if isinstance(n, ast.Attribute)}
        for other in sorted(code_names):
            value = getattr(module, other, None)
            if (isinstance(value, type) or inspect.isfunction(value)) and getattr(value, "__module__", None) == module.__name__:
                add(value)

    add(obj)
    return [_module_imports(module)] + list(reversed(seen.values()))


def _module_imports(module: Any) -> str:
    """The import lines of ``module`` that a helper may use, made absolute (``from ..losses`` -> ``course_lib.losses``).

    Imports from ``course_lib.exercises`` itself are left out: the worker has none.
    """
    import ast
    import inspect

    lines = []
    package = (module.__package__ or "").split(".")
    for node in ast.parse(inspect.getsource(module)).body:
        if isinstance(node, ast.Import):
            lines.append(ast.unparse(node))
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            name = ".".join(base + ([node.module] if node.module else []))
            if name.startswith("course_lib.exercises") or name == "__future__":
                continue
            lines.append(ast.unparse(ast.ImportFrom(module=name, names=node.names, level=0)))
    return "\n".join(f"try:\n    {line}\nexcept ImportError:\n    pass" for line in lines)


_REBUILT: dict[tuple[str, str], Any] = {}


def rebuild_from_source(module: str, qualname: str, sources: list[str]) -> Any:
    """(In the worker) define a grader helper from its source, once per name."""
    key = (module, qualname)
    if key not in _REBUILT:
        import math

        import torch.nn.functional as F
        from torch import nn

        namespace: dict[str, Any] = {"__name__": module, "torch": torch, "nn": nn, "F": F, "math": math}
        for source in sources:
            exec(compile(source, f"<grader helper {module}>", "exec"), namespace)
        _REBUILT[key] = namespace[qualname.split(".")[-1]]
    return _REBUILT[key]
