"""PCA baseline, the over-fitting curve, and the VAE diagnostics of chapters 01-02."""
import math

import pytest
import torch
from torch import nn

from course_lib.analysis.autoencoders.pca import PCA
from course_lib.data import Split
from course_lib.analysis.autoencoders.overfitting import epochs_for, overfitting_curve, reconstruction_error
from course_lib.models import MLPAutoencoder, MLPVAE
from course_lib.input_checks import CourseInputError
from course_lib.analysis.autoencoders.vae_diagnostics import kl_closed_form, kl_monte_carlo, kl_per_dimension


def low_rank_images(n: int, rank: int, device, seed: int = 0) -> torch.Tensor:
    """Images that lie (before clipping) in a ``rank``-dimensional affine subspace, values inside [0, 1]."""
    g = torch.Generator().manual_seed(seed)
    basis = torch.randn(rank, 784, generator=g) * 0.02  # small enough that nothing is clipped
    codes = torch.randn(n, rank, generator=g)
    return (0.5 + codes @ basis).clamp(0, 1).view(n, 1, 28, 28).to(device)


def test_pca_reconstructs_exactly_data_of_its_own_rank(device):
    x = low_rank_images(200, 5, device)
    pca = PCA(5).fit(x)
    assert pca.encode(x).shape == (200, 5) and pca(x).shape == x.shape and pca(x).device.type == torch.device(device).type
    assert reconstruction_error(pca, x).max() < 1e-6


def test_pca_error_falls_and_explained_variance_rises_with_the_code_size(device):
    x = torch.rand(300, 1, 28, 28, device=device)
    pca = PCA(1).fit(x)
    errors = [reconstruction_error(pca.with_latent_dim(k), x).mean().item() for k in (1, 10, 100)]
    ratios = [pca.with_latent_dim(k).explained_variance_ratio() for k in (1, 10, 100)]
    assert errors[0] > errors[1] > errors[2] and 0 < ratios[0] < ratios[1] < ratios[2] <= 1


def test_pca_directions_are_orthonormal_and_codes_uncorrelated(device):
    x = torch.rand(500, 1, 28, 28, device=device)
    pca = PCA(8).fit(x)
    w = pca.components.double()
    torch.testing.assert_close(w @ w.T, torch.eye(8, dtype=w.dtype, device=w.device), atol=1e-5, rtol=0)
    cov = torch.cov(pca.encode(x).T.double())
    assert (cov - torch.diag(torch.diag(cov))).abs().max() < 1e-4 * cov.diag().max()


def test_pca_says_when_it_is_not_fitted():
    with pytest.raises(CourseInputError, match="not fitted"):
        PCA(3).encode(torch.rand(2, 1, 28, 28))


def test_the_overfitting_curve_gives_one_row_per_size_and_a_gap_for_a_tiny_set():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(300, 1, 28, 28, generator=g)
    train, test = Split(x[:200], torch.zeros(200)), Split(x[200:], torch.zeros(100))
    rows = overfitting_curve(lambda: MLPAutoencoder(8, hidden=(64,)), train, test, [10, 200], steps=60, batch_size=32, lr=3e-3)
    assert [r["n"] for r in rows] == [10, 200]
    assert all(isinstance(r["model"], nn.Module) and not r["model"].training for r in rows)
    tiny = rows[0]
    assert tiny["train_error"] < tiny["test_error"]  # 10 random images are memorised, unseen ones are not
    assert epochs_for(10, 60, 32) == 60 and epochs_for(200, 60, 32) == 9


def test_the_monte_carlo_kl_is_unbiased_and_converges_to_the_closed_form(device):
    mu = torch.tensor([[0.5, -1.0, 2.0]], device=device)
    logvar = torch.tensor([[0.0, -1.0, 0.5]], device=device)
    exact = kl_closed_form(mu, logvar).item()
    g = torch.Generator().manual_seed(0)
    few = kl_monte_carlo(mu.repeat(2000, 1), logvar.repeat(2000, 1), 5, generator=g)
    assert few.shape == (2000,) and few.mean().item() == pytest.approx(exact, abs=0.1)
    many = kl_monte_carlo(mu, logvar, 100000, generator=g).item()
    assert many == pytest.approx(exact, abs=0.03)
    assert few.std() > kl_monte_carlo(mu.repeat(2000, 1), logvar.repeat(2000, 1), 500, generator=g).std() * 5


def test_the_closed_form_matches_torch_distributions():
    mu, logvar = torch.randn(4, 6), torch.randn(4, 6)
    q = torch.distributions.Normal(mu, (0.5 * logvar).exp())
    p = torch.distributions.Normal(torch.zeros(4, 6), torch.ones(4, 6))
    torch.testing.assert_close(kl_closed_form(mu, logvar), torch.distributions.kl_divergence(q, p).sum(1))


def test_kl_per_dimension_sums_to_the_mean_kl(device):
    model = MLPVAE(latent_dim=5, hidden=32).to(device)
    x = torch.rand(50, 1, 28, 28, device=device)
    per_dim = kl_per_dimension(model, x, batch_size=16)
    with torch.no_grad():
        mu, logvar = model.encode(x)
    assert per_dim.shape == (5,) and (per_dim >= 0).all()
    assert per_dim.sum().item() == pytest.approx(kl_closed_form(mu, logvar).mean().item(), rel=1e-4)
