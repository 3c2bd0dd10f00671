"""Chapter 07 (comparisons): compute one metric, write one verdict.

7.1 ``frechet_distance_of_features(features_a, features_b)``: the Frechet distance between Gaussians fitted to two sets
    of features (Heusel et al. 2017): ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^{1/2}).
7.2 ``ae_reconstructs_better(table)``: the verdict of claim 1 from a table of measured numbers, by its rule.
"""
from __future__ import annotations

import math

import torch

from ..analysis.comparison.claims import CLAIMS, DEPENDS, DOES_NOT_HOLD, HOLDS, VERDICTS
from .expect import describe, expect_close, expect_tensor
from .registry import Exercise, case_generator, case_salt, fail, register


# ---------------------------------------------------------------- 7.1 frechet_distance_of_features

def frechet_distance_of_features(features_a: torch.Tensor, features_b: torch.Tensor) -> torch.Tensor:
    """||mu_a - mu_b||^2 + Tr(S_a) + Tr(S_b) - 2 Tr((S_a S_b)^{1/2}) for N x D and M x D features (a scalar).

    Tr((S_a S_b)^{1/2}) is the sum of the square roots of the eigenvalues of S_a S_b (real and >= 0 for
    covariance matrices; tiny negative or imaginary parts from rounding are dropped). Computed in float64.
    """
    a, b = features_a.double(), features_b.double()
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = torch.cov(a.T).reshape(a.shape[1], a.shape[1]), torch.cov(b.T).reshape(b.shape[1], b.shape[1])
    eigenvalues = torch.linalg.eigvals(cov_a @ cov_b).real.clamp(min=0)
    return (mu_a - mu_b).pow(2).sum() + cov_a.trace() + cov_b.trace() - 2 * eigenvalues.sqrt().sum()


def _features(n: int, d: int, seed: int, device: torch.device, mix: bool = True) -> torch.Tensor:
    """n x d Gaussian features with a random (non-diagonal when ``mix``) covariance."""
    g = case_generator(seed)
    x = torch.randn(n, d, generator=g) * torch.linspace(0.5, 2.0, d)
    if mix:
        q, _ = torch.linalg.qr(torch.randn(d, d, generator=g))
        x = x @ q
    return x.to(device)


def _fd(f, a: torch.Tensor, b: torch.Tensor, what: str = "the distance") -> float:
    out = f(a, b)
    if isinstance(out, (int, float)):
        out = torch.tensor(float(out))
    out = expect_tensor(out, what)
    if out.numel() != 1:
        fail(f"{what} as one number", describe(out))
    value = float(out)
    if not math.isfinite(value):
        fail(f"a finite {what}", describe(out), "check the matrix square root: drop tiny imaginary or negative parts")
    return value


def _close(got: float, want: float, what: str, rtol: float = 2e-3, atol: float = 1e-3, note: str = "") -> None:
    if abs(got - want) > atol + rtol * abs(want):
        fail(f"{what} = {want:.4g}", f"{got:.4g}", note)


def is_zero_for_the_same_features(f, device):
    """is 0 for two copies of the same features"""
    a = _features(500, 4, 0, device)
    _close(_fd(f, a, a.clone()), 0.0, "the distance of a set to itself", atol=1e-4)


def adds_the_squared_shift_of_the_means(f, device):
    """grows by ||c||^2 when one set is shifted by c (same covariance)"""
    a = _features(500, 4, 1, device)
    shift = torch.tensor([3.0, 0.0, -4.0, 0.0], device=device)
    _close(_fd(f, a, a + shift), 25.0, "the distance between a set and the set shifted by (3, 0, -4, 0)",
           note="the mean term is the SQUARED distance between the means")


def matches_the_formula_for_correlated_features(f, device):
    """matches ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)) for correlated features"""
    a, b = _features(800, 5, 2, device), 0.5 + 1.5 * _features(600, 5, 3, device)
    _close(_fd(f, a, b), float(frechet_distance_of_features(a, b)), "the distance", rtol=5e-3,
           note="with non-diagonal covariances the trace term needs the matrix square root of S_a S_b")


def is_symmetric(f, device):
    """is symmetric: d(a, b) = d(b, a)"""
    a, b = _features(700, 3, 4, device), 2.0 * _features(500, 3, 5, device)
    _close(_fd(f, b, a), _fd(f, a, b), "d(b, a), equal to d(a, b)", rtol=1e-3)


def is_sigma_difference_squared_in_one_dimension(f, device):
    """in one dimension it is (mu_a - mu_b)^2 + (sigma_a - sigma_b)^2"""
    a, b = _features(2000, 1, 6, device, mix=False), 1.0 + 3.0 * _features(2000, 1, 7, device, mix=False)
    want = (float(a.mean()) - float(b.mean())) ** 2 + (float(a.std()) - float(b.std())) ** 2
    _close(_fd(f, a, b), want, "the distance of two 1-D Gaussians", rtol=1e-2)


def works_for_sets_of_different_sizes_on_the_device(f, device):
    """works for sets of different sizes and float32 features on the device"""
    a, b = _features(300, 8, 8, device).float(), _features(900, 8, 9, device).float()
    _close(_fd(f, a, b), float(frechet_distance_of_features(a, b)), "the distance", rtol=1e-2, atol=1e-2)


def _fd_no_mean(a, b):
    return frechet_distance_of_features(a, b) - (a.double().mean(0) - b.double().mean(0)).pow(2).sum()


def _fd_diagonal(a, b):
    a, b = a.double(), b.double()
    return (a.mean(0) - b.mean(0)).pow(2).sum() + (a.std(0) - b.std(0)).pow(2).sum()


def _fd_no_factor_2(a, b):
    a, b = a.double(), b.double()
    ca, cb = torch.cov(a.T).reshape(a.shape[1], -1), torch.cov(b.T).reshape(b.shape[1], -1)
    root = torch.linalg.eigvals(ca @ cb).real.clamp(min=0).sqrt().sum()
    return (a.mean(0) - b.mean(0)).pow(2).sum() + ca.trace() + cb.trace() - root


def _fd_unsquared_mean(a, b):
    return _fd_no_mean(a, b) + (a.double().mean(0) - b.double().mean(0)).norm()


def _fd_with_scipy_sqrtm(features_a, features_b):
    import numpy as np
    from scipy import linalg

    a, b = features_a.detach().double().cpu().numpy(), features_b.detach().double().cpu().numpy()
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    root = linalg.sqrtm(cov_a @ cov_b).real  # as pytorch-fid does: drop the rounding's imaginary part
    return float(((a.mean(0) - b.mean(0)) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * np.trace(root))


def _fd_symmetric_root(features_a, features_b):
    a, b = features_a.double(), features_b.double()
    ca, cb = (a - a.mean(0)).T @ (a - a.mean(0)) / (len(a) - 1), (b - b.mean(0)).T @ (b - b.mean(0)) / (len(b) - 1)
    w, v = torch.linalg.eigh(ca)
    root_a = v @ torch.diag(w.clamp(min=0).sqrt()) @ v.T  # S_a^(1/2)
    # Tr (S_a S_b)^(1/2) = Tr (S_a^(1/2) S_b S_a^(1/2))^(1/2), the root of a symmetric matrix
    cross = torch.linalg.eigvalsh(root_a @ cb @ root_a).clamp(min=0).sqrt().sum()
    return torch.sum((a.mean(0) - b.mean(0)) ** 2) + torch.trace(ca) + torch.trace(cb) - 2 * cross


register(Exercise(
    id="7.1",
    title="the Frechet distance",
    reference=frechet_distance_of_features,
    visible_cases=[is_zero_for_the_same_features, adds_the_squared_shift_of_the_means, matches_the_formula_for_correlated_features],
    hidden_cases=[is_symmetric, is_sigma_difference_squared_in_one_dimension, works_for_sets_of_different_sizes_on_the_device],
    wrong_answers=[
        ("forgets the mean term", _fd_no_mean),
        ("treats the covariances as diagonal", _fd_diagonal),
        ("forgets the factor 2 of the cross term", _fd_no_factor_2),
        ("uses ||mu_a - mu_b|| instead of its square", _fd_unsquared_mean),
    ],
    equivalent_answers=[
        ("uses numpy and scipy.linalg.sqrtm, returns a float", _fd_with_scipy_sqrtm),
        ("covariances by hand, Tr (S_a^(1/2) S_b S_a^(1/2))^(1/2) with torch.linalg.eigh / eigvalsh", _fd_symmetric_root),
    ],
    hint="mu = x.mean(0); S = torch.cov(x.T); Tr((S_a S_b)^(1/2)) = torch.linalg.eigvals(S_a @ S_b).real.clamp(min=0).sqrt().sum(); "
         "work in float64 (x.double()).",
))


# ---------------------------------------------------------------- 7.2 ae_reconstructs_better

def ae_reconstructs_better(table: dict) -> str:
    """Claim 1's verdict: "holds" if the AE's train error is at least 5 % below the VAE's, "does not hold" if at
    least 5 % above, "depends" in between; the difference is relative to the VAE's error."""
    return CLAIMS[0].decide(table)[0]


def _scale(seed: int) -> float:
    """1 unsalted; under a grading salt, a drawn factor from 1/16 to 16 that multiplies every error of a case's table:
    the verdict is relative, so it holds at any scale, and the table is not one a learner could have recorded."""
    if case_salt() is None:
        return 1.0
    return float(2.0 ** (8 * torch.rand((), generator=case_generator(seed), dtype=torch.float64) - 4))


def _table(ae_train: float, vae_train: float, ae_test: float | None = None, vae_test: float | None = None,
           scale: float = 1.0) -> dict:
    ae_train, vae_train = scale * ae_train, scale * vae_train
    ae_test, vae_test = (None if v is None else scale * v for v in (ae_test, vae_test))
    return {
        "AE": {"recon_train": ae_train, "recon_test": ae_test if ae_test is not None else 1.3 * ae_train},
        "VAE": {"recon_train": vae_train, "recon_test": vae_test if vae_test is not None else 1.05 * vae_train},
        "real data": {"recon_train": None},
    }


def _verdict(f, table: dict, want: str, what: str, note: str = "") -> None:
    got = f(table)
    if not isinstance(got, str) or got not in VERDICTS:
        fail(f"one of {', '.join(repr(v) for v in VERDICTS)}", describe(got), "return the verdict as a string")
    if got != want:
        ae, vae = table["AE"]["recon_train"], table["VAE"]["recon_train"]
        fail(f"{want!r} for {what} (train error AE {ae:g}, VAE {vae:g})", repr(got), note)


def holds_when_the_ae_is_clearly_better(f, device):
    """says "holds" when the AE's train error is 20 % lower"""
    _verdict(f, _table(8.0, 10.0, scale=_scale(70_201)), HOLDS, "an AE 20 % better")


def does_not_hold_when_the_ae_is_clearly_worse(f, device):
    """says "does not hold" when the AE's train error is 20 % higher"""
    _verdict(f, _table(12.0, 10.0, scale=_scale(70_202)), DOES_NOT_HOLD, "an AE 20 % worse")


def depends_on_a_near_tie(f, device):
    """says "depends" when the two differ by 2 %"""
    _verdict(f, _table(9.8, 10.0, scale=_scale(70_203)), DEPENDS, "a 2 % difference (a tie)")


def reads_the_train_errors_not_the_test_errors(f, device):
    """reads the train errors (not the test errors)"""
    _verdict(f, _table(8.0, 10.0, ae_test=15.0, vae_test=11.0, scale=_scale(70_204)), HOLDS, "an AE better on train data but worse on test data",
             "claim 1 is about reconstructing TRAINING data: use table['AE']['recon_train']")


def compares_relative_not_absolute_differences(f, device):
    """uses the relative difference (a 4 % gap is a tie at any scale; 17 % is not)"""
    # one drawn scale for the three (1/16 to 16): an absolute rule with a threshold of 0.05 fails one of them at any scale
    scale = _scale(70_205)
    _verdict(f, _table(96.0, 100.0, scale=scale), DEPENDS, f"a gap of 4 % ({4 * scale:g} units)", "divide the difference by the VAE's error")
    _verdict(f, _table(0.010, 0.012, scale=scale), HOLDS, f"a gap of 17 % ({0.002 * scale:g} units)", "divide the difference by the VAE's error")
    _verdict(f, _table(107.0, 100.0, scale=scale), DOES_NOT_HOLD, "an AE 7 % worse")


def _verdict_on_test(table):
    ae, vae = table["AE"]["recon_test"], table["VAE"]["recon_test"]
    d = (ae - vae) / vae
    return HOLDS if d <= -0.05 else DOES_NOT_HOLD if d >= 0.05 else DEPENDS


def _verdict_absolute(table):
    d = table["AE"]["recon_train"] - table["VAE"]["recon_train"]
    return HOLDS if d <= -0.05 else DOES_NOT_HOLD if d >= 0.05 else DEPENDS


def _verdict_no_tie(table):
    return HOLDS if table["AE"]["recon_train"] < table["VAE"]["recon_train"] else DOES_NOT_HOLD


def _verdict_by_the_ratio(table):
    ratio = table["AE"]["recon_train"] / table["VAE"]["recon_train"]
    if ratio <= 0.95:
        return "holds"
    elif ratio >= 1.05:
        return "does not hold"
    else:
        return "depends"


def _verdict_tie_first(table):
    ae, vae = table["AE"]["recon_train"], table["VAE"]["recon_train"]
    delta = (ae - vae) / vae
    if abs(delta) < 0.05:
        return DEPENDS
    return HOLDS if delta < 0 else DOES_NOT_HOLD


register(Exercise(
    id="7.2",
    title="a verdict from the numbers (claim 1)",
    reference=ae_reconstructs_better,
    visible_cases=[holds_when_the_ae_is_clearly_better, does_not_hold_when_the_ae_is_clearly_worse, depends_on_a_near_tie],
    hidden_cases=[reads_the_train_errors_not_the_test_errors, compares_relative_not_absolute_differences],
    wrong_answers=[
        ("compares the test errors", _verdict_on_test),
        ("uses the absolute difference", _verdict_absolute),
        ("has no tie band", _verdict_no_tie),
        ("returns a bool", lambda table: table["AE"]["recon_train"] < table["VAE"]["recon_train"]),
    ],
    equivalent_answers=[
        ("compares the ratio ae / vae with 0.95 and 1.05", _verdict_by_the_ratio),
        ("tests the tie band |delta| < 0.05 first", _verdict_tie_first),
    ],
    hint='ae, vae = table["AE"]["recon_train"], table["VAE"]["recon_train"]; d = (ae - vae) / vae; '
         'return "holds" if d <= -0.05, "does not hold" if d >= 0.05, else "depends".',
))
