"""Metrics checked on hand-made cases and on distributions whose answer is known in closed form."""
import math

import pytest
import torch

from course_lib.data import sample_mixture
from course_lib.metrics import (
    active_units,
    class_coverage,
    classifier_features,
    dice_per_class,
    frechet_distance,
    iou_per_class,
    iwae_log_likelihood,
    mean_iou,
    mode_coverage,
    roc_auc,
    sharpness,
)
from course_lib.models import Classifier, MLPVAE
from course_lib.input_checks import CourseInputError
from vae_support import zero_vae


def test_iou_and_dice_on_hand_made_masks(device):
    target = torch.tensor([[[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 2, 2], [2, 2, 2, 2]]], device=device)
    pred = torch.tensor([[[0, 0, 0, 1], [0, 0, 0, 1], [2, 2, 2, 2], [2, 2, 2, 1]]], device=device)
    # class 0: |P ∩ T| = 4, |P ∪ T| = 6;  class 1: 2 of 5;  class 2: 7 of 8
    expected = torch.tensor([4 / 6, 2 / 5, 7 / 8])
    assert torch.allclose(iou_per_class(pred, target, 3).cpu(), expected)
    assert torch.allclose(dice_per_class(pred, target, 3).cpu(), 2 * expected / (1 + expected))
    assert mean_iou(pred, target, 3) == pytest.approx(expected.mean().item())


def test_iou_is_one_for_a_perfect_prediction_and_skips_absent_classes(device):
    target = torch.randint(0, 3, (2, 8, 8), generator=torch.Generator().manual_seed(0)).to(device)
    iou = iou_per_class(target, target, 5)
    assert torch.equal(iou[:3].cpu(), torch.ones(3)) and iou[3:].isnan().all()
    assert mean_iou(target, target, 5) == 1.0


def test_iou_accepts_scores_and_takes_the_argmax(device):
    target = torch.randint(0, 4, (3, 8, 8), generator=torch.Generator().manual_seed(1)).to(device)
    scores = torch.randn(3, 4, 8, 8, device=device)
    assert torch.allclose(iou_per_class(scores, target, 4), iou_per_class(scores.argmax(1), target, 4), equal_nan=True)
    with pytest.raises(CourseInputError, match="N x 4 x H x W"):
        iou_per_class(scores[:, :3], target, 4)
    with pytest.raises(CourseInputError, match=r"0\.\.3"):
        iou_per_class(target + 1, target, 4)


def test_roc_auc_ranks_anomalies(device):
    labels = torch.tensor([0, 0, 0, 1, 1], device=device)
    assert roc_auc(torch.tensor([0.1, 0.2, 0.3, 0.8, 0.9], device=device), labels) == 1.0
    assert roc_auc(torch.tensor([0.9, 0.8, 0.7, 0.2, 0.1], device=device), labels) == 0.0
    g = torch.Generator().manual_seed(2)
    assert roc_auc(torch.rand(4000, generator=g), torch.randint(0, 2, (4000,), generator=g)) == pytest.approx(0.5, abs=0.05)
    with pytest.raises(CourseInputError, match="both classes"):
        roc_auc(torch.rand(3), torch.zeros(3))


def test_frechet_distance_is_zero_for_identical_sets_and_the_squared_shift_for_a_translation(device):
    g = torch.Generator().manual_seed(3)
    a = torch.randn(5000, 4, generator=g).to(device)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)
    shift = torch.tensor([1.0, -2.0, 0.0, 0.5], device=device)
    assert frechet_distance(a, a + shift) == pytest.approx(shift.pow(2).sum().item(), rel=1e-6)


def test_frechet_distance_between_isotropic_gaussians_matches_the_closed_form(device):
    # N(0, s1^2 I) vs N(0, s2^2 I) in D dimensions: FD = D (s1 - s2)^2.
    g = torch.Generator().manual_seed(4)
    a = 1.0 * torch.randn(20_000, 3, generator=g).to(device)
    b = 2.0 * torch.randn(20_000, 3, generator=g).to(device)
    assert frechet_distance(a, b) == pytest.approx(3 * (2.0 - 1.0) ** 2, rel=0.05)


def test_frechet_distance_on_images_uses_the_given_classifier_features(device):
    classifier = Classifier().to(device)
    images = torch.rand(64, 1, 28, 28, device=device)
    features = classifier_features(images, classifier)
    assert features.shape == (64, 128) and features.device == images.device
    assert frechet_distance(images, images, classifier) == pytest.approx(0.0, abs=1e-4)
    assert frechet_distance(images, images.flip(-1) * 0.5, classifier) > 0
    with pytest.raises(CourseInputError, match="N x 1 x 28 x 28"):
        classifier_features(torch.rand(8, 28, 28, device=device), classifier)


class ReadsTheClass(torch.nn.Module):
    """A stand-in classifier: the class of an image is written in its first pixel (value c / 10)."""

    def forward(self, x):
        return torch.nn.functional.one_hot((x[:, 0, 0, 0] * 10).round().long(), 10).float()


def images_of_classes(labels: torch.Tensor) -> torch.Tensor:
    x = torch.zeros(len(labels), 1, 28, 28, device=labels.device)
    x[:, 0, 0, 0] = labels / 10
    return x


def test_class_coverage_of_an_even_and_a_collapsed_generator(device):
    even = class_coverage(images_of_classes(torch.arange(1000, device=device) % 10), ReadsTheClass())
    assert even.covered == 10 and even.entropy == pytest.approx(math.log(10))
    collapsed = class_coverage(images_of_classes(torch.full((1000,), 3.0, device=device)), ReadsTheClass())
    assert collapsed.covered == 1 and collapsed.entropy == pytest.approx(0.0)
    assert collapsed.histogram[3] == 1.0


@pytest.mark.parametrize("name", ["ring8", "grid25"])
def test_mode_coverage_of_the_true_mixture_finds_every_mode_with_about_98_9_percent_high_quality(name):
    samples = sample_mixture(name, 2500, torch.Generator().manual_seed(5)).x
    modes, hq = mode_coverage(samples, name)
    assert modes == {"ring8": 8, "grid25": 25}[name]
    assert hq == pytest.approx(1 - math.exp(-4.5), abs=0.01)  # mass of a 2-D Gaussian within 3 sigma


def test_mode_coverage_of_a_collapsed_or_a_scattered_generator(device):
    centres = torch.tensor([[2.0, 0.0], [0.0, 2.0]], device=device)
    collapsed = torch.tensor([[2.0, 0.0]], device=device).expand(2500, 2)
    assert tuple(mode_coverage(collapsed, centres, sigma=0.02)) == (1, 1.0)
    scattered = 10 + torch.randn(2500, 2, device=device)
    assert tuple(mode_coverage(scattered, "ring8")) == (0, 0.0)
    with pytest.raises(CourseInputError, match="sigma"):
        mode_coverage(scattered, centres)


def test_iwae_of_a_zero_initialised_vae_is_exactly_minus_d_log_two(device):
    # q(z|x) = p(z) and p(x|z) = 2^-784 for every z, so every importance weight is 2^-784.
    x = torch.rand(10, 1, 28, 28, device=device)
    for k in (1, 20):
        assert iwae_log_likelihood(zero_vae(device), x, k=k) == pytest.approx(-784 * math.log(2), rel=1e-5)


def test_iwae_bound_tightens_with_more_samples(device):
    torch.manual_seed(0)
    model = MLPVAE(latent_dim=4, hidden=32).to(device)
    x = (torch.rand(50, 1, 28, 28, device=device) > 0.5).float()
    l1, l50 = iwae_log_likelihood(model, x, k=1), iwae_log_likelihood(model, x, k=50)
    assert l50 > l1
    assert iwae_log_likelihood(model, x, k=5, per_image=True).shape == (50,)


class TwoActiveUnits(torch.nn.Module):
    image_shape = (1, 28, 28)

    def encode(self, x):
        mu = torch.zeros(len(x), 5, device=x.device)
        mu[:, :2] = 10 * x.flatten(1)[:, :2]  # only the first two units see the data
        return mu, torch.zeros_like(mu)


def test_active_units_counts_the_units_that_move_with_the_data(device):
    x = torch.rand(200, 1, 28, 28, device=device)
    assert active_units(TwoActiveUnits(), x) == 2
    assert active_units(zero_vae(device), x) == 0


def test_sharpness_is_zero_for_flat_images_and_drops_with_blur(device):
    assert sharpness(torch.full((4, 1, 28, 28), 0.5, device=device)) == 0.0
    checker = (torch.arange(28)[:, None] + torch.arange(28)[None, :]) % 2
    sharp = checker.float().expand(4, 1, 28, 28).to(device)
    blurred = torch.nn.functional.avg_pool2d(sharp, 3, stride=1, padding=1)
    assert sharpness(sharp) > 10 * sharpness(blurred)
    assert sharpness(sharp, per_image=True).shape == (4,)
