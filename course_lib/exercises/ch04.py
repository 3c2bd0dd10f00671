"""Chapter 04 (U-Net segmentation): four exercises.

4.1 ``conv_block(in_channels, out_channels)``: two 3x3 convolutions (padding 1), each followed by batch norm and ReLU.
4.2 ``concat_skip(skip, x)``: crop the skip connection to x's size (centred) and concatenate along the channels.
4.3 ``dice_loss(logits, target, eps)``: soft multi-class Dice loss, 1 - mean over classes of the Dice coefficient.
4.4 ``iou_per_class(prediction, target, n_classes)``: intersection over union of each class over a batch of masks.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .expect import describe, expect_close, expect_device, expect_shape, expect_tensor
from .registry import Exercise, case_generator, fail, register



# ---------------------------------------------------------------- 4.1 conv_block

def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """[conv 3x3 (padding 1) -> batch norm -> ReLU] twice; keeps H and W, maps in_channels to out_channels."""
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True),
    )


def _block(f, in_channels: int, out_channels: int, device: torch.device) -> nn.Module:
    block = f(in_channels, out_channels)
    if not isinstance(block, nn.Module):
        fail("an nn.Module (for example an nn.Sequential of the layers)", describe(block))
    return block.to(device)


def _images(shape: tuple[int, ...], device: torch.device, seed: int = 0) -> torch.Tensor:
    return torch.randn(shape, generator=case_generator(seed)).to(device)


def keeps_the_size_and_sets_the_channels(f, device):
    """maps N x 3 x 20 x 20 to N x 8 x 20 x 20 (padding keeps the size)"""
    block = _block(f, 3, 8, device)
    out = expect_shape(block(_images((4, 3, 20, 20), device)), (4, 8, 20, 20), "block(x) for x of shape 4 x 3 x 20 x 20")
    expect_device(out, device, "the output")


def has_two_3x3_convolutions_and_batch_norm(f, device):
    """has two 3x3 convolutions, each followed by batch norm"""
    block = _block(f, 3, 8, device)
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    norms = [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)]
    if len(convs) != 2 or any(tuple(c.kernel_size) != (3, 3) for c in convs):
        fail("two nn.Conv2d layers with kernel_size 3", ", ".join(f"Conv2d kernel {tuple(c.kernel_size)}" for c in convs) or "no nn.Conv2d")
    if len(norms) != 2:
        fail("two nn.BatchNorm2d layers (one after each convolution)", f"{len(norms)}")


def ends_with_a_relu(f, device):
    """ends with a ReLU: no negative outputs"""
    block = _block(f, 2, 6, device)
    out = expect_tensor(block(_images((3, 2, 12, 12), device, seed=1)), "the output")
    if out.min().item() < 0:
        fail("outputs >= 0 (the block ends with a ReLU)", f"a smallest value of {out.min().item():.3g}")


def sees_a_5x5_neighbourhood(f, device):
    """each output pixel sees a 5 x 5 neighbourhood of the input (two 3x3 convolutions)"""
    block = _block(f, 1, 4, device).eval()  # eval: batch norm per pixel, no batch statistics
    with torch.no_grad():
        for p in block.parameters():
            p.abs_()  # positive weights and inputs: every ReLU passes, nothing cancels
    x = torch.rand((1, 1, 15, 15), generator=case_generator(2)).to(device).requires_grad_(True)
    out = expect_shape(block(x), (1, 4, 15, 15), "the output")
    grad = torch.autograd.grad(out[0, :, 7, 7].sum(), x)[0][0, 0]
    rows, cols = torch.nonzero(grad.abs() > 0, as_tuple=True)
    if len(rows) == 0:
        fail("output pixel (7, 7) depends on the input", "no dependence")
    size = (rows.max() - rows.min() + 1).item(), (cols.max() - cols.min() + 1).item()
    if size != (5, 5):
        fail("a receptive field of 5 x 5 pixels", f"{size[0]} x {size[1]}")


def works_for_other_sizes_and_channels(f, device):
    """works for 1 -> 16 channels on 64 x 64 images and 32 -> 16 on 7 x 9"""
    expect_shape(_block(f, 1, 16, device)(_images((2, 1, 64, 64), device, seed=3)), (2, 16, 64, 64), "the output for 1 -> 16 channels")
    expect_shape(_block(f, 32, 16, device)(_images((2, 32, 7, 9), device, seed=4)), (2, 16, 7, 9), "the output for a 7 x 9 input")


def is_trainable(f, device):
    """has trainable parameters that all receive a gradient"""
    block = _block(f, 2, 4, device)
    params = list(block.parameters())
    if not params:
        fail("layers with parameters", "a module without parameters")
    block(_images((2, 2, 8, 8), device, seed=5)).sum().backward()
    if any(p.grad is None for p in params):
        fail("a gradient for every parameter", "some parameters without a gradient")


def _one_conv(in_channels, out_channels):
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU())


def _no_padding(in_channels, out_channels):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3), nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3), nn.BatchNorm2d(out_channels), nn.ReLU(),
    )


def _no_final_relu(in_channels, out_channels):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels),
    )


def _second_conv_wrong_input(in_channels, out_channels):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU(),
        nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU(),
    )


class _ConvBlock(nn.Module):
    """The block as a module with named layers and F.relu in forward (convolutions with their default bias)."""

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv1, self.bn1 = nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1), nn.BatchNorm2d(out_channels)
        self.conv2, self.bn2 = nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1), nn.BatchNorm2d(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))))


def _block_in_a_loop(in_channels, out_channels):
    layers = []
    for c in (in_channels, out_channels):
        layers += [nn.Conv2d(c, out_channels, 3, padding="same"), nn.BatchNorm2d(out_channels), nn.ReLU()]
    return nn.Sequential(*layers)


register(Exercise(
    id="4.1",
    title="the U-Net conv block",
    reference=conv_block,
    visible_cases=[keeps_the_size_and_sets_the_channels, has_two_3x3_convolutions_and_batch_norm, ends_with_a_relu],
    hidden_cases=[sees_a_5x5_neighbourhood, works_for_other_sizes_and_channels, is_trainable],
    wrong_answers=[
        ("one convolution only", _one_conv),
        ("no padding (the output shrinks)", _no_padding),
        ("no ReLU at the end", _no_final_relu),
        ("the second convolution expects in_channels", _second_conv_wrong_input),
    ],
    equivalent_answers=[
        ("an nn.Module class with named layers and F.relu in forward", _ConvBlock),
        ("builds the layers in a loop, padding='same', biases kept, ReLU not in place", _block_in_a_loop),
    ],
    hint="nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), nn.BatchNorm2d(out_channels), nn.ReLU(), "
         "then the same with out_channels -> out_channels.",
))


# ---------------------------------------------------------------- 4.2 concat_skip

def concat_skip(skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Centre-crop ``skip`` (N x Cs x Hs x Ws) to x's H x W, then concatenate [skip, x] along the channels."""
    h, w = x.shape[-2:]
    top, left = (skip.shape[-2] - h) // 2, (skip.shape[-1] - w) // 2
    return torch.cat([skip[..., top : top + h, left : left + w], x], dim=1)  # N x (Cs + C) x H x W


def _pair(cs: int, c: int, hs: int, h: int, device: torch.device, seed: int = 0, ws: int | None = None, w: int | None = None):
    skip = torch.randn(2, cs, hs, ws or hs, generator=case_generator(seed)).to(device)
    x = torch.randn(2, c, h, w or h, generator=case_generator(seed + 1)).to(device)
    return skip, x


def stacks_the_channels(f, device):
    """gives N x (Cs + C) x H x W for same-sized inputs"""
    skip, x = _pair(8, 4, 16, 16, device)
    expect_device(expect_shape(f(skip, x), (2, 12, 16, 16), "the result for 8 + 4 channels of 16 x 16"), device, "the result")


def puts_the_skip_first(f, device):
    """puts the skip's channels first, then x's"""
    skip, x = _pair(3, 5, 8, 8, device, seed=1)
    out = expect_shape(f(skip, x), (2, 8, 8, 8), "the result")
    expect_close(out[:, :3], skip, "channels 0-2 (the skip)")
    expect_close(out[:, 3:], x, "channels 3-7 (x)")


def crops_a_larger_skip_around_its_centre(f, device):
    """crops a 20 x 20 skip to the centre 16 x 16 (as in the paper, which pads nothing)"""
    skip, x = _pair(2, 3, 20, 16, device, seed=2)
    out = expect_shape(f(skip, x), (2, 5, 16, 16), "the result for a 20 x 20 skip and a 16 x 16 x")
    expect_close(out[:, :2], skip[..., 2:18, 2:18], "the cropped skip (rows and columns 2-17)")


def crops_odd_differences_and_rectangles(f, device):
    """crops a 9 x 12 skip to 6 x 8, starting at row 1 and column 2"""
    skip, x = _pair(2, 2, 9, 6, device, seed=3, ws=12, w=8)
    out = expect_shape(f(skip, x), (2, 4, 6, 8), "the result for a 9 x 12 skip and a 6 x 8 x")
    expect_close(out[:, :2], skip[..., 1:7, 2:10], "the cropped skip (rows 1-6, columns 2-9)")


def lets_gradients_reach_both_inputs(f, device):
    """passes gradients to both the skip and x"""
    skip, x = _pair(2, 2, 6, 6, device, seed=4)
    skip.requires_grad_(True)
    x.requires_grad_(True)
    expect_tensor(f(skip, x), "the result").sum().backward()
    if skip.grad is None or x.grad is None:
        fail("gradients for both inputs", f"skip {'with' if skip.grad is not None else 'without'}, x {'with' if x.grad is not None else 'without'} a gradient")


def _along_the_batch(skip, x):
    return torch.cat([skip, x], dim=0)


def _x_first(skip, x):
    return concat_skip(x, skip) if skip.shape[-2:] == x.shape[-2:] else torch.cat([x, skip[..., : x.shape[-2], : x.shape[-1]]], 1)


def _crops_the_corner(skip, x):
    return torch.cat([skip[..., : x.shape[-2], : x.shape[-1]], x], dim=1)


def _adds(skip, x):
    return skip[..., : x.shape[-2], : x.shape[-1]][:, : x.shape[1]] + x


def _crop_by_negative_padding(skip, x):
    dh, dw = skip.shape[2] - x.shape[2], skip.shape[3] - x.shape[3]
    cropped = F.pad(skip, [-(dw // 2), -(dw - dw // 2), -(dh // 2), -(dh - dh // 2)])
    return torch.cat((cropped, x), 1)


def _crop_with_narrow(skip, x):
    top, left = (skip.size(2) - x.size(2)) // 2, (skip.size(3) - x.size(3)) // 2
    return torch.cat([skip.narrow(2, top, x.size(2)).narrow(3, left, x.size(3)), x], dim=1)


register(Exercise(
    id="4.2",
    title="skip concatenation",
    reference=concat_skip,
    visible_cases=[stacks_the_channels, puts_the_skip_first, crops_a_larger_skip_around_its_centre],
    hidden_cases=[crops_odd_differences_and_rectangles, lets_gradients_reach_both_inputs],
    wrong_answers=[
        ("concatenates along the batch", _along_the_batch),
        ("puts x first", _x_first),
        ("crops the top-left corner", _crops_the_corner),
        ("adds instead of concatenating", _adds),
    ],
    equivalent_answers=[
        ("crops with F.pad and negative padding", _crop_by_negative_padding),
        ("crops with Tensor.narrow", _crop_with_narrow),
    ],
    hint="top = (skip.shape[-2] - x.shape[-2]) // 2 and left likewise; crop skip[..., top:top + H, left:left + W]; "
         "then torch.cat([cropped, x], dim=1).",
))


# ---------------------------------------------------------------- 4.3 dice_loss

def dice_loss(logits: torch.Tensor, target: torch.Tensor, eps: float = 1.0) -> torch.Tensor:
    """1 - (1/C) sum_c (2 sum p_c t_c + eps) / (sum p_c + sum t_c + eps); p = softmax over classes, sums over batch and pixels."""
    n_classes = logits.shape[1]
    p = logits.softmax(dim=1)  # N x C x H x W
    t = F.one_hot(target, n_classes).permute(0, 3, 1, 2).to(p.dtype)  # N x C x H x W
    dims = (0, 2, 3)
    dice = (2 * (p * t).sum(dims) + eps) / (p.sum(dims) + t.sum(dims) + eps)  # C
    return 1 - dice.mean()


def _segmentation(n: int, c: int, size: int, device: torch.device, seed: int = 0, scale: float = 2.0):
    logits = (scale * torch.randn(n, c, size, size, generator=case_generator(seed))).to(device)
    target = torch.randint(0, c, (n, size, size), generator=case_generator(seed + 1)).to(device)
    return logits, target


def _scalar(out: object, what: str) -> torch.Tensor:
    out = expect_tensor(out, what)
    if out.dim() != 0:
        fail(f"{what} as one number (a 0-dimensional tensor)", describe(out))
    return out


def is_about_zero_for_a_perfect_prediction(f, device):
    """is about 0 for a confident, correct prediction"""
    _, target = _segmentation(2, 4, 16, device, seed=1)
    logits = 30.0 * F.one_hot(target, 4).permute(0, 3, 1, 2).float()
    loss = _scalar(f(logits, target, 1.0), "the loss")
    if loss.item() > 1e-3:
        fail("a loss of about 0 when the prediction is the target", f"{loss.item():.4g}")


def is_about_one_when_nothing_overlaps(f, device):
    """is about 1 for a confident prediction that is wrong everywhere"""
    _, target = _segmentation(2, 4, 16, device, seed=2)
    logits = 30.0 * F.one_hot((target + 1) % 4, 4).permute(0, 3, 1, 2).float()
    loss = _scalar(f(logits, target, 1.0), "the loss")
    if loss.item() < 0.98 or loss.item() > 1.0 + 1e-6:
        fail("a loss of about 1 when no pixel is right", f"{loss.item():.4g}")


def matches_the_soft_dice_of_random_logits(f, device):
    """equals 1 - mean Dice for random logits (softmax probabilities)"""
    logits, target = _segmentation(3, 5, 12, device, seed=3)
    expect_close(_scalar(f(logits, target, 1.0), "the loss"), dice_loss(logits, target, 1.0), "the Dice loss", atol=1e-4)


def sums_over_the_whole_batch(f, device):
    """sums over all images of the batch before dividing (not a mean of per-image Dice)"""
    logits, target = _segmentation(4, 3, 10, device, seed=4)
    target[0] = 0  # an image holding one class only: per-image and batch Dice differ
    expect_close(_scalar(f(logits, target, 1.0), "the loss"), dice_loss(logits, target, 1.0), "the Dice loss with sums over the batch", atol=1e-4)


def uses_eps_as_given(f, device):
    """adds eps to numerator and denominator (try eps = 0.01 and 50)"""
    logits, target = _segmentation(2, 3, 6, device, seed=5)
    for eps in (0.01, 50.0):
        expect_close(_scalar(f(logits, target, eps), "the loss"), dice_loss(logits, target, eps), f"the Dice loss with eps = {eps}", atol=1e-4)


def is_differentiable(f, device):
    """gives every logit a gradient (no argmax inside)"""
    logits, target = _segmentation(2, 3, 8, device, seed=6)
    logits.requires_grad_(True)
    loss = _scalar(f(logits, target, 1.0), "the loss")
    if not loss.requires_grad:
        fail("a loss that gradients flow through", "a tensor without a gradient", "argmax is not differentiable: use the softmax probabilities")
    loss.backward()
    if logits.grad is None or logits.grad.abs().sum().item() == 0:
        fail("a non-zero gradient for the logits", "zero gradient")


def _no_softmax(logits, target, eps=1.0):
    t = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()
    dims = (0, 2, 3)
    return 1 - ((2 * (logits * t).sum(dims) + eps) / (logits.sum(dims) + t.sum(dims) + eps)).mean()


def _sigmoid(logits, target, eps=1.0):
    p = logits.sigmoid()
    t = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()
    dims = (0, 2, 3)
    return 1 - ((2 * (p * t).sum(dims) + eps) / (p.sum(dims) + t.sum(dims) + eps)).mean()


def _forgets_the_2(logits, target, eps=1.0):
    p = logits.softmax(1)
    t = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()
    dims = (0, 2, 3)
    return 1 - (((p * t).sum(dims) + eps) / (p.sum(dims) + t.sum(dims) + eps)).mean()


def _returns_dice_not_loss(logits, target, eps=1.0):
    return 1 - dice_loss(logits, target, eps)


def _per_image(logits, target, eps=1.0):
    p = logits.softmax(1)
    t = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()
    dims = (2, 3)
    return 1 - ((2 * (p * t).sum(dims) + eps) / (p.sum(dims) + t.sum(dims) + eps)).mean()


def _argmax(logits, target, eps=1.0):
    p = F.one_hot(logits.argmax(1), logits.shape[1]).permute(0, 3, 1, 2).float()
    t = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).float()
    dims = (0, 2, 3)
    return 1 - ((2 * (p * t).sum(dims) + eps) / (p.sum(dims) + t.sum(dims) + eps)).mean()


def _dice_class_by_class(logits, target, eps=1.0):
    p = F.softmax(logits, dim=1)
    dices = []
    for c in range(logits.shape[1]):
        p_c, t_c = p[:, c], (target == c).float()
        dices.append((2 * (p_c * t_c).sum() + eps) / (p_c.sum() + t_c.sum() + eps))
    return 1 - torch.stack(dices).mean()


def _dice_scatter_einsum(logits, target, eps=1.0):
    p = logits.log_softmax(dim=1).exp()
    t = torch.zeros_like(p).scatter_(1, target.unsqueeze(1), 1.0)
    inter = torch.einsum("nchw,nchw->c", p, t)
    sums = p.transpose(0, 1).reshape(p.shape[1], -1).sum(1) + t.transpose(0, 1).reshape(t.shape[1], -1).sum(1)
    return 1 - ((2 * inter + eps) / (sums + eps)).sum() / p.shape[1]


register(Exercise(
    id="4.3",
    title="the soft Dice loss",
    reference=dice_loss,
    visible_cases=[is_about_zero_for_a_perfect_prediction, is_about_one_when_nothing_overlaps, matches_the_soft_dice_of_random_logits],
    hidden_cases=[sums_over_the_whole_batch, uses_eps_as_given, is_differentiable],
    wrong_answers=[
        ("uses the logits as probabilities", _no_softmax),
        ("sigmoid instead of softmax", _sigmoid),
        ("forgets the 2 in the numerator", _forgets_the_2),
        ("returns the Dice coefficient, not the loss", _returns_dice_not_loss),
        ("averages per-image Dice", _per_image),
        ("uses hard argmax predictions", _argmax),
    ],
    equivalent_answers=[
        ("one Dice per class in a loop over the classes", _dice_class_by_class),
        ("probabilities from log_softmax().exp(), one-hot by scatter_, intersections by einsum", _dice_scatter_einsum),
    ],
    hint="p = logits.softmax(dim=1); t = F.one_hot(target, C).permute(0, 3, 1, 2).float(); sum p * t, p and t over dims "
         "(0, 2, 3) to get one number per class; dice = (2 * inter + eps) / (sum_p + sum_t + eps); return 1 - dice.mean().",
))


# ---------------------------------------------------------------- 4.4 iou_per_class

def iou_per_class(prediction: torch.Tensor, target: torch.Tensor, n_classes: int) -> torch.Tensor:
    """IoU_c = |P_c and T_c| / |P_c or T_c| over the whole batch, one value per class (NaN when c is in neither)."""
    ious = []
    for c in range(n_classes):
        p, t = prediction == c, target == c
        union = (p | t).sum()
        ious.append(torch.where(union > 0, (p & t).sum() / union.clamp_min(1), torch.full_like(union, float("nan"), dtype=torch.float32)))
    return torch.stack(ious).float()


def _masks(n: int, size: int, c: int, device: torch.device, seed: int = 0):
    target = torch.randint(0, c, (n, size, size), generator=case_generator(seed)).to(device)
    noise = torch.randint(0, c, (n, size, size), generator=case_generator(seed + 1)).to(device)
    flip = torch.rand(n, size, size, generator=case_generator(seed + 2)).to(device) < 0.3
    return torch.where(flip, noise, target), target


def _vector(out: object, c: int, what: str = "the IoU") -> torch.Tensor:
    out = expect_shape(expect_tensor(out, what), (c,), f"{what} (one value per class)")
    if not out.is_floating_point():
        fail(f"{what} as floats (a ratio between 0 and 1)", describe(out), "integer division truncates: convert the counts with .float()")
    return out


def is_one_for_a_perfect_prediction(f, device):
    """is 1 for every class when prediction = target"""
    _, target = _masks(2, 8, 3, device)
    expect_close(_vector(f(target, target, 3), 3), torch.ones(3), "IoU of a perfect prediction")


def matches_a_small_example(f, device):
    """gives 1/3 and 2/3 for a 4-pixel example"""
    prediction = torch.tensor([[[0, 0], [1, 1]]], device=device)
    target = torch.tensor([[[0, 1], [1, 1]]], device=device)
    # class 0: P = {a, b}, T = {a}: 1 / 2;  class 1: P = {c, d}, T = {b, c, d}: 2 / 3
    expect_close(_vector(f(prediction, target, 2), 2), torch.tensor([0.5, 2 / 3]), "IoU for P = [[0, 0], [1, 1]], T = [[0, 1], [1, 1]]", atol=1e-5)


def matches_random_masks(f, device):
    """matches |P and T| / |P or T| on random masks with 4 classes"""
    prediction, target = _masks(3, 16, 4, device, seed=3)
    expect_close(_vector(f(prediction, target, 4), 4), iou_per_class(prediction, target, 4), "IoU per class", atol=1e-5)


def is_nan_for_a_class_in_neither_mask(f, device):
    """is NaN (undefined) for a class in neither the prediction nor the target"""
    prediction, target = _masks(2, 8, 3, device, seed=4)
    out = _vector(f(prediction, target, 4), 4)
    if not torch.isnan(out[3]):
        fail("NaN for class 3, which appears nowhere (0 / 0 is undefined, and must not count as 0 or 1 in a mean)", f"{out[3].item():.4g}")
    if torch.isnan(out[:3]).any():
        fail("numbers for the classes that appear", describe(out))


def is_zero_when_the_class_is_always_missed(f, device):
    """is 0 for a class present in the target but never predicted"""
    target = torch.tensor([[[0, 1], [2, 2]]], device=device)
    prediction = torch.tensor([[[0, 0], [2, 2]]], device=device)
    out = _vector(f(prediction, target, 3), 3)
    expect_close(out, torch.tensor([0.5, 0.0, 1.0]), "IoU when class 1 is missed", atol=1e-5)


def counts_over_the_whole_batch(f, device):
    """counts pixels over the whole batch (not a mean of per-image IoU)"""
    target = torch.zeros(2, 4, 4, dtype=torch.long, device=device)
    target[0, :1] = 1  # class 1: 4 pixels in image 0
    target[1] = 1  # and 16 in image 1
    prediction = target.clone()
    prediction[0] = 0  # image 0 misses its 4 pixels: batch IoU 16/20, per-image mean (0 + 1)/2
    out = _vector(f(prediction, target, 2), 2)
    expect_close(out[1:], torch.tensor([0.8]), "IoU of class 1 over the batch (16 / 20)", atol=1e-5)


def _dice_instead(prediction, target, n_classes):
    out = []
    for c in range(n_classes):
        p, t = prediction == c, target == c
        out.append(2 * (p & t).sum().float() / (p.sum() + t.sum()).float())
    return torch.stack(out)


def _recall_instead(prediction, target, n_classes):
    return torch.stack([((prediction == c) & (target == c)).sum().float() / (target == c).sum().clamp_min(1).float() for c in range(n_classes)])


def _zero_when_absent(prediction, target, n_classes):
    return torch.nan_to_num(iou_per_class(prediction, target, n_classes), nan=0.0)


def _integer_division(prediction, target, n_classes):
    return torch.stack([((prediction == c) & (target == c)).sum() // ((prediction == c) | (target == c)).sum().clamp_min(1) for c in range(n_classes)])


def _iou_from_one_hot_counts(prediction, target, n_classes):
    p = F.one_hot(prediction.reshape(-1), n_classes)
    t = F.one_hot(target.reshape(-1), n_classes)
    inter = (p * t).sum(0)
    union = p.sum(0) + t.sum(0) - inter
    return inter.float() / union.float()  # 0 / 0 is NaN in floating point


def _iou_from_bincount(prediction, target, n_classes):
    inter = torch.bincount(target[prediction == target], minlength=n_classes)
    area_p = torch.bincount(prediction.flatten(), minlength=n_classes)
    area_t = torch.bincount(target.flatten(), minlength=n_classes)
    union = (area_p + area_t - inter).double()
    return torch.where(union > 0, inter / union, torch.full_like(union, float("nan"))).float()


def _iou_with_python_numbers(prediction, target, n_classes):
    values = []
    for c in range(n_classes):
        inter = ((prediction == c) & (target == c)).sum().item()
        union = ((prediction == c) | (target == c)).sum().item()
        values.append(inter / union if union else float("nan"))
    return torch.tensor(values, device=prediction.device)


register(Exercise(
    id="4.4",
    title="intersection over union",
    reference=iou_per_class,
    visible_cases=[is_one_for_a_perfect_prediction, matches_a_small_example, matches_random_masks],
    hidden_cases=[is_nan_for_a_class_in_neither_mask, is_zero_when_the_class_is_always_missed, counts_over_the_whole_batch],
    wrong_answers=[
        ("computes Dice instead of IoU", _dice_instead),
        ("divides by the target only (recall)", _recall_instead),
        ("gives 0 for an absent class", _zero_when_absent),
        ("integer division", _integer_division),
    ],
    equivalent_answers=[
        ("counts with F.one_hot over all pixels, lets 0 / 0 give NaN", _iou_from_one_hot_counts),
        ("counts with torch.bincount", _iou_from_bincount),
        ("a loop with Python numbers, then torch.tensor", _iou_with_python_numbers),
    ],
    hint="for each class c: p = prediction == c, t = target == c; intersection (p & t).sum(), union (p | t).sum(); "
         "IoU = intersection / union as a float, and float('nan') when the union is 0. Stack the C values.",
))
