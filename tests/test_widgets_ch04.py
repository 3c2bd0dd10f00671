"""The chapter 04 explorer (segmentation probability map and thresholded mask), driven without a browser."""
import pytest
import torch

from course_lib.models import UNet
from course_lib.train.segmentation import class_probabilities
from course_lib.widgets import segmentation_explorer

CLASSES = ["background", "circle", "square", "triangle"]


@pytest.fixture()
def scene(device):
    torch.manual_seed(0)
    model = UNet(1, 4, depth=2, base_width=4).to(device)
    images = torch.rand(5, 1, 16, 16, device=device)
    masks = torch.randint(0, 4, (5, 16, 16), device=device)
    return model, images, masks


def test_choosing_another_image_class_or_threshold_redraws_a_different_picture(scene):
    explorer = segmentation_explorer(*scene, CLASSES, background=0)
    for name, value in [("index", 3), ("cls", 2), ("threshold", 0.15)]:
        before = explorer.image.value
        explorer.controls[name].value = value
        assert explorer.image.value != before, f"moving {name} did not change the picture"
    assert explorer.redraws == 4


def test_starts_on_the_first_foreground_class(scene):
    assert segmentation_explorer(*scene, CLASSES, background=0).controls["cls"].value == 1
    assert segmentation_explorer(*scene, ["0", "1", "2", "bg"], background=3).controls["cls"].value == 0


def test_probabilities_sum_to_one_per_pixel_and_leave_the_model_in_training_mode(scene):
    model, images, _ = scene
    model.train()
    probs = class_probabilities(model, images)
    assert probs.shape == (5, 4, 16, 16) and probs.device.type == "cpu"
    assert torch.allclose(probs.sum(1), torch.ones(5, 16, 16), atol=1e-5)
    assert model.training


def test_rejects_class_names_that_do_not_match_the_model(scene):
    with pytest.raises(ValueError, match="4 scores per pixel but 3 class names"):
        segmentation_explorer(*scene, CLASSES[:3])


def test_works_for_colour_images(device):
    torch.manual_seed(0)
    model = UNet(3, 3, depth=2, base_width=4).to(device)
    images = torch.rand(2, 3, 16, 16, device=device)
    explorer = segmentation_explorer(model, images, torch.randint(0, 3, (2, 16, 16), device=device), ["bg", "pet", "border"], background=0)
    before = explorer.image.value
    explorer.controls["index"].value = 1
    assert explorer.image.value != before
