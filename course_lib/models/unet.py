"""U-Net (Ronneberger, Fischer & Brox 2015, "U-Net: Convolutional Networks for Biomedical Image Segmentation").

    contracting path:  [conv3x3-BN-ReLU x2] -> maxpool 2x2, ``depth`` times, width doubling each time
    bottleneck:        [conv3x3-BN-ReLU x2] at 1/2^depth of the input size
    expanding path:    transposed conv 2x2 (up) -> concatenate the skip from the same level -> [conv x2]
    head:              1x1 conv to one score per class and pixel
Padded convolutions keep the output the size of the input (the paper crops instead). ``skips=False``
removes the concatenations (the ablation); ``forward(x, zero_bottleneck=True)`` zeroes the bottleneck to
show how much the skips alone carry.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..input_checks import CourseInputError, check_tensor, describe


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """Two 3x3 convolutions (padding 1) with batch norm and ReLU: the unit of every U-Net level."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
    )


class UNet(nn.Module):
    """Segmentation (``n_classes`` logits per pixel) or image-to-image (``n_classes=1, sigmoid=True``) U-Net."""

    def __init__(
        self,
        in_channels: int = 1,
        n_classes: int = 2,
        depth: int = 3,
        base_width: int = 16,
        skips: bool = True,
        sigmoid: bool = False,
    ) -> None:
        super().__init__()
        if depth < 1 or base_width < 1 or n_classes < 1:
            raise CourseInputError(f"expected depth, base_width and n_classes >= 1, got {depth}, {base_width}, {n_classes}.")
        self.in_channels, self.n_classes, self.depth = in_channels, n_classes, depth
        self.skips, self.sigmoid = skips, sigmoid
        widths = [base_width * 2**i for i in range(depth + 1)]  # e.g. 16, 32, 64, 128
        self.down = nn.ModuleList(conv_block(c_in, c_out) for c_in, c_out in zip([in_channels, *widths[:depth - 1]], widths[:depth]))
        self.bottleneck = conv_block(widths[depth - 1], widths[depth])
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(depth)))
        self.decode = nn.ModuleList(conv_block(widths[i] * (2 if skips else 1), widths[i]) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], n_classes, 1)

    def forward(self, x: torch.Tensor, zero_bottleneck: bool = False) -> torch.Tensor:
        """N x in_channels x H x W (H, W divisible by 2^depth) -> N x n_classes x H x W logits (probabilities if sigmoid)."""
        self.check_input(x)
        features = []
        for block in self.down:  # contracting path
            x = block(x)
            features.append(x)  # N x w_i x H/2^i x W/2^i
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x)  # N x w_depth x H/2^depth x W/2^depth
        if zero_bottleneck:
            x = torch.zeros_like(x)
        for up, block, skip in zip(self.up, self.decode, reversed(features)):  # expanding path
            x = up(x)  # doubles H and W
            x = block(torch.cat([skip, x], dim=1) if self.skips else x)
        out = self.head(x)  # N x n_classes x H x W
        return out.sigmoid() if self.sigmoid else out

    def check_input(self, x: torch.Tensor) -> None:
        k = 2**self.depth
        check_tensor(x, "x", floating=True)
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[2] % k or x.shape[3] % k:
            raise CourseInputError(
                f"expected images shaped N x {self.in_channels} x H x W with H and W multiples of 2^depth = {k} "
                f"(e.g. {8 * k} x {8 * k}), got {describe(x)}. Pad or crop the images, or use a smaller depth."
            )
