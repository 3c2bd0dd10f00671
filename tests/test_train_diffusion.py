"""The diffusion model of chapter 06 as the course's other models: images in [0, 1] in and out, trained by the engine."""
from __future__ import annotations

import pytest
import torch

from course_lib.data.types import Split
from course_lib.diffusion import DiffusionModel
from course_lib.diffusion.model import to_image_range, to_model_range
from course_lib.input_checks import CourseInputError
from course_lib.train import pretrained, train_diffusion


def digits(n: int = 96, seed: int = 0) -> Split:
    """Bright squares at one of two places, labelled by the place: data a tiny model can learn in a few steps."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.zeros(n, 1, 28, 28)
    for i, label in enumerate(y.tolist()):
        x[i, :, 4:12, 4 + 12 * label:12 + 12 * label] = 1.0
    return Split(x, y)


def tiny(n_classes: int | None = 2, **kw) -> DiffusionModel:
    torch.manual_seed(0)
    return DiffusionModel(base_width=8, depth=2, n_classes=n_classes, T=50, **kw)


def test_the_model_sees_images_in_minus_one_to_one_and_gives_them_back_in_zero_to_one():
    x = torch.rand(4, 1, 28, 28)
    assert torch.allclose(to_image_range(to_model_range(x)), x, atol=1e-6)
    assert to_model_range(torch.zeros(1)).item() == -1 and to_model_range(torch.ones(1)).item() == 1
    assert to_image_range(torch.tensor([-3.0, 3.0])).tolist() == [0.0, 1.0]


@pytest.mark.parametrize("steps", [None, 5])
def test_samples_are_images_in_zero_to_one_of_the_requested_classes_and_seeded(steps):
    model = tiny()
    a = model.sample(6, steps=steps, generator=torch.Generator().manual_seed(1))
    b = model.sample(6, steps=steps, generator=torch.Generator().manual_seed(1))
    assert a.shape == (6, 1, 28, 28) and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b)
    guided = model.sample(6, steps=5, guidance=2.0, generator=torch.Generator().manual_seed(1))
    assert guided.shape == a.shape and not torch.equal(guided, model.sample(6, steps=5, generator=torch.Generator().manual_seed(1)))


def test_training_lowers_the_noise_prediction_loss_and_records_train_and_test():
    data = digits()
    model = tiny()
    history = train_diffusion(model, data, test=digits(32, seed=1), epochs=8, batch_size=32, lr=3e-3, seed=0)
    losses = history["train_loss"]
    assert len(losses) == 8 and all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.6 * losses[0], losses
    assert len(history["test_loss"]) == 8 and not model.training


def test_an_unconditional_model_trains_on_bare_images_and_refuses_labels():
    model = tiny(n_classes=None)
    history = train_diffusion(model, digits().x, epochs=1, batch_size=32, lr=1e-3, seed=0)
    assert len(history["train_loss"]) == 1
    with pytest.raises(CourseInputError, match="unconditional"):
        model.loss(digits().x[:4], torch.zeros(4, dtype=torch.long))
    with pytest.raises(CourseInputError, match="guidance"):
        model.sample(2, steps=2, guidance=1.0)


def test_bad_inputs_say_what_was_expected():
    model = tiny()
    with pytest.raises(CourseInputError, match="schedule"):
        DiffusionModel(schedule="quadratic")
    with pytest.raises(CourseInputError, match="positive number of images"):
        model.sample(0)
    with pytest.raises(CourseInputError):
        model.loss(torch.rand(4, 3, 28, 28), torch.zeros(4, dtype=torch.long))
    with pytest.raises(CourseInputError, match="DiffusionModel"):
        train_diffusion(torch.nn.Linear(2, 2), digits(), epochs=1, batch_size=8, lr=1e-3)
    with pytest.raises(CourseInputError, match="Split"):
        train_diffusion(model, digits().x, epochs=1, batch_size=8, lr=1e-3)  # a conditional model needs the labels


def test_pretrained_ddpm_is_the_recipe_of_chapter_06_trained_once(device):
    first = pretrained("ddpm", "quick", device=device, base_width=4, epochs=1)
    assert isinstance(first, DiffusionModel) and first.n_classes == 10 and not first.training_record.cached
    again = pretrained("ddpm", "quick", device=device, base_width=4, epochs=1)
    assert again.training_record.cached
    x = again.sample(4, steps=3, generator=torch.Generator().manual_seed(0))
    assert x.shape == (4, 1, 28, 28) and x.device.type == torch.device(device).type


def test_inpainting_keeps_the_observed_pixels_fills_the_rest_and_checks_the_mask():
    model = tiny()
    x = digits(4).x
    observed = torch.zeros_like(x, dtype=torch.bool)
    observed[:, :, :14] = True
    seen = {}
    network = model.network.forward

    def recording(x_t, t, labels=None):
        seen["labels"] = labels
        return network(x_t, t, labels)

    model.network.forward = recording
    filled = model.inpaint(x, observed, generator=torch.Generator().manual_seed(0))
    assert filled.shape == x.shape and torch.equal(filled[observed], x[observed])
    assert 0 <= filled.min() and filled.max() <= 1 and not torch.equal(filled[~observed], x[~observed])
    assert seen["labels"].tolist() == [model.null_label] * 4  # no class given: filled without one
    model.inpaint(x, observed, labels=torch.tensor([0, 1, 0, 1]))
    assert seen["labels"].tolist() == [0, 1, 0, 1]
    again = model.inpaint(x, observed, generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, filled)  # seeded
    calls = []
    model.network.forward = lambda x_t, t, labels=None: calls.append(int(t[0])) or network(x_t, t, labels)
    mixed = model.inpaint(x, observed, labels=torch.tensor([0, model.null_label, 1, model.null_label]), steps=4)
    assert torch.equal(mixed[observed], x[observed]) and len(calls) == 4 and calls[0] == model.T - 1 and calls[-1] == 0
    with pytest.raises(CourseInputError, match="boolean mask"):
        model.inpaint(x, observed.float())
    with pytest.raises(CourseInputError, match="boolean mask"):
        model.inpaint(x, observed[:, :, :5])
