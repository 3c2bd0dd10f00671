"""Soft multi-class Dice loss for segmentation (Milletari et al. 2016, V-Net, eq. 1; Sudre et al. 2017).

For each class c, with p the softmax probabilities and t the one-hot target, summed over all pixels
of the batch:   Dice_c = (2 sum p_c t_c + eps) / (sum p_c + sum t_c + eps);   loss = 1 - mean_c Dice_c.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..input_checks import CourseInputError, check_tensor, describe


def soft_dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """1 - mean over classes of the soft Dice coefficient; ``logits`` N x C x H x W, ``target`` N x H x W class indices.

    The loss is 0 for a perfect (confident) prediction and close to 1 when no class overlaps.
    """
    check_tensor(logits, "logits", ndim=4, floating=True)
    check_tensor(target, "target", integer=True)
    n, c, h, w = logits.shape
    if target.shape != (n, h, w):
        raise CourseInputError(f"target: expected class indices shaped {n} x {h} x {w} (N x H x W), got {describe(target)}.")
    if c < 2:
        raise CourseInputError(f"logits: expected one channel per class (at least 2), got {describe(logits)}.")
    if target.numel() and (int(target.min()) < 0 or int(target.max()) >= c):
        raise CourseInputError(f"target: expected class indices in 0..{c - 1}, got values in {int(target.min())}..{int(target.max())}.")
    probs = logits.softmax(dim=1)  # N x C x H x W
    onehot = F.one_hot(target, c).permute(0, 3, 1, 2).to(probs.dtype)  # N x C x H x W
    dims = (0, 2, 3)
    intersection = (probs * onehot).sum(dims)  # C
    total = probs.sum(dims) + onehot.sum(dims)  # C
    dice = (2 * intersection + eps) / (total + eps)
    return 1 - dice.mean()
