"""The noise-prediction network of DDPM: the course U-Net (chapter 04) told the timestep t (and optionally a class y).

    embedding:  e = MLP(sinusoidal(t)) [+ Embedding(y)]       y in 0..n_classes-1, y = n_classes means "no label" (CFG)
    down:       [TimeBlock(e)] -> maxpool 2x2, ``depth`` times, width doubling each time
    bottleneck: [TimeBlock(e)] at 1/2^depth of the input size
    up:         transposed conv 2x2 -> concatenate the skip of the same level -> [TimeBlock(e)]
    head:       1x1 conv to eps_hat, the shape of the input
    TimeBlock:  conv3x3-GroupNorm-SiLU, + Linear(e) per channel, conv3x3-GroupNorm-SiLU, + 1x1 conv of the input
As in DDPM's network, GroupNorm replaces batch norm (the batch mixes very different noise levels) and SiLU replaces
ReLU; the time embedding is added inside every block. Depth 2 takes MNIST's 28 x 28 as it is (28 -> 14 -> 7); H and
W must be multiples of 2^depth. The default (1 channel, base_width 32, depth 2, no classes) has 559,265 parameters
(560,673 with n_classes=10); a forward and backward pass on 64 images takes about 0.6 s on one CPU thread.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..input_checks import CourseInputError, check_tensor, describe


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float = 10_000.0) -> torch.Tensor:
    """Transformer positional encoding of timesteps (Vaswani et al. 2017, section 3.5): (N,) -> N x dim,

    [sin(t w_0), ..., sin(t w_{h-1}), cos(t w_0), ..., cos(t w_{h-1})] with w_i = max_period^(-i / h), h = dim // 2
    (a zero column pads an odd ``dim``).
    """
    check_tensor(t, "t", ndim=1)
    if dim < 1:
        raise CourseInputError(f"dim: expected an embedding size >= 1, got {dim!r}.")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, device=t.device, dtype=torch.float32) / max(half, 1))  # half
    args = t.float()[:, None] * freqs[None]  # N x half
    emb = torch.cat([args.sin(), args.cos()], dim=1)  # N x 2 half
    return F.pad(emb, (0, dim - 2 * half))  # N x dim


def group_norm(channels: int, groups: int = 8) -> nn.GroupNorm:
    """GroupNorm with the largest number of groups <= ``groups`` that divides ``channels``."""
    return nn.GroupNorm(math.gcd(groups, channels), channels)


class TimeBlock(nn.Module):
    """The U-Net's conv block (two conv3x3-norm-activation) with the embedding added between the two, and a residual path."""

    def __init__(self, in_channels: int, out_channels: int, emb_dim: int) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), group_norm(out_channels), nn.SiLU())
        self.emb = nn.Linear(emb_dim, out_channels)
        self.conv2 = nn.Sequential(nn.Conv2d(out_channels, out_channels, 3, padding=1), group_norm(out_channels), nn.SiLU())
        self.skip = nn.Conv2d(in_channels, out_channels, 1) if in_channels != out_channels else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x) + self.emb(emb)[:, :, None, None]  # N x out x H x W, one shift per channel and image
        return self.conv2(h) + self.skip(x)


class TimeConditionedUNet(nn.Module):
    """eps_theta(x_t, t[, y]): N x C x H x W noisy images, timesteps (N,) [, labels (N,)] -> predicted noise N x C x H x W."""

    def __init__(
        self,
        in_channels: int = 1,
        base_width: int = 32,
        depth: int = 2,
        n_classes: int | None = None,
        emb_dim: int | None = None,
    ) -> None:
        super().__init__()
        if depth < 1 or base_width < 1 or in_channels < 1 or (n_classes is not None and n_classes < 1):
            raise CourseInputError(
                f"expected in_channels, base_width, depth (and n_classes) >= 1, got {in_channels}, {base_width}, {depth}, {n_classes}."
            )
        self.in_channels, self.depth, self.n_classes, self.base_width = in_channels, depth, n_classes, base_width
        emb_dim = emb_dim or 4 * base_width
        self.time_mlp = nn.Sequential(nn.Linear(base_width, emb_dim), nn.SiLU(), nn.Linear(emb_dim, emb_dim))
        self.label_emb = nn.Embedding(n_classes + 1, emb_dim) if n_classes else None  # the last row: "no label"
        widths = [base_width * 2**i for i in range(depth + 1)]  # e.g. 32, 64, 128
        self.stem = nn.Conv2d(in_channels, widths[0], 3, padding=1)
        self.down = nn.ModuleList(TimeBlock(c_in, c_out, emb_dim) for c_in, c_out in zip([widths[0], *widths[:depth - 1]], widths[:depth]))
        self.bottleneck = TimeBlock(widths[depth - 1], widths[depth], emb_dim)
        self.up = nn.ModuleList(nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in reversed(range(depth)))
        self.decode = nn.ModuleList(TimeBlock(2 * widths[i], widths[i], emb_dim) for i in reversed(range(depth)))
        self.head = nn.Conv2d(widths[0], in_channels, 1)

    @property
    def null_label(self) -> int | None:
        """The class index that means "no label" (``n_classes``), used by classifier-free guidance; None when unconditional."""
        return self.n_classes

    def embed(self, t: torch.Tensor | int, labels: torch.Tensor | None, n: int, device: torch.device) -> torch.Tensor:
        """e = MLP(sinusoidal(t)) [+ Embedding(y)], N x emb_dim; missing labels of a conditional model mean "no label"."""
        if isinstance(t, int) or (isinstance(t, torch.Tensor) and t.dim() == 0):
            t = torch.as_tensor(t, device=device).expand(n)
        check_tensor(t, "t")
        if t.shape != (n,) or t.is_complex() or t.dtype == torch.bool:
            raise CourseInputError(f"t: expected one timestep per image, shape ({n},) (or an int), got {describe(t)}.")
        emb = self.time_mlp(timestep_embedding(t.to(device), self.base_width))  # N x emb_dim
        if self.label_emb is None:
            if labels is not None:
                raise CourseInputError("labels: this U-Net is unconditional; build it with n_classes=... to use labels.")
            return emb
        if labels is None:
            labels = torch.full((n,), self.n_classes, dtype=torch.long, device=device)
        check_tensor(labels, "labels", shape=(n,), integer=True)
        if n and (int(labels.min()) < 0 or int(labels.max()) > self.n_classes):
            raise CourseInputError(
                f"labels: expected classes 0..{self.n_classes - 1} or {self.n_classes} (no label), got values in {int(labels.min())}..{int(labels.max())}."
            )
        return emb + self.label_emb(labels.to(device))

    def forward(self, x: torch.Tensor, t: torch.Tensor | int, labels: torch.Tensor | None = None) -> torch.Tensor:
        """N x C x H x W (H, W multiples of 2^depth), timesteps (N,), labels (N,) or None -> eps_hat N x C x H x W."""
        self.check_input(x)
        emb = self.embed(t, labels, len(x), x.device)  # N x emb_dim
        x = self.stem(x)  # N x w_0 x H x W
        features = []
        for block in self.down:
            x = block(x, emb)
            features.append(x)  # N x w_i x H/2^i x W/2^i
            x = F.max_pool2d(x, 2)
        x = self.bottleneck(x, emb)  # N x w_depth x H/2^depth x W/2^depth
        for up, block, skip in zip(self.up, self.decode, reversed(features)):
            x = block(torch.cat([skip, up(x)], dim=1), emb)  # doubles H and W
        return self.head(x)  # N x C x H x W

    def check_input(self, x: torch.Tensor) -> None:
        k = 2**self.depth
        check_tensor(x, "x", floating=True)
        if x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[2] % k or x.shape[3] % k:
            raise CourseInputError(
                f"expected noisy images shaped N x {self.in_channels} x H x W with H and W multiples of 2^depth = {k} "
                f"(e.g. 28 x 28 for depth 2), got {describe(x)}. Pad the images or use a smaller depth."
            )
