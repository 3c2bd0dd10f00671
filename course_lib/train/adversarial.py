"""The adversarial training loop: GAN, WGAN (weight clipping) and WGAN-GP (gradient penalty), on the shared engine.

One generator step follows ``n_critic`` discriminator/critic steps, each on a fresh real batch:

    for each critic step:  fake = G(z) (no gradient to G);  L_D = discriminator_loss or critic_loss (+ GP)
                           update D;  WGAN: clip D's weights to [-clip, clip]
    generator step:        L_G = generator_loss (non-saturating) or -E[f(G(z))];  update G

The engine records the mean losses of every ``log_every`` generator steps (one "epoch" of the History),
and samples of a fixed noise batch are kept as ``(step, samples)`` snapshots along training, ready for
:class:`course_lib.widgets.gan_training.TrainingExplorer`.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Iterator

import torch
import torch.nn as nn

from ..data import Batches
from ..data.types import Split
from ..losses import clip_weights, critic_loss, discriminator_loss, generator_loss, gradient_penalty, saturating_generator_loss, wasserstein_generator_loss
from ..input_checks import CourseInputError, check_images, check_tensor, trusted
from ..utils import eval_mode, module_device
from .steps import check_positive, gradient_step, seeded_generator
from .engine import History, fit

MODES = ("gan", "wgan", "wgan_gp")


@dataclass
class GANTraining:
    """What :func:`train_gan` returns: per-interval losses, sample snapshots and the wall time."""

    history: History  # train_d_loss, train_g_loss (+ train_gp, train_wasserstein), one entry per log_every steps
    steps: list[int]  # generator step at the end of each History entry
    snapshots: list[tuple[int, torch.Tensor]] = field(default_factory=list)  # (generator step, samples on the CPU)
    seconds: float = 0.0

    def curves(self) -> dict[str, list[float]]:
        """The two losses by name, e.g. for ``TrainingExplorer(curves={"WGAN-GP": run.curves()})``."""
        return {"D loss": self.history["train_d_loss"], "G loss": self.history["train_g_loss"]}


class _Interval:
    """Re-iterable view of ``n`` items of an endless stream: one engine "epoch" of generator steps."""

    def __init__(self, stream: Iterator[tuple[torch.Tensor, ...]], n: int) -> None:
        self.stream, self.n = stream, n

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        for _ in range(self.n):
            yield next(self.stream)


def _real_batches(x: torch.Tensor, batch_size: int, n_critic: int, g: torch.Generator | None) -> Iterator[tuple[torch.Tensor, ...]]:
    """Endless stream of ``n_critic`` fresh real batches per generator step."""
    batches = Batches(x, batch_size=batch_size, drop_last=True, generator=g)
    group: list[torch.Tensor] = []
    while True:
        for (real,) in batches:
            group.append(real)
            if len(group) == n_critic:
                yield tuple(group)
                group = []


@dataclass(frozen=True)
class AdversarialLosses:
    """The losses of one GAN variant, chosen once: the critic's (with its penalty or weight clip) and the generator's."""

    critic: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (real scores, fake scores) -> L_D
    generator: Callable[[torch.Tensor], torch.Tensor]  # fake scores -> L_G
    penalty: Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor] | None = None  # (critic, real, fake) -> GP
    clip: float | None = None  # WGAN: clip the critic's weights to [-clip, clip] after each step
    wasserstein: bool = False  # -L_D estimates W(P_real, P_G)


def adversarial_losses(mode: str, *, saturating: bool = False, clip: float = 0.01, gp_weight: float = 10.0) -> AdversarialLosses:
    """``"gan"``: minimax D loss, non-saturating G loss (or the saturating one); ``"wgan"``: critic loss and weight
    clipping; ``"wgan_gp"``: critic loss plus ``gp_weight`` times the gradient penalty."""
    if mode == "gan":
        return AdversarialLosses(discriminator_loss, saturating_generator_loss if saturating else generator_loss)
    if mode == "wgan":
        return AdversarialLosses(critic_loss, wasserstein_generator_loss, clip=clip, wasserstein=True)
    if mode == "wgan_gp":
        return AdversarialLosses(critic_loss, wasserstein_generator_loss,
                                 penalty=lambda f, real, fake: gradient_penalty(f, real, fake, gp_weight), wasserstein=True)
    raise CourseInputError(f"mode: expected one of {MODES}, got {mode!r}.")


def critic_step(
    critic: nn.Module, generator: nn.Module, real: torch.Tensor, noise: torch.Tensor, optimizer: torch.optim.Optimizer,
    losses: AdversarialLosses,
) -> dict[str, torch.Tensor]:
    """One update of the critic on a real batch and G(noise) (no gradient to G): L_D (+ penalty), then the clip."""
    with torch.no_grad():
        fake = generator(noise)
    d_loss = losses.critic(critic(real), critic(fake))
    penalty = losses.penalty(critic, real, fake) if losses.penalty is not None else None
    total = d_loss + penalty if penalty is not None else d_loss
    gradient_step(total, optimizer)
    if losses.clip is not None:
        clip_weights(critic, losses.clip)
    metrics = {"loss": total.detach(), "d_loss": d_loss.detach()}
    if losses.wasserstein:
        metrics["wasserstein"] = -d_loss.detach()  # the critic's estimate of W(P_real, P_G)
    if penalty is not None:
        metrics["gp"] = penalty.detach()
    return metrics


def generator_step(
    critic: nn.Module, generator: nn.Module, noise: torch.Tensor, optimizer: torch.optim.Optimizer, losses: AdversarialLosses
) -> torch.Tensor:
    """One update of the generator through a frozen critic: L_G(D(G(noise))). Returns L_G, detached."""
    critic.requires_grad_(False)  # gradients through D, not for D
    try:
        g_loss = losses.generator(critic(generator(noise)))
        gradient_step(g_loss, optimizer)
    finally:
        critic.requires_grad_(True)
    return g_loss.detach()


def train_gan(
    generator: nn.Module,
    critic: nn.Module,
    data: Split | torch.Tensor,
    *,
    mode: str = "gan",
    steps: int,
    batch_size: int,
    lr: float,
    lr_critic: float | None = None,
    betas: tuple[float, float] = (0.5, 0.999),
    n_critic: int = 1,
    clip: float = 0.01,
    gp_weight: float = 10.0,
    optimizer: str = "adam",
    schedule: str | None = None,
    saturating: bool = False,
    log_every: int = 100,
    n_snapshots: int = 10,
    snapshot_size: int = 64,
    seed: int | None = None,
    desc: str | None = None,
) -> GANTraining:
    """Train ``generator`` against ``critic`` on the real samples ``data`` (images N x 1 x 28 x 28 or points N x 2).

    ``mode``: ``"gan"`` (minimax D loss, non-saturating G loss, or the saturating one with ``saturating=True``),
    ``"wgan"`` (critic loss, weight clipping to ``clip``, RMSprop in the paper: ``optimizer="rmsprop"``) or
    ``"wgan_gp"`` (critic loss + ``gp_weight`` * gradient penalty). ``steps`` counts generator steps (rounded
    down to a multiple of ``log_every``). ``schedule="linear"`` decays both learning rates linearly to 0.
    """
    mode = mode.replace("-", "_").lower() if isinstance(mode, str) else mode
    if mode not in MODES:
        raise CourseInputError(f"mode: expected one of {MODES}, got {mode!r}.")
    if schedule not in (None, "linear"):
        raise CourseInputError(f"schedule: expected None or 'linear', got {schedule!r}.")
    if optimizer not in ("adam", "rmsprop"):
        raise CourseInputError(f"optimizer: expected 'adam' or 'rmsprop', got {optimizer!r}.")
    check_positive(steps=steps, batch_size=batch_size, lr=lr, n_critic=n_critic, log_every=log_every)
    device = module_device(generator)
    x = data.x if isinstance(data, Split) else data
    check_tensor(x, "data", floating=True)
    if x.dim() == 4:
        check_images(x, "data")
    elif x.dim() != 2:
        raise CourseInputError(f"data: expected images N x 1 x 28 x 28 or points N x 2, got {tuple(x.shape)}.")
    if len(x) < batch_size * n_critic:
        raise CourseInputError(f"data: expected at least batch_size * n_critic = {batch_size * n_critic} samples, got {len(x)}.")
    x = x.to(device)
    log_every = min(log_every, steps)
    intervals = steps // log_every

    g = seeded_generator(seed)
    make = (lambda p, lr_: torch.optim.Adam(p, lr=lr_, betas=betas)) if optimizer == "adam" else (lambda p, lr_: torch.optim.RMSprop(p, lr=lr_))
    opt_g, opt_d = make(generator.parameters(), lr), make(critic.parameters(), lr_critic or lr)
    total_steps = intervals * log_every
    decay = (lambda i: max(0.0, 1 - i / total_steps)) if schedule == "linear" else (lambda i: 1.0)
    schedulers = [torch.optim.lr_scheduler.LambdaLR(opt, decay) for opt in (opt_g, opt_d)]
    latent = generator.latent_dim
    fixed_z = torch.randn(snapshot_size, latent, generator=g).to(device) if g is not None else torch.randn(snapshot_size, latent, device=device)
    losses = adversarial_losses(mode, saturating=saturating, clip=clip, gp_weight=gp_weight)

    def noise(n: int) -> torch.Tensor:
        return torch.randn(n, latent, device=device)

    def step(reals: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        for real in reals:  # n_critic critic steps, each on a fresh real batch
            metrics = critic_step(critic, generator, real, noise(len(real)), opt_d, losses)
        metrics["g_loss"] = generator_step(critic, generator, noise(batch_size), opt_g, losses)
        for scheduler in schedulers:  # one step per generator step
            scheduler.step()
        return metrics

    result = GANTraining(History(), [])
    every = max(1, intervals // max(1, n_snapshots))

    def snapshot(step_count: int) -> None:
        with torch.no_grad(), eval_mode(generator):
            result.snapshots.append((step_count, generator(fixed_z).cpu()))

    def on_interval_end(index: int, history: History) -> None:
        result.steps.append((index + 1) * log_every)
        if (index + 1) % every == 0 or index + 1 == intervals:
            snapshot((index + 1) * log_every)

    snapshot(0)
    start = time.perf_counter()
    generator.train()
    critic.train()
    stream = _real_batches(x, batch_size, n_critic, g)
    with trusted():
        fit(step, _Interval(stream, log_every), intervals, history=result.history, desc=desc or mode.upper().replace("_", "-"),
            on_epoch_end=on_interval_end)
    generator.eval()
    critic.eval()
    result.seconds = time.perf_counter() - start
    return result
