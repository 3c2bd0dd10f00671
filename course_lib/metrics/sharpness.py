"""Image sharpness as the variance of the Laplacian (Pech-Pacheco et al. 2000): blurry images have weak edges,
so their Laplacian is flat and its variance small. Used to compare VAE samples with GAN samples."""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..input_checks import check_images

LAPLACIAN = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])


@torch.no_grad()
def sharpness(images: torch.Tensor, per_image: bool = False) -> float | torch.Tensor:
    """Mean over images of Var(Laplacian(image)) for N x C x H x W images in [0, 1] (or one value per image)."""
    check_images(images.detach() if isinstance(images, torch.Tensor) else images, "images", shape=(None, None, None))
    n, c, h, w = images.shape
    kernel = LAPLACIAN.to(images.device, images.dtype).view(1, 1, 3, 3)
    response = F.conv2d(images.reshape(n * c, 1, h, w), kernel)  # valid: (n c) x 1 x (h-2) x (w-2)
    values = response.view(n, -1).var(dim=1)
    return values if per_image else float(values.mean())
