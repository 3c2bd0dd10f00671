import pytest
import torch
from torch import nn

from course_lib.analysis.autoencoders import ClassPrior
from course_lib.metrics import conditional_accuracy
from course_lib.models import CVAE
from course_lib.input_checks import CourseInputError


class _MeanBrightness(nn.Module):
    """A stand-in classifier: the class is round(9 * mean brightness)."""

    def forward(self, x):
        score = -(x.mean(dim=(1, 2, 3)).unsqueeze(1) * 9 - torch.arange(10, device=x.device)).abs()
        return score


def _images_of(labels, device):
    return (labels.float() / 9).view(-1, 1, 1, 1).expand(-1, 1, 28, 28).to(device).contiguous()


def test_conditional_accuracy_counts_agreements_and_fills_the_confusion_matrix(device):
    requested = torch.tensor([0, 0, 1, 1, 2, 2], device=device)
    drawn = torch.tensor([0, 0, 1, 7, 2, 9], device=device)  # two misses
    acc = conditional_accuracy(_images_of(drawn, device), requested, _MeanBrightness(), n_classes=10)
    assert acc.overall == pytest.approx(4 / 6)
    assert acc.per_class[:3].tolist() == [1.0, 0.5, 0.5] and torch.isnan(acc.per_class[3:]).all()
    assert acc.confusion[1, 7] == 0.5 and acc.confusion[2, 9] == 0.5
    assert torch.allclose(acc.confusion[:3].sum(1), torch.ones(3))


def test_conditional_accuracy_wants_one_label_per_image(device):
    with pytest.raises(CourseInputError, match="one label per image"):
        conditional_accuracy(torch.rand(3, 1, 28, 28, device=device), torch.tensor([1, 2], device=device), _MeanBrightness())


class _Encoder(CVAE):
    """A CVAE whose posterior mean is fixed per class: class c -> (c, -c) plus the first pixels as noise."""

    def __init__(self):
        super().__init__(latent_dim=2, width=4, hidden=8)

    def encode(self, x, y):
        mu = torch.stack([y.float(), -y.float()], 1) + 0.1 * x.flatten(1)[:, :2]
        return mu, torch.zeros_like(mu)


def test_the_class_prior_fits_each_class_and_samples_around_its_mean(device):
    torch.manual_seed(0)
    y = torch.arange(10, device=device).repeat_interleave(50)
    x = torch.rand(500, 1, 28, 28, device=device)
    model = _Encoder().to(device)
    prior = ClassPrior.fit(model, x, y)
    assert prior.means.shape == (10, 2) and prior.covariances.shape == (10, 2, 2)
    assert torch.allclose(prior.means[:, 0], torch.arange(10.0, device=device) + 0.05, atol=0.02)
    z = prior.sample(torch.full((2000,), 3, device=device), generator=torch.Generator().manual_seed(0))
    assert z.shape == (2000, 2) and z.device.type == device.type
    assert torch.allclose(z.mean(0), prior.means[3], atol=0.01)
    assert torch.allclose(torch.cov(z.T), prior.covariances[3], atol=2e-3)


def test_a_class_without_images_is_refused(device):
    model = _Encoder().to(device)
    with pytest.raises(CourseInputError, match="class 9 has 0"):
        ClassPrior.fit(model, torch.rand(20, 1, 28, 28, device=device), torch.arange(20, device=device) % 9)


def test_the_accuracy_figure_has_one_bar_group_per_result_and_a_confusion_matrix():
    from course_lib.metrics import ConditionalAccuracy
    from course_lib.viz.conditional import plot_conditional_accuracy

    a = ConditionalAccuracy(0.5, torch.full((10,), 0.5), torch.eye(10))
    b = ConditionalAccuracy(0.9, torch.full((10,), 0.9), torch.eye(10))
    fig = plot_conditional_accuracy({"a": a, "b": b}, a.confusion)
    assert len(fig.axes) == 3  # bars, confusion, colour bar
    assert [t.get_text() for t in fig.axes[0].get_legend().get_texts()] == ["a (50%)", "b (90%)"]
    assert len(plot_conditional_accuracy({"a": a}).axes) == 1
