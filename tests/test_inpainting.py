import pytest
import torch

from course_lib.metrics.inpainting import HIDE_KINDS, hidden_error, impute, infer_label, observed_mask, show_hidden
from course_lib.models import CVAE, ConvVAE
from course_lib.input_checks import CourseInputError


@pytest.mark.parametrize("kind", ["top half", "bottom half", "left half", "right half"])
def test_a_half_hides_exactly_half_of_the_pixels_on_the_named_side(kind):
    keep = observed_mask(kind, 3)
    assert keep.shape == (3, 1, 28, 28) and keep.dtype == torch.bool
    assert keep.float().mean().item() == 0.5
    corner = {"top half": (0, 14), "bottom half": (27, 14), "left half": (14, 0), "right half": (14, 27)}[kind]
    assert not keep[:, 0, corner[0], corner[1]].any()


def test_a_quadrant_hides_a_quarter_and_varies_between_images():
    keep = observed_mask("quadrant", 64, generator=torch.Generator().manual_seed(0))
    assert torch.all(keep.float().mean(dim=(1, 2, 3)) == 0.75)
    assert len({tuple(k.flatten().tolist()) for k in keep}) == 4


def test_random_pixels_hide_about_the_requested_fraction():
    keep = observed_mask("random pixels", 50, fraction=0.3, generator=torch.Generator().manual_seed(1))
    assert abs((~keep).float().mean().item() - 0.3) < 0.02


def test_unknown_kind_names_the_choices():
    with pytest.raises(CourseInputError, match="top half"):
        observed_mask("middle", 2)


@pytest.mark.parametrize("conditional", [False, True])
def test_impute_keeps_the_observed_pixels_and_fills_the_others_in_range(device, conditional):
    torch.manual_seed(0)
    model = (CVAE(latent_dim=4, width=8, hidden=16) if conditional else ConvVAE(latent_dim=4, width=8, hidden=16)).to(device)
    x = torch.rand(6, 1, 28, 28, device=device)
    keep = observed_mask("bottom half", 6, device=device)
    y = torch.arange(6, device=device) if conditional else None
    model.train()
    filled = impute(model, x, keep, y, steps=3)
    assert filled.shape == x.shape and filled.device == x.device and model.training
    assert torch.equal(filled[keep], x[keep])
    assert filled.min() >= 0 and filled.max() <= 1 and not torch.equal(filled[~keep], torch.zeros_like(filled[~keep]))


def test_the_label_changes_what_a_cvae_fills_in(device):
    torch.manual_seed(0)
    model = CVAE(latent_dim=4, width=8, hidden=16).to(device)
    x = torch.rand(2, 1, 28, 28, device=device)
    keep = observed_mask("top half", 2, device=device)
    a = impute(model, x, keep, torch.tensor([1, 1], device=device), steps=2)
    b = impute(model, x, keep, torch.tensor([7, 7], device=device), steps=2)
    assert not torch.allclose(a, b)


def test_infer_label_returns_one_valid_label_per_image(device):
    torch.manual_seed(0)
    model = CVAE(latent_dim=4, width=8, hidden=16).to(device)
    x = torch.rand(5, 1, 28, 28, device=device)
    labels = infer_label(model, x, observed_mask("left half", 5, device=device), steps=2)
    assert labels.shape == (5,) and labels.dtype == torch.int64 and labels.min() >= 0 and labels.max() <= 9


def test_hidden_error_counts_only_the_hidden_pixels(device):
    x = torch.zeros(2, 1, 28, 28, device=device)
    keep = observed_mask("top half", 2, device=device)
    filled = x.clone()
    filled[keep] = 1.0  # wrong, but observed: not counted
    assert torch.allclose(hidden_error(filled, x, keep), torch.zeros(2, device=device))
    filled[~keep] = 0.5
    assert torch.allclose(hidden_error(filled, x, keep), torch.full((2,), 0.25, device=device))


def test_a_mask_of_the_wrong_shape_is_refused(device):
    x = torch.rand(2, 1, 28, 28, device=device)
    with pytest.raises(CourseInputError, match="boolean mask"):
        hidden_error(x, x, torch.ones(2, 28, 28, dtype=torch.bool, device=device))


def test_every_kind_is_accepted():
    for kind in HIDE_KINDS:
        assert observed_mask(kind, 2, size=(8, 8)).shape == (2, 1, 8, 8)


def test_show_hidden_paints_the_hidden_pixels_and_keeps_the_others(device):
    x = torch.rand(2, 1, 28, 28, device=device)
    keep = observed_mask("left half", 2, device=device)
    rgb = show_hidden(x, keep)
    assert rgb.shape == (2, 3, 28, 28)
    assert torch.equal(rgb[:, 1:2][keep], x[keep])
    assert torch.allclose(rgb[:, 2, :, 0], torch.ones(2, 28, device=device))
