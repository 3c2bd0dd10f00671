import numpy as np
import pytest
import torch
from matplotlib.figure import Figure

from course_lib.viz.segmentation import class_agreement, class_colors, colorize, error_overlay, legend_handles, overlay, show_segmentations


def test_background_is_black_and_foreground_classes_get_distinct_colors():
    colors = class_colors(11, background=10)
    assert np.all(colors[10] == 0)
    assert len({tuple(c) for c in colors[:10]}) == 10
    assert np.all(class_colors(4, background=0)[0] == 0)


def test_colorize_maps_each_pixel_to_its_class_color():
    mask = torch.tensor([[0, 1], [2, 3]])
    rgb = colorize(mask, 4, background=0)
    assert rgb.shape == (2, 2, 3)
    assert np.allclose(rgb[0, 1], class_colors(4, 0)[1]) and np.allclose(rgb[0, 0], 0)


def test_overlay_leaves_background_pixels_grey_and_tints_the_others():
    image = torch.full((1, 2, 2), 0.5)
    mask = torch.tensor([[0, 1], [0, 2]])
    out = overlay(image, mask, 3, background=0, alpha=0.5)
    assert out.shape == (2, 2, 3) and out.min() >= 0 and out.max() <= 1
    assert np.allclose(out[0, 0], 0.5) and not np.allclose(out[0, 1], 0.5)


def test_error_overlay_marks_exactly_the_wrong_pixels_red():
    image = torch.zeros(1, 3, 3)
    target = torch.zeros(3, 3, dtype=torch.long)
    pred = target.clone()
    pred[1, 2] = 1
    out = error_overlay(image, pred, target)
    red = np.all(np.isclose(out, [0.95, 0.15, 0.15]), axis=-1)
    assert red.sum() == 1 and red[1, 2]


def test_class_agreement_colors_hits_false_alarms_and_misses():
    image = torch.zeros(1, 1, 4)
    predicted = torch.tensor([[True, True, False, False]])
    true = torch.tensor([[True, False, True, False]])
    out = class_agreement(image, predicted, true)
    assert out[0, 0, 1] > 0.5 and out[0, 1, 0] > 0.5 and out[0, 2, 2] > 0.5 and np.allclose(out[0, 3], 0)


def test_show_segmentations_draws_four_rows_and_a_legend_without_the_background(device):
    images = torch.rand(3, 1, 8, 8, device=device)
    targets = torch.randint(0, 4, (3, 8, 8), device=device)
    fig = show_segmentations(images, targets, targets.flip(1), ["bg", "a", "b", "c"], background=0, n=5, title="t")
    assert isinstance(fig, Figure) and len(fig.axes) == 12
    assert [h.get_label() for h in legend_handles(["bg", "a", "b", "c"], 0)] == ["a", "b", "c"]


def test_rejects_a_batch_where_one_mask_is_expected():
    with pytest.raises(ValueError, match="H x W"):
        colorize(torch.zeros(2, 3, 3), 2)


def test_show_masks_draws_two_rows(device):
    from course_lib.viz.segmentation import show_masks

    fig = show_masks(torch.rand(3, 1, 8, 8, device=device), torch.randint(0, 11, (3, 8, 8), device=device),
                     [str(d) for d in range(10)] + ["bg"], background=10, n=3, title="t")
    assert len(fig.axes) == 6 and len(fig.legends[0].get_texts()) == 10


def test_colour_images_are_overlaid_as_they_are():
    image = torch.zeros(3, 2, 2)
    image[0] = 1.0  # red
    out = overlay(image, torch.zeros(2, 2, dtype=torch.long), 2, background=0)
    assert np.allclose(out[..., 0], 1) and np.allclose(out[..., 1:], 0)
