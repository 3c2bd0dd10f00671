"""Chapter 05 measurements: gradient curves, exact W1, snapshot quality."""
import numpy as np
import pytest
import torch

from course_lib.data import ring8_centres, sample_mixture
from course_lib.analysis.gan import exact_w1, generator_gradient_norm, loss_curves, spearman, toy_quality
from course_lib.losses import generator_loss, saturating_generator_loss
from course_lib.models import MLPDiscriminator, MLPGenerator
from course_lib.input_checks import CourseInputError


def test_the_saturating_gradient_vanishes_where_d_rejects_the_fakes():
    c = loss_curves([1e-4, 0.5, 0.9999])
    assert c["grad_saturating"][0] < 1e-3 and c["grad_non_saturating"][0] > 0.999
    assert c["grad_saturating"][1] == pytest.approx(0.5) == c["grad_non_saturating"][1]
    np.testing.assert_allclose(c["non_saturating"], -np.log([1e-4, 0.5, 0.9999]))
    with pytest.raises(CourseInputError):
        loss_curves([0.0, 0.5])


def test_measured_gradients_match_the_curves_for_a_confident_discriminator(device):
    torch.manual_seed(0)
    g = MLPGenerator(latent_dim=2, hidden=16).to(device)
    d = MLPDiscriminator(hidden=16).to(device)
    with torch.no_grad():
        d.net[-1].bias.fill_(-8.0)  # D(G(z)) ~ 3e-4: the fakes are rejected
    sat = generator_gradient_norm(g, d, saturating_generator_loss)
    non_sat = generator_gradient_norm(g, d, generator_loss)
    assert sat < 1e-2 * non_sat


def test_exact_w1_of_a_shift_is_the_shift_length(device):
    a = torch.randn(200, 2, device=device)
    assert exact_w1(a, a + torch.tensor([3.0, 4.0], device=device)) == pytest.approx(5.0, rel=1e-6)
    assert exact_w1(a, a[torch.randperm(200)]) == pytest.approx(0.0, abs=1e-9)
    with pytest.raises(CourseInputError, match="same shape"):
        exact_w1(a, a[:10])


def test_toy_quality_scores_real_samples_high_and_a_collapsed_generator_low():
    g = torch.Generator().manual_seed(0)
    real = sample_mixture("ring8", 1000, g).x
    collapsed = ring8_centres()[0] + 0.02 * torch.randn(1000, 2, generator=g)
    q = toy_quality([(0, collapsed), (100, sample_mixture("ring8", 1000, g).x)], "ring8", real, n_w1=300)
    assert q["step"] == [0, 100]
    assert q["modes"] == [1, 8] and q["hq"][1] > 0.95 and q["hq"][0] > 0.95
    assert q["w1"][0] > 1.0 > 0.2 > q["w1"][1]


def test_spearman_sees_monotone_relations():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_history_steps_and_curves_read_a_training_record():
    from types import SimpleNamespace

    from course_lib.train.engine import History
    from course_lib.analysis.gan import history_steps, record_curves

    history = History()
    for k in range(4):
        history.append({"d_loss": -k, "g_loss": k, "wasserstein": k}, prefix="train_")
    record = SimpleNamespace(spec={"train": {"log_every": 25, "steps": 100}}, history=history)
    assert history_steps(record) == [25, 50, 75, 100]
    assert list(record_curves(record)) == ["critic loss", "G loss"]
