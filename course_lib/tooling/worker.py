"""The worker: runs one learner's exercise cell in a sandbox and answers the grader's calls with data.

Started by the grader (``python -m course_lib.tooling.worker IN_FD OUT_FD``) inside the sandbox of
``sandbox.py``. It defines the learner's answer from the program it is sent, then serves requests:
``call`` (run the answer, or a method of a module it built, on the grader's arguments), ``grad``
(the gradient of a call's outputs, for the grader's backward pass) and ``forget``. Everything it
sends back is data (see ``wire.py``): the grader judges; this process only observes. The learner's
prints go nowhere, and the pipe to the grader is a file descriptor of its own.
"""
from __future__ import annotations

import linecache
import os
import pickle
import sys
import time
import traceback
from typing import Any

import torch
from torch import nn

from .wire import WireError, dump_data, read_frame, write_frame

SIMPLE = (int, float, bool, str, type(None))
MAX_GRAPHS = 64


def _tensors(obj: Any, found: list[torch.Tensor]) -> list[torch.Tensor]:
    """Every tensor argument, in the grader's order (``remote._prepare``), modules left out."""
    if isinstance(obj, torch.Tensor):
        found.append(obj)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _tensors(item, found)
    elif isinstance(obj, dict):
        for key in sorted(obj, key=str):
            _tensors(obj[key], found)
    return found


def _walk_inputs(obj: Any, found: list[torch.Tensor], modules: list[nn.Module], optimizers: list[Any]) -> None:
    """Collect, in a fixed order, the tensors that need gradients, the modules and the optimizers of ``obj``.

    The grader walks its own arguments in the same order (``remote.py``), so the two lists line up.
    """
    if isinstance(obj, torch.Tensor):
        if obj.requires_grad:
            found.append(obj)
    elif isinstance(obj, nn.Module):
        modules.append(obj)
        found.extend(p for p in obj.parameters() if p.requires_grad)
    elif isinstance(obj, torch.optim.Optimizer):
        optimizers.append(obj)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _walk_inputs(item, found, modules, optimizers)
    elif isinstance(obj, dict):
        for key in sorted(obj, key=str):
            _walk_inputs(obj[key], found, modules, optimizers)


class Worker:
    def __init__(self) -> None:
        self.objects: dict[int, Any] = {}
        self.graphs: dict[int, tuple[list[torch.Tensor], list[torch.Tensor]]] = {}
        self.next_id = 0

    def keep(self, obj: Any) -> int:
        self.next_id += 1
        self.objects[self.next_id] = obj
        return self.next_id

    # ------------------------------------------------ answers as data
    def module_view(self, module: nn.Module, handle: int) -> dict[str, Any]:
        own = {n for n in dir(nn.Module)}
        methods = sorted(n for n in dir(type(module)) if not n.startswith("_") and n not in own and callable(getattr(type(module), n, None)))
        attrs = {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training" and _simple(v)}
        return {
            "__module__": handle,
            "type": type(module).__name__,
            "training": module.training,
            "params": {n: p.detach().cpu() for n, p in module.named_parameters()},
            "requires_grad": {n: p.requires_grad for n, p in module.named_parameters()},
            "buffers": {n: b.detach().cpu() for n, b in module.named_buffers()},
            "children": [n for n, _ in module.named_modules() if n],
            "child_types": {n: _kind(m) for n, m in module.named_modules()},
            "child_attrs": {n: {k: v for k, v in vars(m).items() if not k.startswith("_") and k != "training" and _simple(v)}
                            for n, m in module.named_modules() if n},
            "methods": methods,
            "attrs": attrs,
        }

    def encode(self, obj: Any, outputs: list[torch.Tensor], depth: int = 0) -> Any:
        if depth > 20:
            return {"__opaque__": "a structure nested too deeply", "repr": ""}
        if isinstance(obj, torch.Tensor):
            index = -1
            if obj.requires_grad:
                outputs.append(obj)
                index = len(outputs) - 1
            return {"__tensor__": obj.detach().cpu().clone(), "device": str(obj.device), "grad": index,
                    "leaf": obj.is_leaf, "parameter": isinstance(obj, nn.Parameter)}
        if isinstance(obj, SIMPLE):
            return obj
        if isinstance(obj, torch.dtype):
            return {"__dtype__": str(obj).replace("torch.", "")}
        if isinstance(obj, torch.device):
            return {"__device__": str(obj)}
        if isinstance(obj, torch.Size):
            return {"__size__": list(obj)}
        if isinstance(obj, (list, tuple)):
            items = [self.encode(item, outputs, depth + 1) for item in obj[:10000]]
            return {"__tuple__": items} if isinstance(obj, tuple) else items
        if isinstance(obj, dict):
            return {"__dict__": [[self.encode(k, outputs, depth + 1), self.encode(v, outputs, depth + 1)] for k, v in list(obj.items())[:10000]]}
        if isinstance(obj, nn.Module):
            return self.module_view(obj, self.keep(obj))
        if callable(obj):
            return {"__callable__": self.keep(obj), "type": type(obj).__name__, "name": getattr(obj, "__name__", "")}
        try:
            text = repr(obj)[:200]
        except Exception:
            text = ""
        return {"__opaque__": type(obj).__name__, "repr": text}

    # ------------------------------------------------ requests
    def load(self, request: dict[str, Any]) -> dict[str, Any]:
        namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        problems, started = [], time.monotonic()
        for label, source in request["program"]:
            filename = f"<{label}>"
            linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
            try:
                exec(compile(source, filename, "exec"), namespace)
            except BaseException as err:  # the learner's cell may raise anything, SystemExit included
                problems.append({"label": label, "error": _error_text(err), "not_implemented": isinstance(err, NotImplementedError)})
        name, seconds = request["name"], time.monotonic() - started  # the program's own time, for the grading report
        if name not in namespace:
            return {"defined": False, "problems": problems, "seconds": seconds}
        answer = namespace[name]
        return {"defined": True, "problems": problems, "answer": self.encode(answer, []), "seconds": seconds}

    def _swap(self, module: nn.Module, params: dict[str, torch.Tensor], buffers: dict[str, torch.Tensor]) -> None:
        for table, values in (("_parameters", params), ("_buffers", buffers)):
            for name, value in values.items():
                owner_name, _, leaf = name.rpartition(".")
                owner = module.get_submodule(owner_name) if owner_name else module
                getattr(owner, table)[leaf] = value

    def call(self, request: dict[str, Any]) -> dict[str, Any]:
        target = self.objects[request["target"]]
        args, kwargs = request["args"], request["kwargs"]
        inputs: list[torch.Tensor] = []
        modules: list[nn.Module] = []
        optimizers: list[Any] = []
        if request.get("params") is not None:  # a module the learner built: the grader holds its parameters
            root = target
            params = {n: t.requires_grad_(rg) for n, (t, rg) in request["params"].items()}
            self._swap(root, params, request["buffers"])
            root.train(request["training"])
            inputs.extend(t for t in params.values() if t.requires_grad)
            target = root.get_submodule(request["path"]) if request["path"] else root
            if request["method"]:
                target = getattr(target, request["method"])
        _walk_inputs([args, kwargs], inputs, modules, optimizers)
        for module, grads in zip(modules, request.get("grads", [])):
            for param, grad in zip(module.parameters(), grads):
                param.grad = grad
        arguments = _tensors([args, kwargs], [])
        versions = [t._version for t in arguments]
        with torch.enable_grad():
            result = target(*args, **kwargs)
        outputs: list[torch.Tensor] = []
        answer = self.encode(result, outputs)
        call_id = self.keep(None)
        self.graphs[call_id] = (inputs, outputs)
        for old in sorted(self.graphs)[:-MAX_GRAPHS]:
            del self.graphs[old]
        reply: dict[str, Any] = {"result": answer, "call": call_id}
        reply["changed"] = [[i, t.detach().cpu()] for i, (t, v) in enumerate(zip(arguments, versions)) if t._version != v]
        if request.get("params") is not None:
            reply["buffers"] = {n: b.detach().cpu() for n, b in self.objects[request["target"]].named_buffers()}
        reply["modules"] = [{"state": {k: v.detach().cpu() for k, v in m.state_dict().items()},
                             "grads": {n: None if p.grad is None else p.grad.detach().cpu() for n, p in m.named_parameters()},
                             "training": m.training, "attrs": self.encode(_data_attrs(m), [])} for m in modules]
        reply["optimizers"] = [_cpu(opt.state_dict()) for opt in optimizers]
        return reply

    def grad(self, request: dict[str, Any]) -> dict[str, Any]:
        inputs, outputs = self.graphs[request["call"]]
        pairs = [(o, g.to(o.device)) for o, g in zip(outputs, request["grad_outputs"]) if g is not None]
        if not inputs or not pairs:
            return {"grads": [None] * len(inputs)}
        grads = torch.autograd.grad([o for o, _ in pairs], inputs, [g for _, g in pairs], allow_unused=True, retain_graph=True)
        return {"grads": [None if g is None else g.detach().cpu() for g in grads]}

    def serve(self, fd_in: int, fd_out: int) -> None:
        while True:
            try:
                frame = read_frame(fd_in)
            except WireError:
                return
            try:
                request = pickle.loads(frame)
                handler = {"load": self.load, "call": self.call, "grad": self.grad}[request["op"]]
                reply = {"ok": True, **handler(request)}
            except BaseException as err:  # the learner's code may raise anything; report it as data
                reply = {"ok": False, "error": _error_text(err), "type": type(err).__name__,
                         "not_implemented": _caused_by(err, NotImplementedError), "where": _where(err)}
            try:
                payload = dump_data(reply)
            except Exception as err:
                payload = dump_data({"ok": False, "error": f"the answer could not be sent back: {_error_text(err)}",
                                     "type": "TypeError", "not_implemented": False, "where": ""})
            write_frame(fd_out, payload)


def _simple(value: Any, depth: int = 0) -> bool:
    if isinstance(value, SIMPLE):
        return True
    return isinstance(value, tuple) and depth < 2 and len(value) < 16 and all(_simple(v, depth + 1) for v in value)


def _kind(module: nn.Module) -> str:
    """The class of a module: 'torch.nn.Conv2d' for torch's own layers (the grader mirrors those), else its name."""
    cls = type(module)
    if cls.__module__.startswith("torch.nn.modules") and getattr(nn, cls.__name__, None) is cls:
        return f"torch.nn.{cls.__name__}"
    return cls.__name__


def _data_attrs(module: nn.Module) -> dict[str, Any]:
    """The public attributes of a module the grader lent: what a spy recorded, say (data only)."""
    def is_data(value: Any, depth: int = 0) -> bool:
        if isinstance(value, (torch.Tensor, *SIMPLE)):
            return not isinstance(value, nn.Parameter)
        if isinstance(value, (list, tuple)) and depth < 4:
            return all(is_data(v, depth + 1) for v in value[:1000])
        if isinstance(value, dict) and depth < 4:
            return all(isinstance(k, str) and is_data(v, depth + 1) for k, v in value.items())
        return False

    return {k: v for k, v in vars(module).items() if not k.startswith("_") and k != "training" and is_data(v)}


def _cpu(obj: Any) -> Any:
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu()
    if isinstance(obj, dict):
        return {k: _cpu(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_cpu(v) for v in obj)
    return obj


def _error_text(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return f"{type(err).__name__}: {lines[0] if lines else ''}".rstrip(": ")[:300]


def _caused_by(err: BaseException | None, kind: type) -> bool:
    for _ in range(10):
        if err is None:
            return False
        if isinstance(err, kind):
            return True
        err = err.__cause__ or err.__context__
    return False


def _where(err: BaseException) -> str:
    """'line N in name: source' of the deepest frame of the learner's cell."""
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename.startswith("<exercise")]
    if not frames:
        return ""
    frame = frames[-1]
    return f"line {frame.lineno} in {frame.name}" + (f": {frame.line.strip()}" if frame.line else "")


def main() -> None:
    fd_in, fd_out = int(sys.argv[1]), int(sys.argv[2])
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # the learner's prints go nowhere: only the pipe speaks to the grader
    os.dup2(devnull, 2)
    torch.set_num_threads(max(1, min(4, torch.get_num_threads())))
    Worker().serve(fd_in, fd_out)


if __name__ == "__main__":
    main()
