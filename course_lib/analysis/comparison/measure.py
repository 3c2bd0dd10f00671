"""Chapter 07: measure autoencoders, VAEs, CVAEs, GANs and a diffusion model side by side, on the same data, with the same rulers.

``measure(models, data)`` takes trained models, ``models[name][seed]`` (an autoencoder, a VAE, a CVAE, a GAN
generator or a diffusion model), and returns a :class:`Comparison` whose ``table[name][metric]`` feeds :mod:`course_lib.analysis.comparison.claims`.
Every model is measured the same way:

==================  ===========================================================================  ============
metric              how                                                                          models
==================  ===========================================================================  ============
recon_train/test    squared error per image (sum over pixels, mean over images); VAE/CVAE decode  AE VAE CVAE
                    the posterior mean mu
bce_train/test      the other ruler: binary cross-entropy per image (sum over pixels) of the     AE VAE CVAE
                    same reconstructions, clamped to [1e-6, 1 - 1e-6] (what a VAE is trained on)
fd                  Frechet distance of n samples to the n test images in the course             all
                    classifier's features; the ``real data`` row holds the floor (train vs test)
fd_mean/std/cv      the same over the training seeds (std / mean = cv: the spread)               all
fd_cv_low/high      a 90 % bootstrap interval of the spread, resampling the seeds                all
fd_mean_low/high    a 90 % bootstrap interval of the mean FD over the seeds                      all
recall_mean/low/    the recall's mean over the seeds and its 90 % bootstrap interval             all
high
precision, recall   improved precision and recall (k = 3 nearest neighbours) of the samples'    all
                    classifier features against the test images' (Kynkaanniemi et al. 2019):
                    quality (samples inside the data's manifold) and diversity told apart
copies              share of samples closer to a training image (in pixels) than 95 % of test   all
                    images are: about 5 % for fresh images, near 100 % for a model that copies
classes, entropy    classes covered (of 10) and class entropy / log 10 of the samples' predicted  all
                    classes; ``*_worst``: the worst seed
sharpness           variance of the Laplacian of the samples                                     all
roughness           largest / mean pixel step along 16-step latent interpolations (1: even)       all but
                                                                                                 diffusion
auroc_<set>         ROC-AUC of the reconstruction error: normal test digits vs an anomaly set     AE VAE CVAE
label_accuracy      share of samples the classifier gives the requested label                    CVAE
code_size,          the budget: code size, parameters (of the model measured: an AE's or VAE's   all
parameters, steps,  encoder and decoder, a GAN's generator, not its critic), gradient steps,
critic_steps,       critic steps, real images seen, training seconds (:mod:`.budget`; from
images_seen,        ``model.training_record`` when the model comes from ``pretrained``;
train_seconds       ``seconds``, by model and seed, overrides the time with its mean over the seeds)
sample_ms           the sampling cost: milliseconds per sample, drawing the n samples in one      all
                    batch; the median over the seeds' draws (each one timed run, after an
                    untimed warm-up); ``sample_ms_low/high``: the fastest and the slowest run
==================  ===========================================================================  ============

Samples: a VAE decodes z ~ N(0, I); a CVAE decodes z ~ N(0, I) with the labels 0..9 in turn; a GAN's
generator maps z ~ N(0, I); a plain autoencoder has no prior, so its "samples" decode codes drawn from a
Gaussian fitted to the training codes (the best one can do without a prior, and a lesson in itself). The
diffusion model (chapter 06) samples *unconditionally*, like the VAE and the GANs: it is given the null label of
classifier-free guidance (no class), no guidance, and :data:`DIFFUSION_STEPS` deterministic DDIM steps; its code is
the starting noise x_T, one number per pixel. Chapter 06 measures its class-conditional and guided samples.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

from ...data.types import Dataset
from ...metrics.coverage import class_coverage
from ...models.classifier import predict_labels
from ...utils import batched, module_device
from ...metrics.frechet import classifier_features, frechet_distance
from ...metrics.memorisation import memorisation
from ...metrics.precision_recall import precision_recall
from ...metrics.roc import roc_auc
from ...metrics.sharpness import sharpness
from ...metrics.smoothness import roughness
from ...input_checks import CourseInputError
from .budget import model_budget
from .timing import ms_per_sample, timed

KINDS = ("ae", "vae", "cvae", "gan", "diffusion")
from ...viz.compare import REAL
N_CLASSES = 10
# the six models of notebook 07 and the ``pretrained`` recipe of each (the recipes of chapters 01, 02, 03, 05)
# (the AE is chapter 01's autoencoder at the VAE's code size, network and budget: ``autoencoder_16``)
CONTENDERS = {"AE": "autoencoder_16", "VAE": "vae", "CVAE": "cvae", "DCGAN": "dcgan", "WGAN-GP": "wgan_gp", "diffusion": "ddpm"}
# how the diffusion model samples in the comparison: DDIM with 20 steps (chapter 06: 20 steps are within 1 FD point
# of 50 at 40 % of the cost), no class (the null label) and no guidance, so that it is measured as the VAE and GANs are
DIFFUSION_STEPS = 20
# the untimed warm-up before a model's timed draws: a small batch, so that it costs the diffusion model little
WARMUP_SAMPLES = 50
# five training seeds in ``full``: a spread over seeds needs them (three give a standard deviation with about +-50 %
# relative error); ``quick`` keeps three, to stay fast
PROFILE_SEEDS = {"quick": (0, 1, 2), "full": (0, 1, 2, 3, 4)}


def comparison_seeds(profile: str | None = None) -> tuple[int, ...]:
    """The training seeds of every model of the comparison under ``profile`` (default: the active one)."""
    from ...config import get_profile

    return PROFILE_SEEDS[get_profile(profile)]


def is_diffusion(model: nn.Module) -> bool:
    """True for a diffusion model (chapter 06's ``DiffusionModel``: a noise schedule and a sampler, no decoder)."""
    return callable(getattr(model, "schedule", None)) and callable(getattr(model, "sample", None)) and hasattr(model, "image_shape")


def is_conditional(model: nn.Module) -> bool:
    """True for a model whose ``encode`` and ``decode`` take the labels too (the CVAE: it has ``n_classes``)."""
    return has_encoder(model) and getattr(model, "n_classes", None) is not None


def has_encoder(model: nn.Module) -> bool:
    """True for the autoencoders, VAEs and CVAEs; a GAN generator only decodes noise."""
    return callable(getattr(model, "encode", None))


def kind_of(model: nn.Module) -> str:
    """"ae", "vae", "cvae", "gan" (a generator) or "diffusion", read from the model's interface (for labels and messages)."""
    if is_diffusion(model):
        return "diffusion"
    if not has_encoder(model):
        if callable(getattr(model, "sample", None)):
            return "gan"
        raise CourseInputError(f"expected an autoencoder, a VAE, a CVAE, a GAN generator or a diffusion model, got {type(model).__name__}.")
    if is_conditional(model):
        return "cvae"
    return "vae" if callable(getattr(model, "sample", None)) else "ae"


def _mean_code(code: torch.Tensor | tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The deterministic code: an autoencoder's z, or the posterior mean mu of a Gaussian latent's (mu, logvar)."""
    return code[0] if isinstance(code, tuple) else code


# ---------------------------------------------------------------------------------------------- codes
def encode(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """The code of each image: the AE's z, the VAE's mu, the CVAE's [mu, one-hot y] (N x D)."""
    if not has_encoder(model):
        raise CourseInputError(f"a {type(model).__name__} has no encoder; draw codes from its prior instead.")
    if not is_conditional(model):
        return batched(lambda xb: _mean_code(model.encode(xb)), x, model=model)
    if y is None:
        raise CourseInputError("a CVAE needs the labels y to encode images.")
    mu = batched(lambda xb, yb: _mean_code(model.encode(xb, yb)), x, y, model=model)
    return torch.cat([mu, F.one_hot(y, model.n_classes).to(mu)], dim=1)


def decoder(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """z -> images for every model; a CVAE's code is [z, label weights] (soft labels interpolate too)."""
    if is_conditional(model):
        return lambda z: batched(lambda zb: model.decode(zb[:, : model.latent_dim], zb[:, model.latent_dim :]), z, model=model)
    return lambda z: batched(model.decode if has_encoder(model) else model, z, model=model)


def latent_size(model: nn.Module) -> int:
    """The size of the model's latent code: ``latent_dim``, or a diffusion model's x_T (one number per pixel)."""
    if is_diffusion(model):
        return math.prod(model.image_shape)
    return model.latent_dim


@torch.no_grad()
def reconstruct(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Deterministic reconstructions: decode(encode(x)), with the posterior mean for a VAE or CVAE."""
    return decoder(model)(encode(model, x, y))


@torch.no_grad()
def reconstruction_errors(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Squared error per image, summed over pixels (N,)."""
    return (reconstruct(model, x, y) - x).pow(2).flatten(1).sum(1)


@torch.no_grad()
def reconstruction_bce(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None, eps: float = 1e-6) -> torch.Tensor:
    """Binary cross-entropy per image, summed over pixels (N,): -sum_j [x_j log x_hat_j + (1 - x_j) log(1 - x_hat_j)],
    with x_hat clamped to [eps, 1 - eps] so that a saturated pixel costs a finite amount."""
    x_hat = reconstruct(model, x, y).clamp(eps, 1 - eps)
    return F.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(1)


@torch.no_grad()
def anomaly_scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Reconstruction error per image; a CVAE, which is not told the label, takes the best of the 10 labels."""
    if not is_conditional(model):
        return reconstruction_errors(model, x)
    errors = [reconstruction_errors(model, x, torch.full((len(x),), c, device=x.device)) for c in range(model.n_classes)]
    return torch.stack(errors).min(0).values


# ---------------------------------------------------------------------------------------------- samples
@torch.no_grad()
def draw_samples(
    model: nn.Module, n: int, generator: torch.Generator, train_x: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` samples (N x 1 x 28 x 28) and, for a CVAE, the labels asked for (0..9 in turn; else None)."""
    device = module_device(model)
    if is_diffusion(model):  # unconditional: the null label of classifier-free guidance, or no label at all
        null = getattr(model, "null_label", None)
        labels = None if null is None else torch.full((n,), null, dtype=torch.long, device=device)
        return model.sample(n, labels=labels, steps=min(DIFFUSION_STEPS, model.T), generator=generator), None
    if not callable(getattr(model, "sample", None)):  # an autoencoder: no prior of its own
        if train_x is None:
            raise CourseInputError("an autoencoder has no prior: pass train_x to fit a Gaussian to its codes.")
        codes = encode(model, train_x).double()
        mean, cov = codes.mean(0), torch.cov(codes.T) + 1e-6 * torch.eye(codes.shape[1], device=codes.device, dtype=codes.dtype)
        eps = torch.randn(n, codes.shape[1], generator=generator, dtype=torch.float64).to(device)
        z = (mean + eps @ torch.linalg.cholesky(cov).T).float()
        return decoder(model)(z), None
    z = torch.randn(n, model.latent_dim, generator=generator).to(device)
    if is_conditional(model):
        labels = model.default_labels(n)
        return decoder(model)(torch.cat([z, F.one_hot(labels, model.n_classes).float()], dim=1)), labels
    return decoder(model)(z), None


# ---------------------------------------------------------------------------------------------- anomalies
def anomaly_sets(data: Dataset, n: int = 500, seed: int = 0) -> dict[str, torch.Tensor]:
    """Images that are not handwritten digits, on the test images' device:

    - ``noise``: random pixels, as bright on average as a digit;
    - ``shapes``: circles, squares and triangles (the ``shapes`` dataset, shrunk to 28 x 28);
    - ``rotated``: test digits turned by 90 degrees (close to the data: the hard case).
    """
    from ...data import load

    x = data.test.x
    g = torch.Generator().manual_seed(seed)
    brightness = float(x.mean())
    noise = (torch.rand(n, 1, 28, 28, generator=g) < brightness).float()
    shapes = load("shapes", device="cpu", n_train=n, n_test=1, seed=seed).train.x
    shapes = F.interpolate(shapes, size=(28, 28), mode="area").clamp(0, 1)
    order = torch.randperm(len(x), generator=g)[:n].to(x.device)
    rotated = torch.rot90(x[order], 1, dims=(2, 3))
    return {"noise": noise.to(x.device), "shapes": shapes.to(x.device), "rotated": rotated.contiguous()}


# ---------------------------------------------------------------------------------------------- the table
@dataclass
class Comparison:
    """What :func:`measure` found: the table, and the samples behind it (on the CPU) for the figures."""

    table: dict[str, dict[str, float | None]]
    samples: dict[str, dict[int, torch.Tensor]] = field(default_factory=dict)
    predicted: dict[str, dict[int, torch.Tensor]] = field(default_factory=dict)
    per_seed: dict[str, dict[int, dict[str, float]]] = field(default_factory=dict)

    def column(self, metric: str) -> dict[str, float | None]:
        return {model: row.get(metric) for model, row in self.table.items()}


PR_NEIGHBOURS = 3  # k of the k-NN balls of precision and recall (Kynkaanniemi et al. 2019 use k = 3)
COPY_QUANTILE = 0.05  # "closer to a training image than 95 % of test images are"


def _coverage(images: torch.Tensor, classifier: nn.Module) -> tuple[int, float, torch.Tensor]:
    cov = class_coverage(images, classifier, n_classes=N_CLASSES)
    return cov.covered, max(0.0, cov.entropy) / math.log(N_CLASSES), cov.histogram  # max: no -0.0


def _spread(values: list[float]) -> tuple[float, float, float]:
    t = torch.tensor(values, dtype=torch.float64)
    mean = float(t.mean())
    std = float(t.std()) if len(t) > 1 else 0.0
    return mean, std, std / mean if mean else float("nan")


SPREAD_LEVEL = 0.90  # the confidence level of the spread's bootstrap interval


def spread_interval(values: list[float], level: float = SPREAD_LEVEL, seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval of the spread std / mean of ``values`` (one per training seed), from
    ``scipy.stats.bootstrap`` with 9,999 resamples of the seeds: with five seeds it is wide, and it should be.
    NaN, NaN for fewer than three values (too few to resample)."""
    import numpy as np
    from scipy.stats import bootstrap

    if len(values) < 3:
        return float("nan"), float("nan")
    data = np.asarray(values, dtype=float)
    if np.ptp(data) == 0:
        return 0.0, 0.0
    result = bootstrap((data,), lambda v, axis=-1: np.std(v, ddof=1, axis=axis) / np.mean(v, axis=axis), n_resamples=9999,
                       confidence_level=level, method="percentile", vectorized=True, random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def mean_interval(values: list[float], level: float = SPREAD_LEVEL, seed: int = 0) -> tuple[float, float]:
    """A percentile bootstrap interval of the mean of ``values`` (one per training seed; 9,999 resamples of the seeds):
    the margin a verdict on a difference of means needs. NaN, NaN for fewer than three values."""
    import numpy as np
    from scipy.stats import bootstrap

    if len(values) < 3:
        return float("nan"), float("nan")
    data = np.asarray(values, dtype=float)
    if np.ptp(data) == 0:
        return float(data[0]), float(data[0])
    result = bootstrap((data,), np.mean, n_resamples=9999, confidence_level=level, method="percentile",
                       vectorized=True, random_state=np.random.default_rng(seed))
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def sample_metrics(
    x_gen: torch.Tensor, asked: torch.Tensor | None, classifier: nn.Module, test_features: torch.Tensor,
    train_x: torch.Tensor | None = None, test_x: torch.Tensor | None = None,
) -> tuple[dict[str, float], torch.Tensor]:
    """What samples alone tell: FD to the test features, precision and recall in the same features, classes covered,
    class entropy, sharpness, (given ``train_x`` and ``test_x``) the share of copies of training images, and (for a
    conditional model) how often the classifier agrees with the label asked for. Returns the metrics and the labels."""
    pred = predict_labels(classifier, x_gen)
    covered, entropy, _ = _coverage(x_gen, classifier)
    features = classifier_features(x_gen, classifier)
    pr = precision_recall(test_features, features, k=PR_NEIGHBOURS)
    metrics = {
        "fd": frechet_distance(features, test_features), "precision": pr.precision, "recall": pr.recall,
        "classes": covered, "entropy": entropy, "sharpness": sharpness(x_gen),
    }
    if train_x is not None and test_x is not None:
        metrics["copies"] = memorisation(x_gen, train_x, test_x, quantile=COPY_QUANTILE).copy_share
    if asked is not None:
        metrics["label_accuracy"] = float((pred == asked).float().mean())
    return metrics, pred


def code_metrics(
    model: nn.Module, data: Dataset, pair_y: torch.Tensor, pair_x: torch.Tensor, normal: torch.Tensor,
    anomalies: Mapping[str, torch.Tensor],
) -> tuple[dict[str, float], torch.Tensor, torch.Tensor]:
    """What a model with an encoder adds: reconstruction error on train and test, the codes of the interpolation
    pairs (first half a, second half b), and the anomaly ROC-AUC of each set against as many normal test digits."""
    conditional = is_conditional(model)
    train, test = data.train, data.test
    metrics = {
        "recon_train": float(reconstruction_errors(model, train.x, train.y if conditional else None).mean()),
        "recon_test": float(reconstruction_errors(model, test.x, test.y if conditional else None).mean()),
        "bce_train": float(reconstruction_bce(model, train.x, train.y if conditional else None).mean()),
        "bce_test": float(reconstruction_bce(model, test.x, test.y if conditional else None).mean()),
    }
    z = encode(model, pair_x, pair_y if conditional else None)
    half = len(z) // 2
    normal_scores = anomaly_scores(model, normal)
    for set_name, x_bad in anomalies.items():
        scores = torch.cat([normal_scores[: len(x_bad)], anomaly_scores(model, x_bad)])
        labels = torch.cat([torch.zeros(len(x_bad)), torch.ones(len(x_bad))])
        metrics[f"auroc_{set_name}"] = roc_auc(scores, labels)
    return metrics, z[:half], z[half:]


def measure(
    models: Mapping[str, Mapping[int, nn.Module]],
    data: Dataset,
    *,
    n_samples: int | None = None,
    n_pairs: int = 100,
    steps: int = 16,
    seconds: Mapping[str, Mapping[int, float]] | None = None,
    anomalies: Mapping[str, torch.Tensor] | None = None,
    classifier: nn.Module | None = None,
    seed: int = 0,
    clock: Callable[[], float] = time.perf_counter,
) -> Comparison:
    """Measure every model of ``models[name][seed]`` on ``data`` (MNIST-5k); see the module docstring.

    The headline numbers come from each model's first seed; the ``fd_*`` and ``*_worst`` columns from all
    its seeds. ``n_samples`` defaults to the size of the test set (FD is compared at equal sample sizes). The
    sampling cost (:mod:`.timing`) is the median of the seeds' timed draws on ``clock``, with their min and max.
    """
    from ...train.classifier import course_classifier

    if not models:
        raise CourseInputError("expected at least one model: models[name][seed] = trained model.")
    test, train = data.test, data.train
    device = test.x.device
    classifier = classifier if classifier is not None else course_classifier(device)
    n = n_samples or len(test.x)
    g = torch.Generator().manual_seed(seed)
    ref_idx = torch.randperm(len(test.x), generator=g)[:n].to(device)
    test_feats = classifier_features(test.x[ref_idx], classifier)
    train_idx = torch.randperm(len(train.x), generator=g)[:n].to(device)
    pairs = torch.randint(len(test.x), (2, n_pairs), generator=g).to(device)
    anomalies = dict(anomalies) if anomalies is not None else anomaly_sets(data, seed=seed)
    normal_idx = torch.randperm(len(test.x), generator=g)[: max(len(a) for a in anomalies.values())].to(device)

    # the reference row: real test digits
    real_pred = predict_labels(classifier, test.x)
    covered, entropy, _ = _coverage(test.x[ref_idx], classifier)
    table: dict[str, dict[str, float | None]] = {}
    train_feats = classifier_features(train.x[train_idx], classifier)
    real_pr = precision_recall(test_feats, train_feats, k=PR_NEIGHBOURS)
    table[REAL] = {
        "fd": frechet_distance(train_feats, test_feats), "precision": real_pr.precision, "recall": real_pr.recall,
        "copies": memorisation(test.x[ref_idx], train.x, test.x, quantile=COPY_QUANTILE).copy_share,
        "classes": covered, "entropy": entropy, "sharpness": sharpness(test.x[ref_idx]),
        "label_accuracy": float((real_pred == test.y).float().mean()),
    }
    comparison = Comparison(table, {REAL: {0: test.x[ref_idx[:100]].cpu()}}, {REAL: {0: real_pred[ref_idx[:100]].cpu()}})

    for name, by_seed in models.items():
        if not by_seed:
            raise CourseInputError(f"models[{name!r}]: expected at least one trained seed.")
        seeds = sorted(by_seed)
        per_seed: dict[int, dict[str, float]] = {}
        comparison.samples[name], comparison.predicted[name] = {}, {}
        # the cost: every seed's draw is one timed run of the same computation, after an untimed warm-up draw
        draw_samples(by_seed[seeds[0]], min(n, WARMUP_SAMPLES), torch.Generator().manual_seed(seed), train.x)
        draw_seconds = []
        for s in seeds:
            g_s = torch.Generator().manual_seed(seed + 1000 * (s + 1))
            (x_gen, asked), took = timed(lambda: draw_samples(by_seed[s], n, g_s, train.x), clock)
            draw_seconds.append(took)
            per_seed[s], pred = sample_metrics(x_gen, asked, classifier, test_feats, train.x, test.x)
            per_seed[s]["sample_ms"] = 1000 * took / n
            comparison.samples[name][s] = x_gen[:100].cpu()
            comparison.predicted[name][s] = pred[:100].cpu()
        comparison.per_seed[name] = per_seed

        first, model = seeds[0], by_seed[seeds[0]]
        fd_mean, fd_std, fd_cv = _spread([per_seed[s]["fd"] for s in seeds])
        fd_cv_low, fd_cv_high = spread_interval([per_seed[s]["fd"] for s in seeds], seed=seed)
        fd_mean_low, fd_mean_high = mean_interval([per_seed[s]["fd"] for s in seeds], seed=seed)
        recalls = [per_seed[s]["recall"] for s in seeds]
        recall_low, recall_high = mean_interval(recalls, seed=seed)
        row: dict[str, float | None] = {
            "fd": per_seed[first]["fd"], "fd_mean": fd_mean, "fd_std": fd_std, "fd_cv": fd_cv,
            "fd_cv_low": fd_cv_low, "fd_cv_high": fd_cv_high, "fd_mean_low": fd_mean_low, "fd_mean_high": fd_mean_high,
            "recall_mean": sum(recalls) / len(recalls), "recall_low": recall_low, "recall_high": recall_high,
            "seeds": len(seeds),
            "precision": per_seed[first]["precision"], "recall": per_seed[first]["recall"],
            "copies": per_seed[first]["copies"],
            "classes": per_seed[first]["classes"], "entropy": per_seed[first]["entropy"],
            "classes_worst": min(per_seed[s]["classes"] for s in seeds),
            "entropy_worst": min(per_seed[s]["entropy"] for s in seeds),
            "sharpness": per_seed[first]["sharpness"],
            "label_accuracy": per_seed[first].get("label_accuracy"),
        }
        if has_encoder(model):
            codes, z_a, z_b = code_metrics(model, data, test.y[pairs.flatten()], test.x[pairs.flatten()], test.x[normal_idx], anomalies)
            row.update(codes)
        elif not is_diffusion(model):
            gz = torch.Generator().manual_seed(seed + 7)
            z_a = torch.randn(n_pairs, model.latent_dim, generator=gz).to(device)
            z_b = torch.randn(n_pairs, model.latent_dim, generator=gz).to(device)
        # a diffusion model has no decoder of a code: a straight line between two noises x_T leaves the noise's
        # sphere (its midpoint has 71 % of the norm), so the roughness would measure that, not the model
        row["roughness"] = None if is_diffusion(model) else roughness(decoder(model), z_a, z_b, steps)
        row.update(model_budget(model, len(train.x)))
        if is_diffusion(model):
            row["code_size"] = latent_size(model)
        row.update(ms_per_sample(draw_seconds, n))  # the median over the seeds' draws, and their min and max
        if seconds and seconds.get(name):  # the mean over the seeds: the time one model of the recipe takes
            row["train_seconds"] = sum(seconds[name].values()) / len(seconds[name])
        table[name] = row
    return comparison


# ---------------------------------------------------------------------------------------------- display
QUALITY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # key, header, format
    ("recon_train", "recon train", "{:.1f}"),
    ("recon_test", "recon test", "{:.1f}"),
    ("bce_train", "BCE train", "{:.1f}"),
    ("bce_test", "BCE test", "{:.1f}"),
    ("fd", "FD", "{:.1f}"),
    ("fd_cv", "FD spread", "{:.0%}"),
    ("precision", "precision", "{:.2f}"),
    ("recall", "recall", "{:.2f}"),
    ("copies", "copies", "{:.0%}"),
    ("classes", "classes", "{:.0f}/10"),
    ("entropy", "entropy", "{:.3f}"),
    ("sharpness", "sharpness", "{:.4f}"),
    ("roughness", "roughness", "{:.2f}"),
    ("auroc_noise", "AUC noise", "{:.2f}"),
    ("auroc_shapes", "AUC shapes", "{:.2f}"),
    ("auroc_rotated", "AUC rotated", "{:.2f}"),
    ("label_accuracy", "label acc.", "{:.0%}"),
)
# what each model was given (see :mod:`.budget`): the "settings the verdicts hold under"
BUDGET_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("code_size", "code size", "{:.0f}"),
    ("parameters", "parameters", "{:,.0f}"),
    ("steps", "steps", "{:,.0f}"),
    ("critic_steps", "critic steps", "{:,.0f}"),
    ("images_seen", "images seen", "{:,.0f}"),
    ("train_seconds", "train s", "{:.0f}"),
    ("sample_ms", "ms / sample", "{:.2g}"),
    ("sample_ms_low", "ms min", "{:.2g}"),
    ("sample_ms_high", "ms max", "{:.2g}"),
    ("seeds", "seeds", "{:.0f}"),
)
COLUMNS = QUALITY_COLUMNS + BUDGET_COLUMNS
BUDGET_KEYS = {key for key, _, _ in BUDGET_COLUMNS}
LOWER_IS_BETTER = {"recon_train", "recon_test", "bce_train", "bce_test", "fd", "fd_cv", "roughness"}
# columns whose ideal is the real data's own value: the best is the model closest to the ``real data`` row
CLOSEST_TO_REAL = {"sharpness", "entropy", "copies"}
# a model with more copies than this cannot be best on sample quality: copying 4,000 training digits must not win
COPY_LIMIT = 0.20
SAMPLE_QUALITY = {"fd", "precision", "recall"}
# columns that get no best, and why (said in a footnote under the HTML table)
NO_BEST = {
    "roughness": "measured on different kinds of paths (AE, VAE, CVAE: between encoded test digits; GANs: between prior "
                 "draws); not measured for the diffusion model, whose code is the starting noise (a straight path between "
                 "two noises leaves the noise's distribution)",
}
BUDGET_NOTE = ("the budget: what each model was given, not how good it is, so no best is marked. A GAN's code is its "
               "noise and its steps are generator steps, each after n_critic critic steps; the CVAE's decoder is told the "
               "label besides its code; images seen are the real training images used by the gradient steps; train s is the "
               "training's wall time recorded with each model: a cached or shipped model's time is that of the "
               "machine and run that trained it.")


def best_of_each_column(table: Mapping[str, Mapping[str, float | None]], keys) -> dict[str, list[str]]:
    """The best models of each column in ``keys`` (the ``real data`` row never wins): the smallest value in
    :data:`LOWER_IS_BETTER`, the smallest |value - real| in :data:`CLOSEST_TO_REAL` (none without a real-data
    value), none in :data:`NO_BEST`, and the largest value in every other column. Models tied at the best
    value are all marked; a column where every model ties marks none (it tells no model apart). In the sample-quality
    columns (:data:`SAMPLE_QUALITY`), a model whose ``copies`` exceed :data:`COPY_LIMIT` is not a candidate."""
    best: dict[str, list[str]] = {}
    real_row = table.get(REAL, {})
    for key in keys:
        values = {m: r[key] for m, r in table.items() if m != REAL and _is_number(r.get(key))}
        if key in SAMPLE_QUALITY:
            values = {m: v for m, v in values.items() if not copies_too_much(table[m])}
        if not values or key in NO_BEST or key in BUDGET_KEYS:
            continue
        if key in CLOSEST_TO_REAL:
            if not _is_number(real_row.get(key)):
                continue
            score = {m: abs(v - real_row[key]) for m, v in values.items()}
        else:
            score = {m: (v if key in LOWER_IS_BETTER else -v) for m, v in values.items()}
        top = min(score.values())
        winners = [m for m in values if score[m] == top]
        if len(winners) < len(values) or len(values) == 1:
            best[key] = winners
    return best


def copies_too_much(row: Mapping[str, float | None]) -> bool:
    """True when more than :data:`COPY_LIMIT` of a model's samples are closer to a training image than fresh data is."""
    return _is_number(row.get("copies")) and row["copies"] > COPY_LIMIT


def _is_number(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def _cell(value: float | None, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return fmt.format(value)


def format_table(table: Mapping[str, Mapping[str, float | None]], columns=COLUMNS) -> str:
    """The table as fixed-width text, one row per model ("-": does not apply)."""
    present = [c for c in columns if any(row.get(c[0]) is not None for row in table.values())]
    header = ["model"] + [h for _, h, _ in present]
    rows = [[name] + [_cell(row.get(k), f) for k, _, f in present] for name, row in table.items()]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths)))  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths), *map(line, rows)])


def table_html(table: Mapping[str, Mapping[str, float | None]], columns=QUALITY_COLUMNS) -> str:
    """The table as HTML, the best model of each column in bold (see :func:`best_of_each_column`; the ``real data``
    row is the reference, never the best). The header says which way is better: &darr; lower, &uarr; higher,
    &asymp; closest to real data (sharpness and class entropy: over-sharp or over-even samples are not better,
    the real digits' value is the ideal). A column measured on different inputs across models (the roughness:
    encoded test digits against prior draws) and the budget columns (:data:`BUDGET_COLUMNS`: show them with
    ``table_html(table, BUDGET_COLUMNS)``) get no bold; a footnote under the table says so."""
    present = [c for c in columns if any(row.get(c[0]) is not None for row in table.values())]
    best = best_of_each_column(table, [k for k, _, _ in present])
    real_row = table.get(REAL, {})

    def arrow(key: str) -> str:
        if key in CLOSEST_TO_REAL:
            return "&asymp;"
        if key in BUDGET_KEYS:
            return ""
        return "&darr;" if key in LOWER_IS_BETTER else "&uarr;"

    marks = {k: f"<sup>{i + 1}</sup>" for i, k in enumerate(k for k, _, _ in present if k in NO_BEST)}
    head = "".join(f"<th>{' '.join(filter(None, (h, arrow(k))))}{marks.get(k, '')}</th>" for k, h, _ in present)
    body = ""
    for name, row in table.items():
        cells = "".join(
            f"<td>{'<b>' if name in best.get(k, ()) else ''}{_cell(row.get(k), f)}{'</b>' if name in best.get(k, ()) else ''}</td>"
            for k, _, f in present
        )
        style = " style='color:#555;font-style:italic'" if name == REAL else ""
        body += f"<tr{style}><td style='text-align:left'><b>{name}</b></td>{cells}</tr>"
    notes = []
    closest = [h for k, h, _ in present if k in CLOSEST_TO_REAL]
    if closest:
        why = "" if all(_is_number(real_row.get(k)) for k, _, _ in present if k in CLOSEST_TO_REAL) else (
            " (no best marked where the real-data row has no value)")
        notes.append(f"&asymp; {', '.join(closest)}: best = closest to the real-data row, |value &minus; real| smallest{why}.")
    notes += [f"{marks[k]} {h}: no best marked: {NO_BEST[k]}." for k, h, _ in present if k in marks]
    if any(k in BUDGET_KEYS for k, _, _ in present):
        notes.append(f"{', '.join(h for k, h, _ in present if k in BUDGET_KEYS)}: {BUDGET_NOTE}")
    copying = [m for m, r in table.items() if m != REAL and copies_too_much(r)]
    if copying and any(k in SAMPLE_QUALITY for k, _, _ in present):
        notes.append(f"{', '.join(copying)}: more than {COPY_LIMIT:.0%} of the samples are copies of training images, so "
                     "not a candidate for the best FD, precision or recall.")
    footnotes = "".join(f"<div style='font-size:smaller;color:#555'>{n}</div>" for n in notes)
    return f"<table><tr><th>model</th>{head}</tr>{body}</table>{footnotes}"


__all__ = [
    "BUDGET_COLUMNS", "CLOSEST_TO_REAL", "COLUMNS", "COPY_LIMIT", "Comparison", "KINDS", "NO_BEST", "QUALITY_COLUMNS", "REAL",
    "DIFFUSION_STEPS", "anomaly_scores", "anomaly_sets", "comparison_seeds", "copies_too_much", "is_diffusion", "mean_interval", "reconstruction_bce", "spread_interval",
    "best_of_each_column", "decoder", "draw_samples", "encode", "format_table", "kind_of", "measure", "reconstruct", "reconstruction_errors", "table_html",
]
