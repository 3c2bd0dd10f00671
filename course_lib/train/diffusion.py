"""Training a denoising diffusion model (chapter 06) on the shared engine: DDPM's Algorithm 1, one batch at a time.

    repeat: x_0 ~ data, t ~ U{0..T-1}, eps ~ N(0, I); step on || eps - eps_theta(sqrt(a_t) x_0 + sqrt(1 - a_t) eps, t) ||^2
History: ``train_loss`` per epoch, and ``test_loss`` (the same loss on the test split, one draw of t and eps) with ``test``.
"""
from __future__ import annotations

import torch

from ..data import Batches
from ..data.types import Split
from ..diffusion.model import DiffusionModel
from ..input_checks import CourseInputError
from .engine import History, evaluate_in_batches
from .generative import _prepare
from .steps import check_positive, fit_model, gradient_step, in_eval_mode, make_optimizer, seeded_generator


def train_diffusion(
    model: DiffusionModel,
    train: Split | torch.Tensor,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    p_uncond: float = 0.1,
    test: Split | torch.Tensor | None = None,
    schedule: str | None = "onecycle",
    seed: int | None = None,
    desc: str = "diffusion",
) -> History:
    """Minimise L_simple; a conditional model (``n_classes``) is told the labels, dropped with probability ``p_uncond``
    to the null class so that one network also learns p(x), for classifier-free guidance."""
    if not isinstance(model, DiffusionModel):
        raise CourseInputError(f"model: expected a course_lib.diffusion.DiffusionModel, got {type(model).__name__}.")
    check_positive(epochs=epochs, batch_size=batch_size, lr=lr)
    conditional = model.n_classes is not None
    train, test = _prepare(model, train, test, labels=conditional)
    g = seeded_generator(seed)
    batches = Batches(train.x, train.y, batch_size=batch_size, generator=g) if conditional else Batches(train.x, batch_size=batch_size, generator=g)
    optimizer, scheduler = make_optimizer(model.parameters(), lr, epochs * len(batches), schedule)

    def step(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        value = model.loss(batch[0], batch[1] if conditional else None, p_uncond=p_uncond if conditional else 0.0)
        gradient_step(value, optimizer, scheduler)
        return {"loss": value.detach()}

    def metrics(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        return {"loss": model.loss(batch[0], batch[1] if conditional else None)}

    def test_batches() -> Batches:
        return Batches(test.x, test.y, batch_size=500, shuffle=False) if conditional else Batches(test.x, batch_size=500, shuffle=False)

    evaluate = in_eval_mode(model, lambda: evaluate_in_batches(metrics, test_batches()))
    return fit_model(model, step, batches, epochs, evaluate=evaluate if test is not None else None, desc=desc)
