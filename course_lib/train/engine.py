"""The one training loop of the course: epochs of a step function over a batch iterator.

A *step* does the model-specific work (forward, loss, backward, optimizer step) and returns its
metrics as detached scalar tensors, for example ``{"loss": loss.detach(), "kl": kl.detach()}``.
The engine averages them per epoch *on the device* (no ``.item()`` per batch, so CUDA never waits),
evaluates on held-out data under ``torch.no_grad()``, shows one progress bar, and stops with a clear
error, naming the epoch and batch, when the loss becomes NaN or infinite.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable, Iterable, Iterator, Mapping

import torch

from ..utils import progress

Step = Callable[[tuple[torch.Tensor, ...]], Mapping[str, torch.Tensor]]
Evaluate = Callable[[], Mapping[str, float | torch.Tensor]]


class NonFiniteLossError(FloatingPointError):
    """The loss became NaN or infinite during training."""


class History:
    """Per-epoch metrics: ``history["train_loss"]`` is a list with one float per epoch."""

    def __init__(self) -> None:
        self.records: dict[str, list[float]] = defaultdict(list)

    def append(self, metrics: Mapping[str, float], prefix: str = "") -> None:
        for key, value in metrics.items():
            self.records[prefix + key].append(float(value))

    def __getitem__(self, key: str) -> list[float]:
        if key not in self.records:
            raise KeyError(f"no metric {key!r} in this history; it has {', '.join(self.records) or 'nothing yet'}.")
        return self.records[key]

    def __contains__(self, key: object) -> bool:
        return key in self.records

    def __len__(self) -> int:
        return max((len(v) for v in self.records.values()), default=0)

    def keys(self) -> list[str]:
        return list(self.records)

    def last(self, key: str) -> float:
        """The value of ``key`` after the last epoch."""
        return self[key][-1]

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.records.items() if v)
        return f"History({len(self)} epochs: {last})"


def _mean_metrics(per_batch: dict[str, list[torch.Tensor]]) -> dict[str, torch.Tensor]:
    return {k: torch.stack(v).float().mean() for k, v in per_batch.items()}


def _check_finite(losses: list[torch.Tensor], epoch: int) -> None:
    stacked = torch.stack(losses).float()
    bad = ~torch.isfinite(stacked)
    if bool(bad.any()):  # one sync per epoch, not per batch
        batch = int(bad.nonzero()[0, 0])
        raise NonFiniteLossError(
            f"the loss became {stacked[batch].item()} at epoch {epoch + 1}, batch {batch + 1}. "
            "Try a smaller learning rate, check the inputs are in the expected range, "
            "or clamp log-variances before exponentiating."
        )


def _as_metrics(out: object) -> Mapping[str, torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return {"loss": out.detach()}
    if not isinstance(out, Mapping) or "loss" not in out:
        raise TypeError(f"a training step must return a dict of scalar tensors with a 'loss' key, got {type(out).__name__}.")
    return {k: (v.detach() if isinstance(v, torch.Tensor) else torch.tensor(float(v))) for k, v in out.items()}


def fit(
    step: Step,
    batches: Iterable[tuple[torch.Tensor, ...]],
    epochs: int,
    *,
    evaluate: Evaluate | None = None,
    history: History | None = None,
    desc: str = "training",
    on_epoch_end: Callable[[int, History], None] | None = None,
) -> History:
    """Run ``epochs`` passes of ``step`` over ``batches``; return the per-epoch :class:`History`.

    Train metrics are stored as ``train_<name>``, those of ``evaluate()`` as ``test_<name>``.
    Passing an existing ``history`` continues it (for training in several chunks).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}.")
    history = history if history is not None else History()
    bar = progress(range(epochs), desc=desc, unit="epoch")
    for epoch in bar:
        per_batch: dict[str, list[torch.Tensor]] = defaultdict(list)
        for batch in batches:
            for key, value in _as_metrics(step(batch)).items():
                per_batch[key].append(value)
        if not per_batch:
            raise ValueError("the batch iterator yielded no batches; is the dataset empty or batch_size > its size with drop_last?")
        _check_finite(per_batch["loss"], epoch)
        history.append({k: v.item() for k, v in _mean_metrics(per_batch).items()}, prefix="train_")
        if evaluate is not None:
            with torch.no_grad():
                history.append({k: float(v) for k, v in evaluate().items()}, prefix="test_")
        if on_epoch_end is not None:
            on_epoch_end(epoch, history)
        bar.set_postfix({k: f"{v[-1]:.4g}" for k, v in history.records.items() if k.endswith("loss")})
    return history


def evaluate_in_batches(
    metric: Callable[[tuple[torch.Tensor, ...]], Mapping[str, torch.Tensor]],
    batches: Iterable[tuple[torch.Tensor, ...]],
) -> dict[str, float]:
    """Average ``metric(batch)`` over ``batches``, weighted by batch size, under ``torch.no_grad()``."""
    totals: dict[str, torch.Tensor] = {}
    count = 0
    with torch.no_grad():
        for batch in batches:
            n = len(batch[0])
            for k, v in metric(batch).items():
                totals[k] = totals.get(k, 0) + v.detach().float() * n
            count += n
    return {k: (v / count).item() for k, v in totals.items()} if count else {}


def steps(batches: Iterable[tuple[torch.Tensor, ...]]) -> Iterator[tuple[torch.Tensor, ...]]:
    """Endless batches: cycle over epochs (for loops counted in steps, like GAN training)."""
    while True:
        yield from batches


