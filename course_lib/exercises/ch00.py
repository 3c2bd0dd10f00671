"""Chapter 00 (start here): two warm-up exercises on image tensors.

0.1 ``normalize_images``: uint8 pixels 0..255 -> float32 in [0, 1].
0.2 ``flatten_images``: N x C x H x W -> N x (C * H * W), one row per image (what a fully connected layer eats).

Under a grading salt every case's inputs are new (the notebook's checks run unsalted): the pixels come from
``case_generator`` and the batch sizes from ``_batch``, and the literal pixels [0, 255] sit at drawn places of a
drawn batch, so no table of outputs recorded on the unsalted inputs answers a graded case.
"""
from __future__ import annotations

import torch

from .expect import expect_close, expect_device, expect_dtype, expect_equal, expect_shape, expect_tensor
from .registry import Exercise, case_generator, case_salt, case_size, fail, register


def _pixels(shape: tuple[int, ...], device: torch.device, seed: int = 0, high: int = 256) -> torch.Tensor:
    """Random uint8 pixels in [0, high), drawn from a private generator."""
    generator = case_generator(seed)
    return torch.randint(0, high, shape, generator=generator, dtype=torch.uint8).to(device)


def _batch(n: int, seed: int) -> int:
    """``n`` images unsalted; under a salt, a batch size of 9 to 16 drawn from it (no unsalted case has one), so
    neither the inputs nor their shapes are ones a learner could have recorded outputs for."""
    return case_size(n, 10_000 + seed, 9, 16)


# ---------------------------------------------------------------- 0.1 normalize_images

def normalize_images(x: torch.Tensor) -> torch.Tensor:
    """Map uint8 pixels 0..255 to float32 values in [0, 1]: x / 255 (same shape, same device)."""
    return x.float() / 255


def returns_float32(f, device):
    """returns a float32 tensor"""
    expect_dtype(expect_tensor(f(_pixels((_batch(8, 0), 1, 28, 28), device)), "the result"), torch.float32, "the result")


def keeps_the_shape_and_device(f, device):
    """keeps the shape and the device of the input"""
    n = _batch(8, 0)
    out = expect_shape(f(_pixels((n, 1, 28, 28), device)), (n, 1, 28, 28), "the result")
    expect_device(out, device, "the result")


def maps_0_to_0_and_255_to_1(f, device):
    """maps pixel 0 to 0.0 and pixel 255 to 1.0"""
    if case_salt() is None:
        x = torch.tensor([[[[0, 255]]]], dtype=torch.uint8, device=device)
        expect_close(f(x), torch.tensor([[[[0.0, 1.0]]]]), "the values for pixels [0, 255]", atol=1e-6)
        return
    # graded: a 0 and a 255 at two drawn places of a drawn batch (the other pixels drawn too)
    x = _pixels((_batch(1, 5), 1, 28, 28), device, seed=5)
    places = torch.randperm(x.numel(), generator=case_generator(5_000))[:2].to(device)
    x.view(-1)[places] = torch.tensor([0, 255], dtype=torch.uint8, device=device)
    out = expect_shape(f(x), tuple(x.shape), "the result")
    expect_close(out.reshape(-1)[places], torch.tensor([0.0, 1.0]), "the values for pixels [0, 255]", atol=1e-6)


def divides_every_pixel_by_255(f, device):
    """divides every pixel by 255"""
    x = _pixels((_batch(8, 1), 1, 28, 28), device, seed=1)
    expect_close(f(x), x.cpu().double() / 255, "every pixel / 255", atol=1e-6)


def scales_a_dim_image_by_255_not_its_max(f, device):
    """scales by the fixed range 255, not by the image's brightest pixel"""
    x = _pixels((_batch(4, 2), 1, 28, 28), device, seed=2, high=101)  # a dim batch: brightest pixel 100
    out = expect_tensor(f(x), "the result")
    if abs(float(out.max()) - 100 / 255) > 1e-5:
        fail(f"a largest value of 100/255 = {100 / 255:.4f} for images whose brightest pixel is 100",
             f"{float(out.max()):.4f}", "a pixel's value must not depend on the other pixels")


def works_for_other_sizes(f, device):
    """works for one image, 64 x 64 images and an empty batch"""
    for shape in [(1, 1, 28, 28), (_batch(3, 3), 1, 64, 64), (0, 1, 28, 28)]:
        x = _pixels(shape, device, seed=3)
        expect_close(f(x), x.cpu().double() / 255, f"the result for a batch of shape {' x '.join(map(str, shape))}", atol=1e-6)


def leaves_the_input_unchanged(f, device):
    """leaves the input tensor unchanged"""
    x = _pixels((_batch(2, 4), 1, 28, 28), device, seed=4)
    before = x.clone()
    expect_tensor(f(x), "the result")  # an answer passes only with a real result
    if not torch.equal(x, before):
        fail("the input to stay as it was", "it was changed in place", "compute a new tensor instead of editing x")


register(Exercise(
    id="0.1",
    title="normalize_images",
    reference=normalize_images,
    visible_cases=[returns_float32, keeps_the_shape_and_device, maps_0_to_0_and_255_to_1, divides_every_pixel_by_255],
    hidden_cases=[scales_a_dim_image_by_255_not_its_max, works_for_other_sizes, leaves_the_input_unchanged],
    wrong_answers=[
        ("forgets to scale", lambda x: x.float()),
        ("divides by 256", lambda x: x.float() / 256),
        ("divides by the brightest pixel of the batch", lambda x: x.float() / x.max()),
        ("integer division keeps uint8", lambda x: x // 255),
    ],
    equivalent_answers=[
        ("divides the uint8 tensor by 255.0 (true division gives float32)", lambda x: x / 255.0),
        ("converts with .to(torch.float32) and divides in place", lambda x: x.to(torch.float32).div_(255)),
        ("multiplies by 1 / 255", lambda x: x.float() * (1 / 255)),
    ],
    hint="convert to floating point first, then divide by the largest value a uint8 pixel can take.",
))


# ---------------------------------------------------------------- 0.2 flatten_images

def flatten_images(x: torch.Tensor) -> torch.Tensor:
    """Flatten N x C x H x W images into N x (C * H * W) rows, pixel order kept (row i is x[i] read row by row)."""
    return x.flatten(start_dim=1)


def _images(shape: tuple[int, ...], device: torch.device, seed: int = 0) -> torch.Tensor:
    return torch.rand(shape, generator=case_generator(seed)).to(device)


def gives_one_row_per_image(f, device):
    """gives one row of 784 pixels per 1 x 28 x 28 image"""
    n = _batch(8, 0)
    expect_shape(f(_images((n, 1, 28, 28), device)), (n, 784), "the result")


def keeps_the_pixels_in_order(f, device):
    """keeps every pixel, in order (row i is image i read row by row)"""
    x = _images((_batch(5, 1), 1, 28, 28), device, seed=1)
    out = expect_device(expect_tensor(f(x), "the result"), device, "the result")
    expect_equal(out, torch.stack([image.reshape(-1) for image in x.cpu()]), "the rows")


def works_for_a_single_image(f, device):
    """works for a batch of one image"""
    x = _images((1, 1, 28, 28), device)
    out = expect_shape(f(x), (1, 784), "the result for a batch of one")
    expect_equal(out, x.cpu().reshape(1, -1), "the row of the one image")


def works_for_other_image_sizes(f, device):
    """works for 64 x 64 images and for 3 colour channels"""
    for shape in [(_batch(3, 2), 1, 64, 64), (_batch(2, 3), 3, 8, 8)]:
        x = _images(shape, device, seed=2)
        n, pixels = shape[0], shape[1] * shape[2] * shape[3]
        try:
            out = f(x)
        except NotImplementedError:
            raise
        except RuntimeError as err:
            fail(f"a result of shape {n} x {pixels} for images of shape {' x '.join(map(str, shape))}",
                 f"an error: {str(err).splitlines()[0]}", "do not hard-code 28 x 28 = 784")
        expect_equal(out, x.cpu().reshape(n, -1), f"the result for images of shape {' x '.join(map(str, shape))}")


register(Exercise(
    id="0.2",
    title="flatten_images",
    reference=flatten_images,
    visible_cases=[gives_one_row_per_image, keeps_the_pixels_in_order],
    hidden_cases=[works_for_a_single_image, works_for_other_image_sizes],
    wrong_answers=[
        ("flattens the whole batch into one vector", lambda x: x.flatten()),
        ("puts pixels in rows and images in columns", lambda x: x.reshape(-1, x.shape[0])),
        ("hard-codes 784 pixels", lambda x: x.reshape(-1, 784)),
        ("reads the images column by column", lambda x: x.transpose(2, 3).reshape(x.shape[0], -1)),
    ],
    equivalent_answers=[
        ("reshapes to N x -1", lambda x: x.reshape(x.shape[0], -1)),
        ("views as len(x) x (C * H * W)", lambda x: x.view(len(x), x[0].numel())),
        ("uses nn.Flatten()", lambda x: torch.nn.Flatten()(x)),
        ("flattens each image in a loop and stacks the rows", lambda x: torch.stack([image.flatten() for image in x])),
    ],
    hint="keep the first dimension (the batch) and merge all the others into one; reshape accepts -1 for 'whatever is left'.",
))
