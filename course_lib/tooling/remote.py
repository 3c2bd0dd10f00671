"""The grader's side of a learner's answer: proxies that look like the answer and only send data.

A case (``course_lib.exercises``) receives a :class:`RemoteCallable` where it used to receive the
learner's function or class. Calling it sends the arguments to the worker (``worker.py``), which runs
the learner's code there and answers with data; the case judges that data here, in the grader's own
process, where nothing the learner wrote has run. So the case-authoring API is unchanged: a case calls
the candidate and looks at what comes back.

- Tensors come back as tensors; when they carry a graph in the worker, they come back attached to a
  remote autograd node, so ``loss.backward()`` here asks the worker for the gradients of the inputs.
- An ``nn.Module`` the learner's code builds comes back as a :class:`RemoteModule`: its parameters and
  buffers live here (an optimizer, ``state_dict``, ``.to``, ``deepcopy`` all work as usual); its
  ``forward`` and methods run in the worker on those parameters, sent with every call.
- A model or optimizer that a case passes to the learner's code travels by value; what the learner's
  code did to it (new parameters, gradients, optimizer state) comes back as data and is applied here.
"""
from __future__ import annotations

import functools
import time
from typing import Any

import torch
from torch import nn

from .sandbox import CaseTimeout, WorkerDied


class LearnerError(Exception):
    """The learner's code raised in the worker; the case reports it like a local exception."""

    where = ""


_ERROR_TYPES: dict[str, type] = {}


def learner_error(reply: dict[str, Any]) -> Exception:
    """An exception of the learner's error type (by name), carrying its message."""
    if reply.get("not_implemented"):
        return NotImplementedError(reply.get("error", ""))
    name = str(reply.get("type", "Error"))
    if not name.isidentifier():
        name = "Error"
    kind = _ERROR_TYPES.setdefault(name, type(name, (LearnerError,), {}))
    err = kind(str(reply.get("error", "")).split(": ", 1)[-1])
    err.where = str(reply.get("where", ""))
    return err


class Channel:
    """The grader's line to one worker running one exercise's program; restarts it after a kill."""

    def __init__(self, sandbox: Any, program: list[tuple[str, str]], name: str, timeout: float,
                 blocked: dict[str, list[str]] | None = None, message: str = "") -> None:
        self.sandbox, self.program, self.name, self.timeout = sandbox, program, name, timeout
        self.blocked, self.message = blocked or {}, message
        self.worker = None
        self.generation = 0
        self.deadline = time.monotonic() + timeout
        self.loaded: dict[str, Any] | None = None
        self.load_seconds = 0.0  # starting workers and running the program, in the grader's clock
        self.program_seconds = 0.0  # of which running the program (as the worker reports it; capped)

    def start_case(self) -> None:
        """A fresh time budget for the next case (and a fresh worker if the last one was killed)."""
        self.deadline = time.monotonic() + self.timeout
        if self.worker is None or not self.worker.alive:
            self._start()

    def _start(self) -> None:
        started = time.monotonic()
        if self.worker is not None:
            self.worker.kill()
        self.generation += 1
        self.worker = self.sandbox.start(self.blocked, self.message)
        self.loaded = self.request({"op": "load", "program": self.program, "name": self.name},
                                   budget=max(self.timeout, 60.0))
        spent = time.monotonic() - started
        self.load_seconds += spent
        reported = self.loaded.get("seconds") if isinstance(self.loaded, dict) else None
        self.program_seconds += min(max(float(reported), 0.0), spent) if isinstance(reported, (int, float)) else 0.0

    def request(self, message: dict[str, Any], budget: float | None = None) -> dict[str, Any]:
        left = budget if budget is not None else self.deadline - time.monotonic()
        if left <= 0:
            self.worker.kill()
            raise CaseTimeout(f"ran past the {self.timeout:g} s time limit")
        try:
            reply = self.worker.request(message, left)
        except CaseTimeout:
            raise CaseTimeout(f"ran past the {self.timeout:g} s time limit (an endless loop?); the process was stopped") from None
        if not isinstance(reply, dict) or "ok" not in reply:
            self.worker.kill()
            raise WorkerDied("the process running your code answered out of turn")
        return reply

    def close(self) -> None:
        if self.worker is not None:
            self.worker.kill()

    def answer(self) -> Any:
        """The learner's object as the grader sees it, or ``MISSING``."""
        self.start_case()
        if not self.loaded["ok"]:
            raise learner_error(self.loaded)
        if not self.loaded.get("defined"):
            return MISSING
        return decode(self, self.loaded["answer"], [])


MISSING = object()


# ---------------------------------------------------------------- calls, with gradients

class _Remote(torch.autograd.Function):
    """Outputs computed in the worker; their backward pass is computed there too."""

    @staticmethod
    def forward(ctx: Any, link: dict[str, Any], dummy: torch.Tensor, *inputs: torch.Tensor) -> tuple[torch.Tensor, ...]:
        ctx.link, ctx.n_inputs = link, len(inputs)
        outputs = tuple(t.clone() for t in link["outputs"])
        return outputs

    @staticmethod
    def backward(ctx: Any, *grad_outputs: torch.Tensor) -> tuple[Any, ...]:
        link = ctx.link
        channel = link["channel"]
        if channel.generation != link["generation"]:
            raise RuntimeError("the process that computed these outputs was stopped; their gradient is lost")
        reply = channel.request({"op": "grad", "call": link["call"], "grad_outputs": [g.detach() for g in grad_outputs]})
        if not reply["ok"]:
            raise learner_error(reply)
        grads = reply["grads"]
        if not isinstance(grads, list) or len(grads) != ctx.n_inputs:
            raise RuntimeError("the worker sent gradients that do not match the inputs")
        targets = link["inputs"]
        out = []
        for g, t in zip(grads, targets):
            if g is None:
                out.append(None)
            elif not isinstance(g, torch.Tensor) or g.shape != t.shape:
                raise RuntimeError("the worker sent a gradient of the wrong shape")
            else:
                out.append(g.to(device=t.device, dtype=t.dtype))
        return (None, None, *out)


def _prepare(obj: Any, inputs: list[torch.Tensor], modules: list[nn.Module], optimizers: list[Any]) -> Any:
    """A picklable copy of the arguments, walking them in the worker's order (``worker._walk_inputs``)."""
    if isinstance(obj, RemoteModule):
        raise TypeError("the grader cannot hand a module your code built back to your code")
    if isinstance(obj, torch.Tensor):
        if obj.requires_grad:
            inputs.append(obj)
            return obj.detach().requires_grad_(True)
        return obj.detach()
    if isinstance(obj, nn.Module):
        modules.append(obj)
        inputs.extend(p for p in obj.parameters() if p.requires_grad)
        return obj
    if isinstance(obj, torch.optim.Optimizer):
        optimizers.append(obj)
        return obj
    if isinstance(obj, (list, tuple)):
        items = [_prepare(item, inputs, modules, optimizers) for item in obj]
        return tuple(items) if isinstance(obj, tuple) else items
    if isinstance(obj, dict):
        prepared = {}
        for key in sorted(obj, key=str):
            prepared[key] = _prepare(obj[key], inputs, modules, optimizers)
        return {k: prepared[k] for k in obj}
    return obj


def _tensors(obj: Any, found: list[torch.Tensor]) -> list[torch.Tensor]:
    """Every tensor argument, in the worker's order (``worker._tensors``), modules left out."""
    if isinstance(obj, RemoteModule | nn.Module) or isinstance(obj, torch.optim.Optimizer):
        return found
    if isinstance(obj, torch.Tensor):
        found.append(obj)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _tensors(item, found)
    elif isinstance(obj, dict):
        for key in sorted(obj, key=str):
            _tensors(obj[key], found)
    return found


def remote_call(channel: Channel, target: int, args: tuple, kwargs: dict, *, mirror: "RemoteModule | None" = None,
                method: str | None = None) -> Any:
    """Run the worker's object ``target`` (or a method of the module ``mirror`` stands for) on data."""
    inputs: list[torch.Tensor] = []
    modules: list[nn.Module] = []
    optimizers: list[Any] = []
    message: dict[str, Any] = {"op": "call", "target": target}
    if mirror is not None:
        root = mirror._remote_root
        params = dict(root.named_parameters())
        message.update(params={n: (p.detach(), p.requires_grad) for n, p in params.items()},
                       buffers={n: b.detach() for n, b in root.named_buffers()},
                       training=root.training, path=mirror._remote_path, method=method)
        inputs.extend(p for p in params.values() if p.requires_grad)
    message["args"], message["kwargs"] = _prepare([list(args), kwargs], inputs, modules, optimizers)
    arguments = _tensors([list(args), kwargs], [])
    # gradients do not travel with a pickled parameter: a model lent to the learner's code keeps its .grad
    message["grads"] = [[None if p.grad is None else p.grad.detach() for p in m.parameters()] for m in modules]
    if channel.worker is None or not channel.worker.alive:
        raise WorkerDied("the process running your code was stopped earlier in this check")
    generation = channel.generation
    reply = channel.request(message)
    if not reply["ok"]:
        raise learner_error(reply)
    _write_back(reply, modules, optimizers, mirror)
    with torch.no_grad():  # a tensor argument the learner's code changed in place changes here too
        for index, value in reply.get("changed", []):
            if isinstance(index, int) and 0 <= index < len(arguments) and isinstance(value, torch.Tensor) \
                    and value.shape == arguments[index].shape:
                arguments[index].copy_(value.to(arguments[index].device, arguments[index].dtype))
    raw: dict[int, torch.Tensor] = {}
    _collect(reply["result"], raw)
    device = next((t.device for t in inputs), None) or _first_device([args, kwargs])
    outputs: dict[int, torch.Tensor] = {}
    if raw:
        order = sorted(raw)
        link = {"channel": channel, "generation": generation, "call": reply["call"], "inputs": inputs,
                "outputs": [_place(raw[i], device) for i in order]}
        dummy = torch.zeros((), requires_grad=True)
        attached = _Remote.apply(link, dummy, *inputs)
        outputs = dict(zip(order, attached))
    return decode(channel, reply["result"], [], outputs, device)


def _first_device(obj: Any) -> torch.device | None:
    if isinstance(obj, torch.Tensor):
        return obj.device
    if isinstance(obj, nn.Module):
        return next((p.device for p in obj.parameters()), None)
    if isinstance(obj, (list, tuple)):
        return next((d for d in map(_first_device, obj) if d is not None), None)
    if isinstance(obj, dict):
        return _first_device(list(obj.values()))
    return None


def _place(data: dict[str, Any], device: torch.device | None) -> torch.Tensor:
    tensor = data["__tensor__"]
    if not isinstance(tensor, torch.Tensor):
        raise WorkerDied("it sent back something that is not a tensor")
    wanted = torch.device(data.get("device", "cpu")) if device is None else device
    if wanted.type != "cpu" and str(data.get("device", "cpu")).split(":")[0] == "cpu":
        wanted = torch.device("cpu")  # the answer put it on the CPU: the case sees that
    return tensor.to(wanted)


def _collect(data: Any, raw: dict[int, torch.Tensor]) -> None:
    if isinstance(data, dict):
        if "__tensor__" in data:
            if isinstance(data.get("grad"), int) and data["grad"] >= 0:
                raw[data["grad"]] = data
            return
        for value in data.values():
            _collect(value, raw)
    elif isinstance(data, list):
        for item in data:
            _collect(item, raw)


def _write_back(reply: dict[str, Any], modules: list[nn.Module], optimizers: list[Any], mirror: "RemoteModule | None") -> None:
    """Apply to the grader's model and optimizer what the learner's code did to its copies."""
    for module, state in zip(modules, reply.get("modules", [])):
        try:
            with torch.no_grad():
                module.load_state_dict({k: v.to(t.device) for (k, v), t in zip(state["state"].items(), module.state_dict().values())})
        except Exception as err:
            raise LearnerError(f"your code changed the model it was given in a way the grader cannot follow ({err})") from None
        for name, param in module.named_parameters():
            grad = state["grads"].get(name)
            param.grad = None if grad is None else grad.to(device=param.device, dtype=param.dtype)
        module.train(bool(state.get("training", module.training)))
        for key, value in decode(None, state.get("attrs", {}), []).items():
            if not isinstance(key, str) or not key.isidentifier() or key.startswith("_") or hasattr(type(module), key):
                continue
            if key in vars(module) or not hasattr(module, key):  # data attributes only, never a layer or a parameter
                setattr(module, key, value)  # what a spy module recorded while the learner's code used it
    for optimizer, state in zip(optimizers, reply.get("optimizers", [])):
        try:
            optimizer.load_state_dict(state)
        except Exception as err:
            raise LearnerError(f"your code changed the optimizer it was given in a way the grader cannot follow ({err})") from None
    if mirror is not None and "buffers" in reply:
        root = mirror._remote_root
        with torch.no_grad():
            for name, buffer in root.named_buffers():
                new = reply["buffers"].get(name)
                if isinstance(new, torch.Tensor) and new.shape == buffer.shape:
                    buffer.copy_(new.to(buffer.device))


# ---------------------------------------------------------------- what comes back

_DTYPES = {str(d).replace("torch.", ""): d for d in vars(torch).values() if isinstance(d, torch.dtype)}


class Opaque:
    """An object that cannot travel as data (the worker's description of it)."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind, self.text = kind, text

    def __repr__(self) -> str:
        return self.text or f"<{self.kind}>"


def decode(channel: Channel, data: Any, path: list, outputs: dict[int, torch.Tensor] | None = None,
           device: torch.device | None = None) -> Any:
    """Rebuild the worker's answer here from data."""
    outputs = outputs or {}
    if isinstance(data, list):
        return [decode(channel, item, path, outputs, device) for item in data]
    if not isinstance(data, dict):
        return data
    if "__tensor__" in data:
        index = data.get("grad", -1)
        return outputs[index] if index in outputs else _place(data, device)
    if "__tuple__" in data:
        return tuple(decode(channel, item, path, outputs, device) for item in data["__tuple__"])
    if "__dict__" in data:
        return {_key(decode(channel, k, path, outputs, device)): decode(channel, v, path, outputs, device) for k, v in data["__dict__"]}
    if "__dtype__" in data:
        return _DTYPES.get(data["__dtype__"], Opaque("dtype", data["__dtype__"]))
    if "__device__" in data:
        return torch.device(data["__device__"])
    if "__size__" in data:
        return torch.Size(int(v) for v in data["__size__"])
    if "__module__" in data:
        return RemoteModule.build(channel, data, device)
    if "__callable__" in data:
        return RemoteCallable(channel, int(data["__callable__"]), str(data.get("name", "")), str(data.get("type", "")))
    if "__opaque__" in data:
        return Opaque(str(data["__opaque__"]), str(data.get("repr", "")))
    return {k: decode(channel, v, path, outputs, device) for k, v in data.items()}


def _key(value: Any) -> Any:
    try:
        hash(value)
        return value
    except TypeError:
        return repr(value)


class RemoteCallable:
    """The learner's function or class (or a callable its code returned), in the worker."""

    def __init__(self, channel: Channel, handle: int, name: str, kind: str) -> None:
        self._channel, self._handle, self._generation = channel, handle, channel.generation
        self.__name__ = self.__qualname__ = name or "answer"
        self._kind = kind

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        channel = self._channel
        if channel.generation != self._generation:
            if self._handle != channel.loaded.get("answer", {}).get("__callable__"):
                raise WorkerDied("the process running your code was stopped earlier in this check")
            self._generation = channel.generation  # the answer itself: reloaded in the new process
        return remote_call(channel, self._handle, args, kwargs)

    def __repr__(self) -> str:
        return f"<your {self._kind or 'callable'} {self.__name__}>"


class RemoteModule(nn.Module):
    """A module the learner's code built: parameters and buffers here, forward and methods in the worker."""

    @classmethod
    def build(cls, channel: Channel, view: dict[str, Any], device: torch.device | None) -> "RemoteModule":
        kinds = view.get("child_types", {})
        root = _mirror_class(kinds.get("", ""))(channel, int(view["__module__"]), "", view)
        object.__setattr__(root, "_remote_root", root)
        nodes = {"": root}
        for child in view.get("children", []):
            parent, _, leaf = child.rpartition(".")
            node = _mirror_class(kinds.get(child, ""))(channel, int(view["__module__"]), child,
                                                       {"type": kinds.get(child, "Module"), "attrs": view.get("child_attrs", {}).get(child, {})})
            object.__setattr__(node, "_remote_root", root)
            nodes[parent].add_module(leaf, node)
            nodes[child] = node
        for name, tensor in view.get("params", {}).items():
            owner, _, leaf = name.rpartition(".")
            if owner in nodes:
                nodes[owner].register_parameter(leaf, nn.Parameter(_place({"__tensor__": tensor}, device),
                                                                   requires_grad=bool(view["requires_grad"].get(name, True))))
        for name, tensor in view.get("buffers", {}).items():
            owner, _, leaf = name.rpartition(".")
            if owner in nodes:
                nodes[owner].register_buffer(leaf, _place({"__tensor__": tensor}, device))
        root.train(bool(view.get("training", True)))
        return root

    def __init__(self, channel: Channel, handle: int, path: str, view: dict[str, Any]) -> None:
        nn.Module.__init__(self)  # not the torch layer's own __init__ (a mirror of nn.Conv2d has no arguments)
        object.__setattr__(self, "_remote_channel", channel)
        object.__setattr__(self, "_remote_handle", handle)
        object.__setattr__(self, "_remote_path", path)
        object.__setattr__(self, "_remote_type", str(view.get("type", "Module")))
        object.__setattr__(self, "_remote_methods", tuple(view.get("methods", ())))
        for key, value in view.get("attrs", {}).items():
            if isinstance(key, str) and key.isidentifier() and not key.startswith("_") and not hasattr(type(self), key):
                object.__setattr__(self, key, tuple(value) if isinstance(value, list) else value)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        return remote_call(self._remote_channel, self._remote_handle, args, kwargs, mirror=self)

    def __getattr__(self, name: str) -> Any:
        try:
            return super().__getattr__(name)
        except AttributeError:
            if name in self.__dict__.get("_remote_methods", ()):
                return lambda *args, **kwargs: remote_call(self._remote_channel, self._remote_handle, args, kwargs,
                                                           mirror=self, method=name)
            raise

    def extra_repr(self) -> str:
        return f"your {self._remote_type}"


@functools.lru_cache(maxsize=None)
def _mirror_class(kind: str) -> type:
    """RemoteModule, or for torch's own layers a RemoteModule that is also an ``nn.Conv2d`` (for isinstance)."""
    layer = getattr(nn, kind.rsplit(".", 1)[-1], None) if kind.startswith("torch.nn.") else None
    if not (isinstance(layer, type) and issubclass(layer, nn.Module)):
        return RemoteModule
    return type(layer.__name__, (RemoteModule, layer), {"forward": RemoteModule.forward, "extra_repr": RemoteModule.extra_repr,
                                                         "__getattr__": RemoteModule.__getattr__})
