"""Training helper for the U-Net: per-pixel cross-entropy, soft Dice, or both; or image-to-image reconstruction.

    history = train_unet(UNet(n_classes=4), data.train, test=data.test, **settings("unet"))
History: ``train_loss`` per epoch; with ``test``: ``test_loss`` and ``test_miou`` (segmentation) or ``test_mse``.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import Batches
from ..data.types import Split
from ..losses import bce_loss, mse_loss, soft_dice_loss
from ..metrics.segmentation import iou_per_class
from ..utils import batched
from ..models.unet import UNet
from ..input_checks import CourseInputError, check_images, check_tensor
from .steps import check_on_device, check_positive, fit_model, gradient_step, in_eval_mode, make_optimizer, seeded_generator
from .engine import History

SEGMENTATION_LOSSES = ("ce", "dice", "ce+dice")
IMAGE_LOSSES = ("mse", "bce")


def segmentation_loss(logits: torch.Tensor, target: torch.Tensor, loss: str = "ce+dice") -> torch.Tensor:
    """Per-pixel cross-entropy (mean over pixels), soft Dice (1 - mean Dice), or their sum."""
    if loss not in SEGMENTATION_LOSSES:
        raise CourseInputError(f"loss: expected one of {SEGMENTATION_LOSSES}, got {loss!r}.")
    value = F.cross_entropy(logits, target) if "ce" in loss else 0.0
    return value + soft_dice_loss(logits, target) if "dice" in loss else value


@torch.no_grad()
def predict_masks(model: UNet, x: torch.Tensor, batch_size: int = 100) -> torch.Tensor:
    """Most likely class per pixel, N x H x W, in eval mode and in batches."""
    return batched(lambda xb: model(xb).argmax(1), x, batch_size=batch_size, model=model)


def train_unet(
    model: UNet,
    train: Split,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    loss: str = "ce+dice",
    test: Split | None = None,
    schedule: str | None = "onecycle",
    seed: int | None = None,
    desc: str = "U-Net",
) -> History:
    """Train ``model`` on ``train.x`` (N x C x H x W) with targets ``train.y``: class masks N x H x W for
    ``loss`` in ``"ce"``, ``"dice"``, ``"ce+dice"``; images shaped like the output for ``"mse"`` / ``"bce"``."""
    if loss not in SEGMENTATION_LOSSES + IMAGE_LOSSES:
        raise CourseInputError(f"loss: expected one of {SEGMENTATION_LOSSES + IMAGE_LOSSES}, got {loss!r}.")
    if not isinstance(train, Split):
        raise CourseInputError(f"train: expected a Split(x, y) of images and targets, got {type(train).__name__}.")
    check_positive(epochs=epochs, batch_size=batch_size, lr=lr)
    segmenting = loss in SEGMENTATION_LOSSES
    splits = {"train": check_on_device(train, model, "train")}
    if test is not None:
        splits["test"] = check_on_device(test, model, "test")
    for name, split in splits.items():  # checked once, up front
        model.check_input(split.x[:1])
        if segmenting:
            check_tensor(split.y, f"{name}.y (masks)", shape=(len(split.x), *split.x.shape[2:]), integer=True)
            if int(split.y.max()) >= model.n_classes or int(split.y.min()) < 0:
                raise CourseInputError(f"{name}.y: expected class indices in 0..{model.n_classes - 1} (n_classes={model.n_classes}), "
                                       f"got values in {int(split.y.min())}..{int(split.y.max())}.")
        else:
            if not model.sigmoid and loss == "bce":
                raise CourseInputError("loss='bce' needs outputs in [0, 1]: build the model with UNet(..., sigmoid=True).")
            check_images(split.y, f"{name}.y (target images)", shape=(model.n_classes, *split.x.shape[2:]), value_range=None)

    def objective(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if segmenting:
            return segmentation_loss(out, y, loss)
        return (mse_loss if loss == "mse" else bce_loss)(out, y)

    g = seeded_generator(seed)
    batches = Batches(splits["train"].x, splits["train"].y, batch_size=batch_size, generator=g)
    optimizer, scheduler = make_optimizer(model.parameters(), lr, epochs * len(batches), schedule)

    def step(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        x, y = batch
        value = objective(model(x), y)
        gradient_step(value, optimizer, scheduler)
        return {"loss": value.detach()}

    def measure() -> dict[str, float]:
        x, y = splits["test"].x, splits["test"].y
        total, squared, preds = 0.0, 0.0, []
        for i in range(0, len(x), 100):
            out, target = model(x[i : i + 100]), y[i : i + 100]
            total += float(objective(out, target)) * len(out)
            if segmenting:
                preds.append(out.argmax(1))
            else:
                squared += float((out - target).pow(2).sum())
        if segmenting:
            return {"loss": total / len(x), "miou": float(iou_per_class(torch.cat(preds), y, model.n_classes).nanmean())}
        return {"loss": total / len(x), "mse": squared / y.numel()}

    return fit_model(model, step, batches, epochs, evaluate=in_eval_mode(model, measure) if test is not None else None, desc=desc)


def class_probabilities(model: torch.nn.Module, images: torch.Tensor) -> torch.Tensor:
    """Softmax over the classes of ``model(images)`` (N x C x H x W), computed in eval mode, on the CPU."""
    return batched(lambda xb: model(xb).softmax(dim=1).float().cpu(), images, batch_size=32, model=model)
