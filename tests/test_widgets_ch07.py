"""Chapter 07 explorer: picking a model or a seed redraws the gallery with that model's samples."""
import pytest
import torch

from course_lib.widgets.model_gallery import ModelGallery


def gallery_inputs():
    g = torch.Generator().manual_seed(0)
    samples = {
        "VAE": {0: torch.rand(32, 1, 28, 28, generator=g) * 0.5, 1: torch.rand(32, 1, 28, 28, generator=g)},
        "DCGAN": {0: torch.rand(32, 1, 28, 28, generator=g), 1: torch.zeros(32, 1, 28, 28), 2: torch.ones(32, 1, 28, 28)},
    }
    labels = {m: {s: torch.randint(10, (32,), generator=g) for s in seeds} for m, seeds in samples.items()}
    labels["DCGAN"][1] = torch.full((32,), 1)  # a collapsed seed: every sample is a "1"
    return samples, labels


def test_picking_another_model_redraws_a_different_picture():
    gallery = ModelGallery(*gallery_inputs())
    before = gallery.image.value
    gallery.controls["model"].value = "DCGAN"
    assert gallery.redraws == 2 and gallery.image.value != before


def test_picking_another_seed_redraws_a_different_picture():
    gallery = ModelGallery(*gallery_inputs())
    gallery.controls["model"].value = "DCGAN"
    before = gallery.image.value
    gallery.controls["seed"].value = 1
    assert gallery.image.value != before


def test_a_seed_the_model_lacks_falls_back_without_raising():
    gallery = ModelGallery(*gallery_inputs())
    gallery.controls["seed"].value = 2  # the VAE has seeds 0 and 1 only
    assert gallery.redraws == 2


def test_works_without_labels_and_rejects_points():
    samples, _ = gallery_inputs()
    gallery = ModelGallery(samples)
    gallery.controls["model"].value = "DCGAN"
    assert gallery.redraws == 2
    with pytest.raises(ValueError, match="N x C x H x W"):
        ModelGallery({"GAN": {0: torch.zeros(10, 2)}})
