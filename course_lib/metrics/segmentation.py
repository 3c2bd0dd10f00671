"""Overlap metrics for segmentation, computed over all pixels of all images (the dataset-level convention).

    IoU_c  = |P_c ∩ T_c| / |P_c ∪ T_c|            (Jaccard index)
    Dice_c = 2 |P_c ∩ T_c| / (|P_c| + |T_c|)       (F1 score of the pixels of class c)
A class absent from both prediction and target has no defined score (NaN) and is left out of the mean.
"""
from __future__ import annotations

import torch

from ..input_checks import CourseInputError, check_tensor, describe


def _counts(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Per class: intersection |P ∩ T|, predicted |P| and true |T| pixel counts."""
    check_tensor(target, "target", integer=True)
    check_tensor(pred, "pred")
    if pred.is_floating_point():  # scores N x C x H x W -> labels N x H x W
        if pred.dim() != target.dim() + 1 or pred.shape[1] != n_classes:
            raise CourseInputError(f"pred: expected class indices shaped like target or scores N x {n_classes} x H x W, got {describe(pred)}.")
        pred = pred.argmax(1)
    if pred.shape != target.shape:
        raise CourseInputError(f"pred and target: expected the same shape (class index per pixel), got {describe(pred)} and {describe(target)}.")
    pred, target = pred.flatten().long(), target.flatten().long()
    for name, t in (("pred", pred), ("target", target)):
        if t.numel() and (int(t.min()) < 0 or int(t.max()) >= n_classes):
            raise CourseInputError(f"{name}: expected class indices in 0..{n_classes - 1}, got values in {int(t.min())}..{int(t.max())}.")
    intersection = torch.bincount(target[pred == target], minlength=n_classes)
    return intersection.double(), torch.bincount(pred, minlength=n_classes).double(), torch.bincount(target, minlength=n_classes).double()


def iou_per_class(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> torch.Tensor:
    """IoU of each class (n_classes,), NaN where the class appears in neither; ``pred`` labels or scores."""
    inter, p, t = _counts(pred, target, n_classes)
    union = p + t - inter
    return torch.where(union > 0, inter / union.clamp(min=1), torch.nan).float()


def dice_per_class(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Dice of each class (n_classes,), NaN where the class appears in neither."""
    inter, p, t = _counts(pred, target, n_classes)
    return torch.where(p + t > 0, 2 * inter / (p + t).clamp(min=1), torch.nan).float()


def mean_iou(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> float:
    """Mean IoU over the classes present in prediction or target (mIoU)."""
    return float(iou_per_class(pred, target, n_classes).nanmean())


def mean_dice(pred: torch.Tensor, target: torch.Tensor, n_classes: int) -> float:
    """Mean Dice over the classes present in prediction or target."""
    return float(dice_per_class(pred, target, n_classes).nanmean())


def binary_iou(predicted: torch.Tensor, true: torch.Tensor) -> float:
    """|A and B| / |A or B| of two boolean masks; NaN when both are empty."""
    union = (predicted | true).sum().item()
    return float("nan") if union == 0 else (predicted & true).sum().item() / union
