"""Filling in hidden pixels (inpainting, imputation) with a VAE or a conditional VAE.

Hide part of an image, keep the observed pixels x_o, and let the model propose the missing ones x_m.
The iteration of Rezende, Mohamed & Wierstra (2014, "Stochastic Backpropagation and Approximate
Inference in Deep Generative Models", section 5.3) alternates an encoder-decoder pass with putting the
observed pixels back:

    x^(0) = observed pixels, 0 elsewhere
    x^(t+1) = m * x + (1 - m) * decode(mu(x^(t), y), y)          m = 1 where a pixel is observed

Here the mean mu is decoded (no sampling), which gives the most likely completion rather than one
random draw. A CVAE also gets the label y, which a plain VAE must guess from the visible part;
:func:`infer_label` lets a CVAE guess it too, by trying every label and keeping the one whose
reconstruction explains the observed pixels best.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..utils import eval_mode
from ..input_checks import CourseInputError, check_images, describe

HIDE_KINDS = ("top half", "bottom half", "left half", "right half", "quadrant", "random pixels")


def observed_mask(
    kind: str,
    n: int,
    size: tuple[int, int] = (28, 28),
    fraction: float = 0.5,
    generator: torch.Generator | None = None,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Which pixels stay visible: a boolean N x 1 x H x W mask, True = observed, False = hidden.

    ``kind`` is one of :data:`HIDE_KINDS`: a half of the image, one quadrant (drawn at random per image),
    or ``"random pixels"`` where each pixel is hidden with probability ``fraction``.
    """
    if kind not in HIDE_KINDS:
        raise CourseInputError(f"kind: expected one of {', '.join(repr(k) for k in HIDE_KINDS)}, got {kind!r}.")
    if not 0 <= fraction <= 1:
        raise CourseInputError(f"fraction: expected a probability in [0, 1], got {fraction!r}.")
    h, w = size
    rows = torch.arange(h).view(h, 1).expand(h, w)
    cols = torch.arange(w).view(1, w).expand(h, w)
    if kind == "random pixels":
        keep = torch.rand(n, 1, h, w, generator=generator) >= fraction
    elif kind == "quadrant":
        q = torch.randint(0, 4, (n,), generator=generator).view(n, 1, 1)
        top, left = (q // 2) == 0, (q % 2) == 0
        in_rows = torch.where(top, rows < h // 2, rows >= h // 2)
        in_cols = torch.where(left, cols < w // 2, cols >= w // 2)
        keep = ~(in_rows & in_cols).unsqueeze(1)
    else:
        hidden = {"top half": rows < h // 2, "bottom half": rows >= h // 2, "left half": cols < w // 2, "right half": cols >= w // 2}[kind]
        keep = (~hidden).expand(n, 1, h, w).clone()
    return keep.to(device) if device is not None else keep


def _check_pair(x: torch.Tensor, observed: torch.Tensor) -> None:
    check_images(x, "x", shape=(None, None, None))
    if observed.shape != x.shape or observed.dtype != torch.bool:
        raise CourseInputError(f"observed: expected a boolean mask shaped like x ({describe(x)}), got {describe(observed)}.")


def _reconstruct(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
    """decode(mu) for one pass through a VAE (``y is None``) or a CVAE."""
    if y is None:
        mu, _ = model.encode(x)
        return model.decode(mu)
    mu, _ = model.encode(x, y)
    return model.decode(mu, y)


@torch.no_grad()
def impute(model: torch.nn.Module, x: torch.Tensor, observed: torch.Tensor, y: torch.Tensor | None = None, steps: int = 10) -> torch.Tensor:
    """Fill the hidden pixels of ``x`` (N x 1 x H x W in [0, 1]); the observed ones are returned unchanged.

    ``model`` is a VAE (``y=None``) or a CVAE (``y``: one label per image). Runs in eval mode.
    """
    _check_pair(x, observed)
    if steps < 1:
        raise CourseInputError(f"steps: expected at least 1 iteration, got {steps!r}.")
    filled = torch.where(observed, x, torch.zeros_like(x))
    with eval_mode(model):
        for _ in range(steps):
            filled = torch.where(observed, x, _reconstruct(model, filled, y))
    return filled


@torch.no_grad()
def infer_label(model: torch.nn.Module, x: torch.Tensor, observed: torch.Tensor, steps: int = 5) -> torch.Tensor:
    """The label (N,) under which a CVAE's completion explains the observed pixels best (lowest BCE on them)."""
    _check_pair(x, observed)
    errors = []
    with eval_mode(model):
        for c in range(model.n_classes):
            y = torch.full((len(x),), c, dtype=torch.long, device=x.device)
            filled = impute(model, x, observed, y, steps=steps)
            x_hat = _reconstruct(model, filled, y).clamp(1e-6, 1 - 1e-6)
            bce = F.binary_cross_entropy(x_hat, x, reduction="none") * observed  # only the pixels we can see
            errors.append(bce.flatten(1).sum(1))
    return torch.stack(errors, dim=1).argmin(dim=1)


def hidden_error(x_filled: torch.Tensor, x: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the hidden pixels only, one value per image (N,)."""
    _check_pair(x, observed)
    hidden = (~observed).float()
    squared = (x_filled - x).pow(2) * hidden
    return squared.flatten(1).sum(1) / hidden.flatten(1).sum(1).clamp_min(1)


HIDDEN_COLOR = (0.55, 0.75, 1.0)  # light blue: "we cannot see this pixel"


def show_hidden(x: torch.Tensor, observed: torch.Tensor) -> torch.Tensor:
    """Images N x 1 x H x W as RGB N x 3 x H x W with the hidden pixels painted light blue (for ``show_images``)."""
    _check_pair(x, observed)
    rgb = x.detach().float().expand(-1, 3, -1, -1).clone()
    color = torch.tensor(HIDDEN_COLOR, device=x.device).view(1, 3, 1, 1).expand_as(rgb)
    return torch.where(observed.expand_as(rgb), rgb, color)
