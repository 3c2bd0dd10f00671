"""Nearest-neighbour metrics: improved precision and recall (Kynkäänniemi et al. 2019) and the memorisation check."""
import numpy as np
import pytest
import torch

from course_lib.input_checks import CourseInputError
from course_lib.metrics import knn_radii, memorisation, precision_recall


def gaussian(n, d=2, shift=0.0, seed=0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed)) + shift


# ---------------------------------------------------------------------------------------------- precision and recall
def brute_force_precision_recall(real: np.ndarray, gen: np.ndarray, k: int) -> tuple[float, float]:
    """The definition, one point at a time."""
    def radii(x):
        return np.array([np.sort([np.linalg.norm(x[i] - x[j]) for j in range(len(x)) if j != i])[k - 1] for i in range(len(x))])

    def inside(p, centres, r):
        return any(np.linalg.norm(p - c) <= rc for c, rc in zip(centres, r))

    r_real, r_gen = radii(real), radii(gen)
    return np.mean([inside(g, real, r_real) for g in gen]), np.mean([inside(r, gen, r_gen) for r in real])


def test_identical_sets_have_precision_and_recall_one(device):
    x = gaussian(300, d=5).to(device)
    result = precision_recall(x, x.clone())
    assert (result.precision, result.recall, result.k) == (1.0, 1.0, 3)


def test_a_generator_covering_one_of_two_clusters_is_precise_but_recalls_half(device):
    real = torch.cat([gaussian(200, seed=1), gaussian(200, shift=20.0, seed=2)]).to(device)
    generated = gaussian(200, seed=3).to(device)  # only the first cluster
    result = precision_recall(real, generated)
    assert result.precision > 0.9
    assert 0.4 < result.recall <= 0.5  # the second cluster's real points are never reached


def test_a_generator_far_from_the_data_has_precision_and_recall_zero(device):
    real = gaussian(200, seed=1).to(device)
    result = precision_recall(real, gaussian(200, shift=50.0, seed=2).to(device))
    assert (result.precision, result.recall) == (0.0, 0.0)


def test_precision_recall_matches_a_brute_force_loop_and_does_not_depend_on_the_batch_size():
    real, gen = gaussian(40, d=3, seed=4), gaussian(30, d=3, shift=0.7, seed=5)
    expected = brute_force_precision_recall(real.numpy().astype(np.float64), gen.numpy().astype(np.float64), k=2)
    for batch_size in (None, 1, 7):
        result = precision_recall(real, gen, k=2, batch_size=batch_size)
        assert (result.precision, result.recall) == pytest.approx(expected)
    assert 0 < expected[0] < 1 and 0 < expected[1] < 1  # a case where the balls matter


def test_knn_radius_is_the_distance_to_the_kth_other_point():
    x = torch.tensor([[0.0], [1.0], [3.0], [7.0]])
    torch.testing.assert_close(knn_radii(x, k=1), torch.tensor([1.0, 1.0, 2.0, 4.0], dtype=torch.float64))
    torch.testing.assert_close(knn_radii(x, k=2), torch.tensor([3.0, 2.0, 3.0, 6.0], dtype=torch.float64))


@pytest.mark.parametrize("real, generated, k, message", [
    (torch.zeros(10), torch.zeros(10, 2), 3, "real: expected a tensor with 2 dimensions"),
    (torch.zeros(10, 2), torch.zeros(10, 3), 3, "same size d, got 2 and 3"),
    (torch.zeros(10, 2), torch.zeros(3, 2), 3, r"generated: expected at least k \+ 1 = 4 points"),
    (torch.zeros(10, 2, dtype=torch.long), torch.zeros(10, 2), 3, "real: expected a floating-point tensor"),
    (torch.zeros(10, 2), torch.zeros(10, 2), 0, "k: expected a whole number >= 1"),
    (torch.full((10, 2), float("nan")), torch.zeros(10, 2), 3, "real: expected finite features"),
])
def test_precision_recall_says_what_it_expected(real, generated, k, message):
    with pytest.raises(CourseInputError, match=message):
        precision_recall(real, generated, k=k)


# ---------------------------------------------------------------------------------------------- memorisation
def test_copies_of_training_images_have_copy_share_one_distance_zero_and_the_right_indices(device):
    train = torch.rand(50, 1, 6, 6, generator=torch.Generator().manual_seed(0)).to(device)
    test = torch.rand(40, 1, 6, 6, generator=torch.Generator().manual_seed(1)).to(device)
    picked = torch.tensor([3, 17, 17, 42, 0], device=device)
    result = memorisation(train[picked], train, test)
    assert result.copy_share == 1.0 and result.threshold > 0 and result.quantile == 0.05
    assert torch.equal(result.nearest_index, picked)
    assert float(result.nearest_distance.abs().max()) < 1e-6
    assert result.nearest_distance.shape == (5,) and result.test_distance.shape == (40,)


@pytest.mark.parametrize("quantile", [0.05, 0.2])
def test_fresh_samples_of_the_data_distribution_score_about_the_quantile(quantile):
    train, test, fresh = gaussian(2000, d=8, seed=10), gaussian(1000, d=8, seed=11), gaussian(1000, d=8, seed=12)
    result = memorisation(fresh, train, test, quantile=quantile)
    assert abs(result.copy_share - quantile) < 0.04
    assert 0 < result.threshold < float(result.test_distance.median())


def test_memorisation_does_not_depend_on_the_batch_size():
    train, test, samples = gaussian(30, d=4, seed=1), gaussian(20, d=4, seed=2), gaussian(25, d=4, seed=3)
    a, b = memorisation(samples, train, test), memorisation(samples, train, test, batch_size=4)
    assert a.copy_share == b.copy_share and torch.equal(a.nearest_index, b.nearest_index)
    torch.testing.assert_close(a.nearest_distance, b.nearest_distance)


@pytest.mark.parametrize("samples, train, test, quantile, message", [
    (torch.rand(5, 1, 6, 6), torch.rand(9, 1, 5, 5), torch.rand(4, 1, 6, 6), 0.05, "expected items of one shape"),
    (torch.rand(5), torch.rand(9, 1), torch.rand(4, 1), 0.05, "samples: expected a batch N x"),
    (torch.rand(5, 3), torch.rand(0, 3), torch.rand(4, 3), 0.05, "train: expected a batch N x"),
    (torch.rand(5, 3), torch.rand(9, 3), torch.rand(4, 3), 1.0, "quantile: expected a share strictly between 0 and 1"),
    (torch.rand(5, 3), torch.zeros(9, 3, dtype=torch.uint8), torch.rand(4, 3), 0.05, "train: expected a floating-point tensor"),
])
def test_memorisation_says_what_it_expected(samples, train, test, quantile, message):
    with pytest.raises(CourseInputError, match=message):
        memorisation(samples, train, test, quantile=quantile)
