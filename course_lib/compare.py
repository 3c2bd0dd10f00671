"""Chapter 06: measure autoencoders, VAEs, CVAEs and GANs side by side, on the same data, with the same rulers.

``measure(models, data)`` takes trained models, ``models[name][seed]`` (an autoencoder, a VAE, a CVAE or a GAN
generator), and returns a :class:`Comparison` whose ``table[name][metric]`` feeds :mod:`course_lib.claims`.
Every model is measured the same way:

==================  ===========================================================================  ============
metric              how                                                                          models
==================  ===========================================================================  ============
recon_train/test    squared error per image (sum over pixels, mean over images); VAE/CVAE decode  AE VAE CVAE
                    the posterior mean mu
fd                  Frechet distance of n samples to the n test images in the course             all
                    classifier's features; the ``real data`` row holds the floor (train vs test)
fd_mean/std/cv      the same over the training seeds (std / mean = cv: the spread)               all
classes, entropy    classes covered (of 10) and class entropy / log 10 of the samples' predicted  all
                    classes; ``*_worst``: the worst seed
sharpness           variance of the Laplacian of the samples                                     all
roughness           largest / mean pixel step along 16-step latent interpolations (1: even)       all
auroc_<set>         ROC-AUC of the reconstruction error: normal test digits vs an anomaly set     AE VAE CVAE
label_accuracy      share of samples the classifier gives the requested label                    CVAE
train_seconds       training time of the model (when given)                                      all
==================  ===========================================================================  ============

Samples: a VAE decodes z ~ N(0, I); a CVAE decodes z ~ N(0, I) with the labels 0..9 in turn; a GAN's
generator maps z ~ N(0, I); a plain autoencoder has no prior, so its "samples" decode codes drawn from a
Gaussian fitted to the training codes (the best one can do without a prior, and a lesson in itself).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping

import torch
import torch.nn as nn
import torch.nn.functional as F

from .data.types import Dataset
from .metrics.coverage import class_coverage
from .models.classifier import predict_labels
from .models.mode import eval_mode
from .metrics.frechet import classifier_features, frechet_distance
from .metrics.roc import roc_auc
from .metrics.sharpness import sharpness
from .metrics.smoothness import roughness
from .validate import CourseInputError

KINDS = ("ae", "vae", "cvae", "gan")
REAL = "real data"
N_CLASSES = 10
# the five models of notebook 06 and the ``pretrained`` recipe of each (the recipes of chapters 01, 02, 03, 05)
CONTENDERS = {"AE": "autoencoder", "VAE": "vae", "CVAE": "cvae", "DCGAN": "dcgan", "WGAN-GP": "wgan_gp"}
SEEDS = (0, 1, 2)


def kind_of(model: nn.Module) -> str:
    """"ae", "vae", "cvae" or "gan" (a generator), from the model's class."""
    from .models.autoencoder import Autoencoder, DenoisingAutoencoder
    from .models.cvae import CVAE
    from .models.gan import Generator
    from .models.vae import VAE

    if isinstance(model, CVAE):
        return "cvae"
    if isinstance(model, VAE):
        return "vae"
    if isinstance(model, (Autoencoder, DenoisingAutoencoder)):
        return "ae"
    if isinstance(model, Generator):
        return "gan"
    raise CourseInputError(f"expected an autoencoder, a VAE, a CVAE or a GAN generator, got {type(model).__name__}.")


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _batched(fn: Callable[..., torch.Tensor], *tensors: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    n = len(tensors[0])
    return torch.cat([fn(*(t[i : i + batch_size] for t in tensors)) for i in range(0, n, batch_size)])


# ---------------------------------------------------------------------------------------------- codes
@torch.no_grad()
def encode(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """The code of each image: the AE's z, the VAE's mu, the CVAE's [mu, one-hot y] (N x D)."""
    kind = kind_of(model)
    with eval_mode(model):
        if kind == "ae":
            return _batched(model.encode, x)
        if kind == "vae":
            return _batched(lambda xb: model.encode(xb)[0], x)
        if kind == "cvae":
            if y is None:
                raise CourseInputError("a CVAE needs the labels y to encode images.")
            mu = _batched(lambda xb, yb: model.encode(xb, yb)[0], x, y)
            return torch.cat([mu, F.one_hot(y, model.n_classes).to(mu)], dim=1)
    raise CourseInputError(f"a {type(model).__name__} has no encoder; draw codes from its prior instead.")


def decoder(model: nn.Module) -> Callable[[torch.Tensor], torch.Tensor]:
    """z -> images for every kind; a CVAE's code is [z, label weights] (soft labels interpolate too)."""
    kind = kind_of(model)

    @torch.no_grad()
    def decode(z: torch.Tensor) -> torch.Tensor:
        with eval_mode(model):
            if kind == "cvae":
                return _batched(lambda zb: model.decode(zb[:, : model.latent_dim], zb[:, model.latent_dim :]), z)
            if kind == "gan":
                return _batched(model, z)
            return _batched(model.decode, z)

    return decode


def latent_size(model: nn.Module) -> int:
    return getattr(model, "latent_dim", None) or getattr(model, "code_size")


@torch.no_grad()
def reconstruct(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Deterministic reconstructions: decode(encode(x)), with the posterior mean for a VAE or CVAE."""
    return decoder(model)(encode(model, x, y))


@torch.no_grad()
def reconstruction_errors(model: nn.Module, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
    """Squared error per image, summed over pixels (N,)."""
    return (reconstruct(model, x, y) - x).pow(2).flatten(1).sum(1)


@torch.no_grad()
def anomaly_scores(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Reconstruction error per image; a CVAE, which is not told the label, takes the best of the 10 labels."""
    if kind_of(model) != "cvae":
        return reconstruction_errors(model, x)
    errors = [reconstruction_errors(model, x, torch.full((len(x),), c, device=x.device)) for c in range(model.n_classes)]
    return torch.stack(errors).min(0).values


# ---------------------------------------------------------------------------------------------- samples
@torch.no_grad()
def draw_samples(
    model: nn.Module, n: int, generator: torch.Generator, train_x: torch.Tensor | None = None
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """``n`` samples (N x 1 x 28 x 28) and, for a CVAE, the labels asked for (0..9 in turn; else None)."""
    kind, device = kind_of(model), _device(model)
    if kind == "ae":
        if train_x is None:
            raise CourseInputError("an autoencoder has no prior: pass train_x to fit a Gaussian to its codes.")
        codes = encode(model, train_x).double()
        mean, cov = codes.mean(0), torch.cov(codes.T) + 1e-6 * torch.eye(codes.shape[1], device=codes.device, dtype=codes.dtype)
        eps = torch.randn(n, codes.shape[1], generator=generator, dtype=torch.float64).to(device)
        z = (mean + eps @ torch.linalg.cholesky(cov).T).float()
        return decoder(model)(z), None
    z = torch.randn(n, latent_size(model), generator=generator).to(device)
    if kind == "cvae":
        labels = torch.arange(n, device=device) % model.n_classes
        return decoder(model)(torch.cat([z, F.one_hot(labels, model.n_classes).float()], dim=1)), labels
    return decoder(model)(z), None


@torch.no_grad()
def predict_classes(images: torch.Tensor, classifier: nn.Module) -> torch.Tensor:
    return predict_labels(classifier, images)


# ---------------------------------------------------------------------------------------------- anomalies
def anomaly_sets(data: Dataset, n: int = 500, seed: int = 0) -> dict[str, torch.Tensor]:
    """Images that are not handwritten digits, on the test images' device:

    - ``noise``: random pixels, as bright on average as a digit;
    - ``shapes``: circles, squares and triangles (the ``shapes`` dataset, shrunk to 28 x 28);
    - ``rotated``: test digits turned by 90 degrees (close to the data: the hard case).
    """
    from .data import load

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


def _coverage(images: torch.Tensor, classifier: nn.Module) -> tuple[int, float, torch.Tensor]:
    cov = class_coverage(images, classifier, n_classes=N_CLASSES)
    return cov.covered, max(0.0, cov.entropy) / math.log(N_CLASSES), cov.histogram  # max: no -0.0


def _spread(values: list[float]) -> tuple[float, float, float]:
    t = torch.tensor(values, dtype=torch.float64)
    mean = float(t.mean())
    std = float(t.std()) if len(t) > 1 else 0.0
    return mean, std, std / mean if mean else float("nan")


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
) -> Comparison:
    """Measure every model of ``models[name][seed]`` on ``data`` (MNIST-5k); see the module docstring.

    The headline numbers come from each model's first seed; the ``fd_*`` and ``*_worst`` columns from all
    its seeds. ``n_samples`` defaults to the size of the test set (FD is compared at equal sample sizes).
    """
    from .models.classifier import course_classifier

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
    real_pred = predict_classes(test.x, classifier)
    covered, entropy, _ = _coverage(test.x[ref_idx], classifier)
    table: dict[str, dict[str, float | None]] = {}
    table[REAL] = {
        "fd": frechet_distance(classifier_features(train.x[train_idx], classifier), test_feats),
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
        for s in seeds:
            model = by_seed[s]
            x_gen, asked = draw_samples(model, n, torch.Generator().manual_seed(seed + 1000 * (s + 1)), train.x)
            pred = predict_classes(x_gen, classifier)
            covered, entropy, _ = _coverage(x_gen, classifier)
            per_seed[s] = {
                "fd": frechet_distance(classifier_features(x_gen, classifier), test_feats),
                "classes": covered, "entropy": entropy, "sharpness": sharpness(x_gen),
            }
            if asked is not None:
                per_seed[s]["label_accuracy"] = float((pred == asked).float().mean())
            comparison.samples[name][s] = x_gen[:100].cpu()
            comparison.predicted[name][s] = pred[:100].cpu()
        comparison.per_seed[name] = per_seed

        first, model = seeds[0], by_seed[seeds[0]]
        kind = kind_of(model)
        fd_mean, fd_std, fd_cv = _spread([per_seed[s]["fd"] for s in seeds])
        row: dict[str, float | None] = {
            "fd": per_seed[first]["fd"], "fd_mean": fd_mean, "fd_std": fd_std, "fd_cv": fd_cv, "seeds": len(seeds),
            "classes": per_seed[first]["classes"], "entropy": per_seed[first]["entropy"],
            "classes_worst": min(per_seed[s]["classes"] for s in seeds),
            "entropy_worst": min(per_seed[s]["entropy"] for s in seeds),
            "sharpness": per_seed[first]["sharpness"],
            "label_accuracy": per_seed[first].get("label_accuracy"),
        }
        if kind != "gan":
            y_train, y_test = (train.y, test.y) if kind == "cvae" else (None, None)
            row["recon_train"] = float(reconstruction_errors(model, train.x, y_train).mean())
            row["recon_test"] = float(reconstruction_errors(model, test.x, y_test).mean())
            z = encode(model, test.x[pairs.flatten()], test.y[pairs.flatten()] if kind == "cvae" else None)
            z_a, z_b = z[:n_pairs], z[n_pairs:]
            normal = anomaly_scores(model, test.x[normal_idx])
            for set_name, x_bad in anomalies.items():
                scores = torch.cat([normal[: len(x_bad)], anomaly_scores(model, x_bad)])
                labels = torch.cat([torch.zeros(len(x_bad)), torch.ones(len(x_bad))])
                row[f"auroc_{set_name}"] = roc_auc(scores, labels)
        else:
            gz = torch.Generator().manual_seed(seed + 7)
            z_a = torch.randn(n_pairs, latent_size(model), generator=gz).to(device)
            z_b = torch.randn(n_pairs, latent_size(model), generator=gz).to(device)
        row["roughness"] = roughness(decoder(model), z_a, z_b, steps)
        if seconds and name in seconds and first in seconds[name]:
            row["train_seconds"] = float(seconds[name][first])
        table[name] = row
    return comparison


# ---------------------------------------------------------------------------------------------- display
COLUMNS: tuple[tuple[str, str, str], ...] = (
    # key, header, format
    ("recon_train", "recon train", "{:.1f}"),
    ("recon_test", "recon test", "{:.1f}"),
    ("fd", "FD", "{:.1f}"),
    ("fd_cv", "FD spread", "{:.0%}"),
    ("classes", "classes", "{:.0f}/10"),
    ("entropy", "entropy", "{:.3f}"),
    ("sharpness", "sharpness", "{:.4f}"),
    ("roughness", "roughness", "{:.2f}"),
    ("auroc_noise", "AUC noise", "{:.2f}"),
    ("auroc_shapes", "AUC shapes", "{:.2f}"),
    ("auroc_rotated", "AUC rotated", "{:.2f}"),
    ("label_accuracy", "label acc.", "{:.0%}"),
    ("train_seconds", "train s", "{:.0f}"),
)
LOWER_IS_BETTER = {"recon_train", "recon_test", "fd", "fd_cv", "roughness", "train_seconds"}


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


def table_html(table: Mapping[str, Mapping[str, float | None]], columns=COLUMNS) -> str:
    """The table as HTML, the best model of each column in bold (the ``real data`` row excluded)."""
    present = [c for c in columns if any(row.get(c[0]) is not None for row in table.values())]
    best: dict[str, str] = {}
    for key, _, _ in present:
        values = {m: r[key] for m, r in table.items() if m != REAL and r.get(key) is not None}
        if values and key not in ("train_seconds",):
            pick = min if key in LOWER_IS_BETTER else max
            best[key] = pick(values, key=values.get)
    head = "".join(f"<th>{h} {'&darr;' if k in LOWER_IS_BETTER else '&uarr;'}</th>" for k, h, _ in present)
    body = ""
    for name, row in table.items():
        cells = "".join(
            f"<td>{'<b>' if best.get(k) == name else ''}{_cell(row.get(k), f)}{'</b>' if best.get(k) == name else ''}</td>"
            for k, _, f in present
        )
        style = " style='color:#555;font-style:italic'" if name == REAL else ""
        body += f"<tr{style}><td style='text-align:left'><b>{name}</b></td>{cells}</tr>"
    return f"<table><tr><th>model</th>{head}</tr>{body}</table>"


__all__ = [
    "COLUMNS", "Comparison", "KINDS", "REAL", "anomaly_scores", "anomaly_sets", "decoder", "draw_samples", "encode",
    "format_table", "kind_of", "measure", "predict_classes", "reconstruct", "reconstruction_errors", "table_html",
]
