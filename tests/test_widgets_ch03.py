"""The chapter 03 explorer (CVAE label picker and style sliders), driven without a browser."""
import pytest
import torch

from course_lib.models import CVAE
from course_lib.widgets.cvae_style import cvae_explorer


@pytest.fixture()
def cvae(device):
    torch.manual_seed(0)
    return CVAE(latent_dim=6, width=8, hidden=32).to(device)


def test_picking_another_label_redraws_a_different_picture(cvae):
    explorer = cvae_explorer(cvae, dims=[0, 2])
    before = explorer.image.value
    explorer.controls["label"].value = 7
    assert explorer.redraws == 2 and explorer.image.value != before


def test_moving_a_style_slider_redraws_a_different_picture(cvae):
    explorer = cvae_explorer(cvae, dims=[0, 2])
    before = explorer.image.value
    explorer.controls["z2"].value = 2.5
    assert explorer.image.value != before and explorer.image.value[:4] == b"\x89PNG"


def test_has_one_slider_per_chosen_dimension_and_a_label_picker(cvae):
    explorer = cvae_explorer(cvae, n_sliders=3)
    assert sorted(explorer.controls) == ["label", "z0", "z1", "z2"]
    assert [v for _, v in explorer.controls["label"].options] == list(range(10))


def test_rejects_dimensions_outside_the_code(cvae):
    with pytest.raises(ValueError, match="latent dimensions in 0..5"):
        cvae_explorer(cvae, dims=[6])


def test_leaves_the_model_in_its_training_mode(cvae):
    cvae.train()
    cvae_explorer(cvae)
    assert cvae.training


def test_inpainting_explorer_redraws_for_another_digit_hidden_part_or_label(cvae, device):
    from course_lib.models import ConvVAE
    from course_lib.widgets.inpainting import inpainting_explorer

    torch.manual_seed(0)
    vae = ConvVAE(latent_dim=4, width=8, hidden=16).to(device)
    images = torch.rand(4, 1, 28, 28, device=device)
    explorer = inpainting_explorer(cvae, images, torch.tensor([3, 1, 4, 1], device=device), vae=vae, steps=2)
    assert explorer.controls["label"].value == 3
    for name, value in [("label", 8), ("hide", "random pixels"), ("index", 2)]:
        before = explorer.image.value
        explorer.controls[name].value = value
        assert explorer.image.value != before, f"moving {name} did not change the picture"
