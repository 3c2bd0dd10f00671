"""Small pieces shared by the training helpers: optimizers with an optional one-cycle schedule, seeding, inputs."""
from __future__ import annotations

from typing import Callable

import torch

from ..data.types import Split
from ..utils import eval_mode, module_device
from ..input_checks import CourseInputError, check_tensor, trusted
from .engine import History, fit


def as_split(data: Split | torch.Tensor, name: str, targets: bool = False) -> Split:
    """Accept a :class:`Split` or a bare tensor of inputs (then y is unused and set to x)."""
    if isinstance(data, Split):
        return data
    if isinstance(data, torch.Tensor):
        if targets:
            raise CourseInputError(f"{name}: expected a Split(x, y) with targets y, got a bare tensor; use course_lib.data.Split(x, y).")
        return Split(data, data)
    raise CourseInputError(f"{name}: expected a course_lib.data.Split (e.g. load('mnist-5k').train) or a tensor, got {type(data).__name__}.")


def make_optimizer(
    params, lr: float, steps: int, schedule: str | None = "onecycle", betas: tuple[float, float] = (0.9, 0.999), weight_decay: float = 0.0
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler | None]:
    """Adam, with a one-cycle learning-rate schedule over ``steps`` (warm-up then cosine decay) or a constant rate."""
    if schedule not in (None, "onecycle"):
        raise CourseInputError(f"schedule: expected 'onecycle' or None, got {schedule!r}.")
    optimizer = torch.optim.Adam(params, lr=lr, betas=betas, weight_decay=weight_decay)
    if schedule is None or steps < 1:
        return optimizer, None
    return optimizer, torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=steps, pct_start=0.2)


def seeded_generator(seed: int | None) -> torch.Generator | None:
    """Seed torch (noise, initialisation of anything created later) and return a CPU generator for the batch order."""
    if seed is None:
        return None
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def check_positive(**values: float) -> None:
    for key, value in values.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
            raise CourseInputError(f"{key}: expected a positive number, got {value!r}.")


def check_on_device(split: Split, model: torch.nn.Module, name: str) -> Split:
    """Move the data to the model's device (the datasets are small) after checking x is a tensor."""
    check_tensor(split.x, f"{name}.x")
    device = module_device(model)
    return split if split.x.device == device else split.to(device)


def gradient_step(
    loss: torch.Tensor, optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler | None = None
) -> None:
    """One update: clear old gradients, back-propagate ``loss``, step the optimizer, then the learning-rate schedule."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    if scheduler is not None:
        scheduler.step()


def in_eval_mode(model: torch.nn.Module, measure: Callable[[], dict[str, float]]) -> Callable[[], dict[str, float]]:
    """``measure`` wrapped to run with ``model`` in eval mode, then back in training mode (for ``fit``'s evaluate)."""

    def evaluate() -> dict[str, float]:
        with eval_mode(model):
            return measure()

    return evaluate


def fit_model(model: torch.nn.Module, step, batches, epochs: int, evaluate=None, desc: str | None = None) -> History:
    """``fit`` with ``model`` in training mode (input checks relaxed inside the loop), left in eval mode afterwards."""
    model.train()
    try:
        with trusted():
            return fit(step, batches, epochs, evaluate=evaluate, desc=desc)
    finally:
        model.eval()
