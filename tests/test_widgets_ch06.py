"""Chapter 06 explorers (timestep, guidance, sampling steps), driven without a browser on a tiny untrained model."""
import numpy as np
import pytest
import torch

from course_lib.diffusion import DiffusionModel
from course_lib.input_checks import CourseInputError
from course_lib.widgets.diffusion import guidance_explorer, sampling_steps_explorer, timestep_explorer


@pytest.fixture()
def conditional(device):
    torch.manual_seed(0)
    return DiffusionModel(base_width=4, depth=1, n_classes=10, T=20).to(device)


@pytest.fixture()
def unconditional(device):
    torch.manual_seed(0)
    return DiffusionModel(base_width=4, depth=1, T=20).to(device)


def digits(device, n=3):
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(1)).to(device)


def panel(fig, k: int) -> np.ndarray:
    return np.asarray(fig.axes[k].images[0].get_array(), dtype=float)


class Oracle(DiffusionModel):
    """Predicts the true noise of the images it was given: eps = (x_t - sqrt(alpha_bar_t) x_0) / sqrt(1 - alpha_bar_t)."""

    def __init__(self, x0: torch.Tensor) -> None:
        super().__init__(base_width=4, depth=1, T=20)
        self.register_buffer("x0", 2 * x0 - 1)

    def forward(self, x_t, t, labels=None):
        s = self.schedule(x_t.device)
        a = s.alpha_bar[t].view(-1, 1, 1, 1)
        return (x_t - a.sqrt() * self.x0) / (1 - a).sqrt()


def test_timestep_explorer_shows_x0_xt_and_the_estimate_and_redraws_for_another_t(unconditional, device):
    explorer = timestep_explorer(unconditional, digits(device))
    assert explorer.controls["t"].max == 19 and explorer.controls["t"].value == 10
    assert explorer.image.value[:4] == b"\x89PNG"
    before = explorer.image.value
    explorer.controls["t"].value = 19
    assert explorer.redraws == 2 and explorer.image.value != before
    fig = explorer.draw(t=0)
    assert len(fig.axes) == 3 and fig.axes[1].get_ylabel() == "x_t, t = 0"
    assert np.abs(panel(fig, 1) - panel(fig, 0)).mean() < 0.06  # t = 0: x_t is nearly the image
    assert np.abs(panel(explorer.draw(t=19), 1) - panel(fig, 0)).mean() > 0.2  # t = T-1: mostly noise


def test_timestep_explorer_is_deterministic_for_the_same_t(unconditional, device):
    first, second = timestep_explorer(unconditional, digits(device), t=7), timestep_explorer(unconditional, digits(device), t=7)
    assert first.image.value == second.image.value
    first.controls["t"].value = 3
    first.controls["t"].value = 7
    assert first.image.value == second.image.value
    assert timestep_explorer(unconditional, digits(device), t=7, seed=1).image.value != second.image.value  # another noise


def test_timestep_explorer_estimate_is_the_image_when_the_noise_is_predicted_exactly():
    x0 = digits("cpu")
    explorer = timestep_explorer(Oracle(x0), x0)
    for t in (0, 10, 19):
        fig = explorer.draw(t=t)
        assert np.abs(panel(fig, 2) - panel(fig, 0)).max() < 1e-3, f"x0_hat differs from x0 at t = {t}"


def test_timestep_explorer_leaves_the_model_in_training_mode_and_rejects_bad_input(unconditional, device):
    unconditional.train()
    timestep_explorer(unconditional, digits(device))
    assert unconditional.training
    with pytest.raises(CourseInputError, match="0 .. 19"):
        timestep_explorer(unconditional, digits(device), t=20)
    with pytest.raises(CourseInputError, match=r"\[0, 1\]"):
        timestep_explorer(unconditional, 2 * digits(device) - 1)
    with pytest.raises(CourseInputError, match="unconditional"):
        timestep_explorer(unconditional, digits(device), labels=torch.tensor([0, 1, 2]))


def test_guidance_explorer_redraws_for_another_w_from_the_same_noise(conditional):
    explorer = guidance_explorer(conditional, classes=[0, 3, 7], steps=3)
    before = explorer.image.value
    explorer.controls["w"].value = 4.0
    assert explorer.redraws == 2 and explorer.image.value != before
    assert [t.get_text() for t in explorer.draw(w=0.0).axes[0].get_xticklabels()] == ["0", "3", "7"]
    assert np.abs(panel(explorer.draw(w=0.0), 0) - panel(explorer.draw(w=4.0), 0)).max() > 1e-3
    fresh = guidance_explorer(conditional, classes=[0, 3, 7], steps=3, guidance=4.0)
    assert fresh.image.value == explorer.image.value  # the same w, the same picture
    explorer.controls["w"].value = 0.0
    assert explorer.image.value == before


def test_guidance_explorer_shows_per_class_rows(conditional):
    fig = guidance_explorer(conditional, classes=[1, 2], per_class=2, steps=2).draw(w=1.0)
    assert panel(fig, 0).shape[:2] == (2 * 30 + 2, 2 * 30 + 2)  # 2 rows x 2 classes of 28 x 28 (padding 2)


def test_guidance_explorer_refuses_an_unconditional_model(unconditional, conditional):
    with pytest.raises(CourseInputError, match="class-conditional"):
        guidance_explorer(unconditional)
    with pytest.raises(CourseInputError, match="0 .. 9"):
        guidance_explorer(conditional, classes=[10])


def test_sampling_steps_explorer_offers_the_steps_up_to_T_and_redraws(unconditional):
    explorer = sampling_steps_explorer(unconditional, n=4)
    assert list(explorer.controls["steps"].options) == [1, 2, 5, 10, 20]
    before = explorer.image.value
    explorer.controls["steps"].value = 1
    assert explorer.redraws == 2 and explorer.image.value != before
    explorer.controls["steps"].value = 5
    assert explorer.image.value == before  # back to the first value: the same picture
    assert sampling_steps_explorer(unconditional, n=4, steps=5).image.value == before  # and from a fresh explorer


def test_sampling_steps_explorer_with_guidance_on_a_conditional_model(conditional):
    explorer = sampling_steps_explorer(conditional, n=3, step_choices=[1, 3], steps=1, guidance=2.0)
    before = explorer.image.value
    explorer.controls["steps"].value = 3
    assert explorer.image.value != before and "6 network calls" in explorer.draw(steps=3).texts[0].get_text()


def test_sampling_steps_explorer_rejects_bad_choices(unconditional):
    with pytest.raises(CourseInputError, match="1 .. T = 20"):
        sampling_steps_explorer(unconditional, step_choices=[1, 50])
    with pytest.raises(CourseInputError, match="one of the step_choices"):
        sampling_steps_explorer(unconditional, step_choices=[1, 2], steps=3)
    with pytest.raises(CourseInputError, match="class-conditional"):
        sampling_steps_explorer(unconditional, guidance=1.0)
