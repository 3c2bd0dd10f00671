"""A denoising diffusion model as the course's other generative models are: images in [0, 1] in and out.

    DiffusionModel = eps_theta (the time-conditioned U-Net) + its noise schedule (beta_1..beta_T)
    loss(x, y):      L_simple on x scaled to [-1, 1]                                  (.loss)
    sample(n, y):    DDIM with ``steps`` jumps (``steps=None``: DDPM's T ancestral steps), back to [0, 1]
    inpaint(x, m):   the pixels where m is False drawn by DDPM (all T steps or ``steps`` of them) with the others held
                     to x (RePaint without resampling)
The network sees images in [-1, 1] (the data are centred like the noise, as in DDPM); :meth:`sample` returns
[0, 1] like every other model's ``sample``, so the comparison chapter measures it with the same rulers.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn as nn

from ..input_checks import CourseInputError, check_images, check_tensor
from ..models.time_unet import TimeConditionedUNet
from ..utils import module_device
from .loss import noise_prediction_loss
from .samplers import ddim_sample, ddpm_sample, inpaint
from .schedule import NoiseSchedule, cosine_schedule, linear_schedule

SCHEDULES = {"cosine": cosine_schedule, "linear": linear_schedule}


def to_model_range(x: torch.Tensor) -> torch.Tensor:
    """[0, 1] -> [-1, 1]: x' = 2x - 1."""
    return 2 * x - 1


def to_image_range(x: torch.Tensor) -> torch.Tensor:
    """[-1, 1] -> [0, 1], clamped (the last step can overshoot a little)."""
    return ((x + 1) / 2).clamp(0, 1)


class DiffusionModel(nn.Module):
    """eps_theta(x_t, t[, y]) with its schedule; ``forward`` is the network (what the samplers call)."""

    def __init__(
        self,
        in_channels: int = 1,
        base_width: int = 32,
        depth: int = 2,
        n_classes: int | None = None,
        T: int = 1000,
        schedule: str = "cosine",
        image_size: int = 28,
    ) -> None:
        super().__init__()
        if schedule not in SCHEDULES:
            raise CourseInputError(f"schedule: expected one of {', '.join(SCHEDULES)}, got {schedule!r}.")
        self.network = TimeConditionedUNet(in_channels, base_width, depth, n_classes)
        self.schedule_name, self.T = schedule, T
        self.image_shape = (in_channels, image_size, image_size)
        self._schedules: dict[str, NoiseSchedule] = {"cpu": SCHEDULES[schedule](T)}

    @property
    def n_classes(self) -> int | None:
        return self.network.n_classes

    @property
    def null_label(self) -> int | None:
        return self.network.null_label

    def schedule(self, device: torch.device | str | None = None) -> NoiseSchedule:
        """The noise schedule on ``device`` (the model's by default), made once per device."""
        key = str(device if device is not None else module_device(self))
        if key not in self._schedules:
            self._schedules[key] = self._schedules["cpu"].to(key)
        return self._schedules[key]

    def _labels(self, n: int, labels: torch.Tensor | None, default: Callable[[], torch.Tensor]) -> torch.Tensor | None:
        """``labels`` checked (n integers) and on the model's device; ``default()`` for a conditional model without them."""
        if labels is None:
            return default() if self.n_classes is not None else None
        return check_tensor(labels, "labels", shape=(n,), integer=True).to(module_device(self))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor | int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """The predicted noise eps_theta(x_t, t[, y]), shaped like x_t (images in [-1, 1])."""
        return self.network(x_t, t, labels)

    def loss(self, x: torch.Tensor, labels: torch.Tensor | None = None, p_uncond: float = 0.0,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """L_simple on a batch of images in [0, 1] (labels dropped to the null class with probability ``p_uncond``)."""
        check_images(x, "x", shape=self.image_shape)
        if labels is not None and self.n_classes is None:
            raise CourseInputError("labels given to an unconditional diffusion model; build it with n_classes=10, or pass labels=None.")
        return noise_prediction_loss(self, to_model_range(x), self.schedule(x.device), labels, p_uncond, generator)

    @torch.no_grad()
    def sample(
        self,
        n: int,
        labels: torch.Tensor | None = None,
        steps: int | None = 50,
        guidance: float = 0.0,
        eta: float = 0.0,
        generator: torch.Generator | None = None,
        progress: bool = False,
    ) -> torch.Tensor:
        """``n`` images in [0, 1]: DDIM with ``steps`` jumps (deterministic for eta = 0), or DDPM's T steps (``steps=None``).

        A conditional model samples the classes 0, 1, ..., 9 in turn unless ``labels`` are given, with classifier-free
        guidance of weight ``guidance`` (0: the conditional model itself). Each step clips its estimate of x_0 to the
        image range, as DDPM's sampler does.
        """
        if not isinstance(n, int) or n < 1:
            raise CourseInputError(f"n: expected a positive number of images, got {n!r}.")
        device = module_device(self)
        labels = self._labels(n, labels, lambda: torch.arange(n, device=device) % self.n_classes)  # 0, 1, ..., 9, 0, ...
        shape, schedule = (n, *self.image_shape), self.schedule(device)
        if steps is None:
            x = ddpm_sample(self, shape, schedule, labels=labels, guidance=guidance, generator=generator, progress=progress,
                            clip_x0=True)
        else:
            x = ddim_sample(self, shape, schedule, steps=steps, labels=labels, guidance=guidance, eta=eta, generator=generator,
                            progress=progress, clip_x0=True)
        return to_image_range(x)

    @torch.no_grad()
    def inpaint(
        self,
        x: torch.Tensor,
        observed: torch.Tensor,
        labels: torch.Tensor | None = None,
        guidance: float = 0.0,
        generator: torch.Generator | None = None,
        progress: bool = False,
        steps: int | None = None,
    ) -> torch.Tensor:
        """Fill the pixels of ``x`` (N x C x H x W in [0, 1]) where ``observed`` is False; the observed ones come back
        unchanged. T ancestral steps (or ``steps`` of them, respaced), each followed by putting back the observed pixels
        noised to the same step (:func:`course_lib.diffusion.inpaint`). A conditional model without ``labels`` fills
        without a class (the null label); a label equal to ``null_label`` leaves that one image without a class."""
        check_images(x, "x", shape=self.image_shape)
        observed = check_tensor(observed, "observed")
        if observed.dtype != torch.bool or observed.shape != x.shape:
            raise CourseInputError(f"observed: expected a boolean mask shaped like x, {tuple(x.shape)}, got {observed.dtype} "
                                   f"{tuple(observed.shape)}. Use course_lib.metrics.observed_mask(...).")
        device = module_device(self)
        x, observed = x.to(device), observed.to(device)
        labels = self._labels(len(x), labels, lambda: torch.full((len(x),), self.null_label, dtype=torch.long, device=device))
        filled = inpaint(self, to_model_range(x), observed.float(), self.schedule(device), labels=labels, guidance=guidance,
                         generator=generator, progress=progress, clip_x0=True, steps=steps)
        return torch.where(observed, x, to_image_range(filled))
