"""Chapter 03 (conditional VAE): three exercises.

3.1 ``condition_on_label(h, y, n_classes)``: append the one-hot label to features, N x d -> N x (d + n_classes).
3.2 ``conditional_elbo(model, x, y, beta)``: the negative conditional ELBO of a CVAE on a batch (a loss to minimise).
3.3 ``sample_grid(model, n_per_class)``: n_per_class samples of every class, class c on row c of the grid.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..losses import bce_loss, kl_divergence
from ..models.cvae import one_hot
from .expect import describe, expect_close, expect_device, expect_shape, expect_tensor
from .registry import Exercise, case_generator, fail, register, seed_case_rng



# ---------------------------------------------------------------- 3.1 condition_on_label

def condition_on_label(h: torch.Tensor, y: torch.Tensor, n_classes: int = 10) -> torch.Tensor:
    """[h, one_hot(y)]: features N x d and labels (N,) -> N x (d + n_classes), the features first."""
    return torch.cat([h, F.one_hot(y, n_classes).to(h.dtype)], dim=1)


def _features_and_labels(n: int, d: int, device: torch.device, seed: int = 0, n_classes: int = 10, low: int = 0):
    h = torch.randn(n, d, generator=case_generator(seed)).to(device)
    y = torch.randint(low, n_classes, (n,), generator=case_generator(seed + 1)).to(device)
    return h, y


def appends_n_classes_columns(f, device):
    """gives N x (d + 10) for N x d features and 10 classes"""
    h, y = _features_and_labels(6, 5, device)
    out = expect_shape(f(h, y, 10), (6, 15), "the result for h of shape 6 x 5 and 10 classes")
    expect_device(out, device, "the result")
    if not out.is_floating_point():
        fail("a floating-point tensor (a layer multiplies it by float weights)", describe(out))


def keeps_the_features_first(f, device):
    """keeps h unchanged in the first d columns"""
    h, y = _features_and_labels(6, 5, device, seed=2)
    out = expect_shape(f(h, y, 10), (6, 15), "the result")
    expect_close(out[:, :5], h, "the first 5 columns (the features h, unchanged)")


def ends_with_the_one_hot_label(f, device):
    """ends with one-hot labels: a single 1, in column d + y"""
    h, y = _features_and_labels(8, 3, device, seed=3)
    out = expect_shape(f(h, y, 10), (8, 13), "the result")
    expect_close(out[:, 3:], F.one_hot(y, 10).float(), "the last 10 columns = one_hot(y)")


def uses_n_classes_not_the_largest_label(f, device):
    """is 10 wide even when the batch holds only labels 0-3"""
    h = torch.randn(4, 2, generator=case_generator(4)).to(device)
    y = torch.tensor([0, 1, 2, 3], device=device)
    out = expect_tensor(f(h, y, 10), "the result")
    if out.shape != (4, 12):
        fail("4 x 12 (2 features + 10 classes), whatever labels the batch holds", describe(out),
             "F.one_hot(y) without num_classes makes max(y) + 1 columns: pass n_classes")


def works_for_other_class_counts(f, device):
    """works for 3 classes and for a batch of one"""
    h, y = _features_and_labels(5, 4, device, seed=5, n_classes=3)
    expect_close(expect_shape(f(h, y, 3), (5, 7), "the result for 3 classes")[:, 4:], F.one_hot(y, 3).float(), "the one-hot part for 3 classes")
    h, y = _features_and_labels(1, 4, device, seed=6, low=9)
    expect_shape(f(h, y, 10), (1, 14), "the result for one sample")


def lets_gradients_reach_the_features(f, device):
    """lets gradients flow back to h"""
    h, y = _features_and_labels(3, 4, device, seed=7)
    h.requires_grad_(True)
    out = expect_tensor(f(h, y, 10), "the result")
    out.sum().backward()
    if h.grad is None or not torch.allclose(h.grad, torch.ones_like(h)):
        fail("d sum(out) / dh = 1 for every feature", "no gradient (or a different one)", "do not detach h or build the result with torch.tensor(...)")


def _rows_of_the_identity(h, y, n_classes=10):
    return torch.cat((h, torch.eye(n_classes, device=h.device, dtype=h.dtype)[y]), dim=1)


def _scattered_one_hot(h, y, n_classes=10):
    onehot = torch.zeros(len(y), n_classes, device=h.device).scatter_(1, y.unsqueeze(1), 1.0)
    return torch.hstack([h, onehot])


def _filled_in_place(h, y, n_classes=10):
    out = h.new_zeros(h.shape[0], h.shape[1] + n_classes)
    out[:, : h.shape[1]] = h
    out[torch.arange(len(y), device=y.device), h.shape[1] + y] = 1.0
    return out


register(Exercise(
    id="3.1",
    title="one-hot conditioning",
    reference=condition_on_label,
    visible_cases=[appends_n_classes_columns, keeps_the_features_first, ends_with_the_one_hot_label],
    hidden_cases=[uses_n_classes_not_the_largest_label, works_for_other_class_counts, lets_gradients_reach_the_features],
    wrong_answers=[
        ("appends the label as one number", lambda h, y, n_classes=10: torch.cat([h, y.float().unsqueeze(1)], dim=1)),
        ("F.one_hot without num_classes", lambda h, y, n_classes=10: torch.cat([h, F.one_hot(y).float()], dim=1)),
        ("puts the label first", lambda h, y, n_classes=10: torch.cat([F.one_hot(y, n_classes).float(), h], dim=1)),
        ("adds the one-hot to the first features", lambda h, y, n_classes=10: h[:, :n_classes] + F.one_hot(y, n_classes).float()),
    ],
    equivalent_answers=[
        ("F.one_hot(...).float() instead of .to(h.dtype)", lambda h, y, n_classes=10: torch.cat([h, F.one_hot(y, n_classes).float()], 1)),
        ("picks rows of torch.eye(n_classes)", _rows_of_the_identity),
        ("scatters the ones into a zero matrix, then torch.hstack", _scattered_one_hot),
        ("fills a new zero tensor in place", _filled_in_place),
    ],
    hint="F.one_hot(y, n_classes) gives an integer N x n_classes matrix: convert it with .float(), then "
         "torch.cat([h, onehot], dim=1) puts it after the features.",
))


# ---------------------------------------------------------------- a small stand-in CVAE for 3.2 and 3.3

class _TinyCVAE(nn.Module):
    """A CVAE small enough for checks: linear encoder and decoder on 1 x 6 x 6 images, 3 classes.

    ``fixed_logvar`` pins the encoder's log-variance (a very negative value makes z = mu, so the loss is
    deterministic); ``calls`` records the labels each method received. Its methods have the signatures of
    ``course_lib.models.CVAE`` (labels as indices or one-hot; ``sample(n, generator, labels)``), so an answer
    written for the course model runs on it.
    """

    def __init__(self, latent_dim: int = 2, n_classes: int = 3, fixed_logvar: float | None = None, seed: int = 0) -> None:
        super().__init__()
        g = case_generator(seed)
        self.latent_dim, self.n_classes, self.fixed_logvar = latent_dim, n_classes, fixed_logvar
        self.enc = nn.Linear(36 + n_classes, 2 * latent_dim)
        self.dec = nn.Linear(latent_dim + n_classes, 36)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        self.calls: list[tuple[str, torch.Tensor]] = []

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        self.calls.append(("encode", self._classes(y)))
        out = self.enc(torch.cat([x.flatten(1), one_hot(y, self.n_classes)], 1))
        mu, logvar = out.chunk(2, dim=1)
        if self.fixed_logvar is not None:
            logvar = torch.full_like(mu, self.fixed_logvar)
        return mu, logvar

    def reparameterize(self, mu: torch.Tensor, logvar: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        eps = torch.randn_like(mu) if generator is None else torch.randn(mu.shape, generator=generator).to(mu.device)
        return mu + torch.exp(0.5 * logvar) * eps

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.calls.append(("decode", self._classes(y)))
        return torch.sigmoid(self.dec(torch.cat([z, one_hot(y, self.n_classes)], 1))).view(-1, 1, 6, 6)

    @staticmethod
    def _classes(y: torch.Tensor) -> torch.Tensor:
        """The labels as class indices: like the course CVAE, the model also takes one-hot labels N x n_classes."""
        y = y.detach()
        return y.argmax(1) if y.is_floating_point() and y.dim() == 2 else y.clone()

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x, y)
        return self.decode(self.reparameterize(mu, logvar), y), mu, logvar

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, labels: torch.Tensor | None = None) -> torch.Tensor:
        """As ``course_lib.models.CVAE.sample``: n images for ``labels`` (default 0, 1, ..., n_classes - 1, 0, ...)."""
        device = self.dec.weight.device
        labels = torch.arange(n, device=device) % self.n_classes if labels is None else torch.as_tensor(labels, device=device)
        z = torch.randn(n, self.latent_dim, generator=generator).to(device)
        return self.decode(z, labels)


# ---------------------------------------------------------------- 3.2 conditional_elbo

def conditional_elbo(model: nn.Module, x: torch.Tensor, y: torch.Tensor, beta: float = 1.0) -> torch.Tensor:
    """-ELBO(x | y) = E_q(z|x,y)[-log p(x | z, y)] + beta * KL(q(z | x, y) || N(0, I)), one sample of z.

    BCE summed over pixels, KL summed over latent dimensions, both averaged over the batch; returns a scalar.
    """
    mu, logvar = model.encode(x, y)  # the label enters the encoder ...
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)  # reparameterization: z ~ q(z | x, y)
    x_hat = model.decode(z, y)  # ... and the decoder
    return bce_loss(x_hat, x) + beta * kl_divergence(mu, logvar)


def _batch(n: int, device: torch.device, seed: int = 0, n_classes: int = 3):
    x = (torch.rand(n, 1, 6, 6, generator=case_generator(seed)) > 0.5).float().to(device)
    y = torch.randint(0, n_classes, (n,), generator=case_generator(seed + 1)).to(device)
    return x, y


def _expected_deterministic(model: _TinyCVAE, x: torch.Tensor, y: torch.Tensor, beta: float) -> torch.Tensor:
    with torch.no_grad():
        mu, logvar = model.encode(x, y)
        x_hat = model.decode(mu, y)
        return bce_loss(x_hat, x) + beta * kl_divergence(mu, logvar)


def _scalar(out: object, what: str = "the loss") -> torch.Tensor:
    out = expect_tensor(out, what)
    if out.dim() != 0:
        fail(f"{what} as one number (a 0-dimensional tensor), averaged over the batch", describe(out))
    return out


def returns_a_differentiable_scalar(f, device):
    """returns one number that gradients flow through"""
    model = _TinyCVAE().to(device)
    x, y = _batch(8, device)
    loss = _scalar(f(model, x, y, 1.0))
    if not loss.requires_grad:
        fail("a loss connected to the model's parameters (requires_grad=True)", "a detached tensor", "do not call .item() or .detach()")


def gives_the_label_to_encoder_and_decoder(f, device):
    """gives the label y to both the encoder and the decoder"""
    model = _TinyCVAE().to(device)
    x, y = _batch(8, device, seed=2)
    f(model, x, y, 1.0)
    for where in ("encode", "decode"):
        got = [labels for name, labels in model.calls if name == where]
        if not got:
            fail(f"a call of model.{where}(..., y)", f"no call of model.{where}")
        if not any(torch.equal(labels, y) for labels in got):
            fail(f"model.{where} called with the batch's labels y", f"other labels: {describe(got[-1])}")


def equals_bce_plus_kl_when_sigma_is_tiny(f, device):
    """equals BCE (summed over pixels, mean over the batch) + KL when sigma is tiny"""
    model = _TinyCVAE(fixed_logvar=-30.0).to(device)
    x, y = _batch(10, device, seed=3)
    expect_close(_scalar(f(model, x, y, 1.0)), _expected_deterministic(model, x, y, 1.0), "-ELBO with z = mu", atol=1e-3, rtol=1e-4)


def beta_weighs_the_kl_term(f, device):
    """beta multiplies the KL term (beta = 0 leaves the reconstruction only)"""
    model = _TinyCVAE(fixed_logvar=-30.0, seed=1).to(device)
    x, y = _batch(10, device, seed=4)
    for beta in (0.0, 4.0):
        expect_close(_scalar(f(model, x, y, beta)), _expected_deterministic(model, x, y, beta), f"-ELBO with beta = {beta}", atol=1e-3, rtol=1e-4)


def averages_over_the_batch(f, device):
    """does not grow with the batch size (mean over images, not sum)"""
    model = _TinyCVAE(fixed_logvar=-30.0, seed=2).to(device)
    x, y = _batch(6, device, seed=5)
    one = _scalar(f(model, x, y, 1.0)).detach()
    expect_close(_scalar(f(model, x.repeat(3, 1, 1, 1), y.repeat(3), 1.0)), one, "the loss of the same batch repeated 3 times", atol=1e-3, rtol=1e-4)


def samples_z_with_the_reparameterization_trick(f, device):
    """samples z = mu + sigma * eps, so the reconstruction term trains sigma too"""
    model = _TinyCVAE(seed=3).to(device)
    x, y = _batch(64, device, seed=6)
    mu_logvar = model.enc
    with torch.no_grad():  # log-variances of exactly 0 make the KL's gradient in them vanish
        mu_logvar.weight[model.latent_dim:] = 0.0
        mu_logvar.bias[model.latent_dim:] = 0.0
    seed_case_rng(0)
    _scalar(f(model, x, y, 1.0)).backward()
    grad = mu_logvar.bias.grad
    if grad is None or grad[model.latent_dim:].abs().max().item() < 1e-4:
        fail("a gradient for the encoder's log-variance from the reconstruction term",
             "none: the decoder only ever sees mu", "sample z = mu + exp(logvar / 2) * eps with eps = torch.randn_like(mu)")


def _mean_instead_of_sum(model, x, y, beta=1.0):
    mu, logvar = model.encode(x, y)
    x_hat = model.decode(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), y)
    return F.binary_cross_entropy(x_hat, x) + beta * kl_divergence(mu, logvar)


def _decodes_mu(model, x, y, beta=1.0):
    mu, logvar = model.encode(x, y)
    return bce_loss(model.decode(mu, y), x) + beta * kl_divergence(mu, logvar)


def _kl_with_the_wrong_sign(model, x, y, beta=1.0):
    mu, logvar = model.encode(x, y)
    x_hat = model.decode(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), y)
    return bce_loss(x_hat, x) - beta * kl_divergence(mu, logvar)


def _sums_over_the_batch(model, x, y, beta=1.0):
    mu, logvar = model.encode(x, y)
    x_hat = model.decode(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), y)
    return bce_loss(x_hat, x, reduction="sum") + beta * kl_divergence(mu, logvar, reduction="sum")


def _forgets_beta(model, x, y, beta=1.0):
    mu, logvar = model.encode(x, y)
    x_hat = model.decode(mu + torch.exp(0.5 * logvar) * torch.randn_like(mu), y)
    return bce_loss(x_hat, x) + kl_divergence(mu, logvar)


def _elbo_through_forward(model, x, y, beta=1.0):
    x_hat, mu, logvar = model(x, y)  # forward encodes, reparameterizes and decodes, with y
    return bce_loss(x_hat, x) + beta * kl_divergence(mu, logvar)


def _elbo_summed_then_divided(model, x, y, beta=1.0):
    mu, logvar = model.encode(x, y)
    x_hat = model.decode(model.reparameterize(mu, logvar), y)
    recon = F.binary_cross_entropy(x_hat, x, reduction="sum")
    kl = 0.5 * torch.sum(mu ** 2 + logvar.exp() - logvar - 1)
    return (recon + beta * kl) / x.size(0)


def _elbo_with_distributions(model, x, y, beta=1.0):
    mu, logvar = model.encode(x, y)
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    x_hat = model.decode(q.rsample(), y)
    prior = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    kl = torch.distributions.kl_divergence(q, prior).sum(dim=1).mean()
    recon = F.binary_cross_entropy(x_hat, x, reduction="none").view(len(x), -1).sum(dim=1).mean()
    return recon + beta * kl


register(Exercise(
    id="3.2",
    title="the conditional ELBO",
    reference=conditional_elbo,
    visible_cases=[returns_a_differentiable_scalar, gives_the_label_to_encoder_and_decoder, equals_bce_plus_kl_when_sigma_is_tiny],
    hidden_cases=[beta_weighs_the_kl_term, averages_over_the_batch, samples_z_with_the_reparameterization_trick],
    wrong_answers=[
        ("averages the BCE over pixels", _mean_instead_of_sum),
        ("decodes mu instead of a sample", _decodes_mu),
        ("subtracts the KL", _kl_with_the_wrong_sign),
        ("sums over the batch", _sums_over_the_batch),
        ("ignores beta", _forgets_beta),
    ],
    equivalent_answers=[
        ("calls model(x, y) (forward) for x_hat, mu and logvar", _elbo_through_forward),
        ("model.reparameterize, sums with reduction='sum', then divides by the batch size", _elbo_summed_then_divided),
        ("samples with Normal(mu, sigma).rsample() and takes torch.distributions.kl_divergence", _elbo_with_distributions),
    ],
    hint="mu, logvar = model.encode(x, y); z = mu + exp(logvar / 2) * randn_like(mu); x_hat = model.decode(z, y); "
         "then bce_loss(x_hat, x) + beta * kl_divergence(mu, logvar) (both from course_lib.losses).",
))


# ---------------------------------------------------------------- 3.3 sample_grid

@torch.no_grad()
def sample_grid(model: nn.Module, n_per_class: int = 10) -> torch.Tensor:
    """n_per_class samples of each class, decoded from z ~ N(0, I): class c fills rows c * n_per_class ... (c + 1) * n_per_class - 1."""
    device = next(model.parameters()).device
    y = torch.arange(model.n_classes, device=device).repeat_interleave(n_per_class)  # 0 0 0 ... 1 1 1 ...
    z = torch.randn(len(y), model.latent_dim, device=device)
    return model.decode(z, y)


def _decoded(model: _TinyCVAE) -> tuple[torch.Tensor, torch.Tensor]:
    """The labels and codes of every decoder call of one answer, in order (one call, or one per class, ...)."""
    calls = [labels for name, labels in model.calls if name == "decode"]
    if not calls:
        fail("images drawn by model.decode(z, y) (or model.sample(n, labels=y))", "no call of the decoder")
    return torch.cat(calls), torch.cat(model.codes)


class _RecordingCVAE(_TinyCVAE):
    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        self.codes = getattr(self, "codes", []) + [z.detach().clone()]
        return super().decode(z, y)


def gives_n_per_class_images_of_each_class(f, device):
    """gives n_classes * n_per_class images, on the model's device"""
    model = _RecordingCVAE().to(device)
    out = expect_shape(f(model, 4), (12, 1, 6, 6), "the images for 3 classes and n_per_class=4")
    expect_device(out, device, "the images")


def asks_for_class_c_on_row_c(f, device):
    """asks for class 0 n_per_class times, then class 1, and so on (one class per row)"""
    model = _RecordingCVAE().to(device)
    f(model, 4)
    labels, _ = _decoded(model)
    want = torch.tensor([0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2])
    if not torch.equal(labels.cpu(), want):
        fail(f"labels {want.tolist()}", f"{labels.cpu().tolist()}",
             "repeat_interleave repeats each label in place; repeat would cycle 0 1 2 0 1 2 (one class per column)")


def draws_z_from_the_standard_normal(f, device):
    """draws z from N(0, I): mean about 0, standard deviation about 1"""
    model = _RecordingCVAE(latent_dim=4).to(device)
    f(model, 500)
    _, z = _decoded(model)
    if z.shape != (1500, 4):
        fail("z of shape 1500 x 4 (one code of latent_dim per image)", describe(z))
    mean, std = z.mean().item(), z.std().item()
    if abs(mean) > 0.1 or abs(std - 1) > 0.1:
        fail("codes with mean about 0 and standard deviation about 1 (torch.randn)", f"mean {mean:.3f}, standard deviation {std:.3f}")


def draws_new_codes_each_call(f, device):
    """draws new codes at each call (a different grid each time)"""
    model = _RecordingCVAE().to(device)
    a = expect_tensor(f(model, 3), "the first grid")
    b = expect_tensor(f(model, 3), "the second grid")
    if torch.allclose(a, b):
        fail("two different grids from two calls", "the same images twice", "draw fresh z with torch.randn each time")


def works_for_one_sample_per_class(f, device):
    """works for n_per_class = 1 and for a model with 5 classes"""
    model = _RecordingCVAE(n_classes=5).to(device)
    expect_shape(f(model, 1), (5, 1, 6, 6), "the images for 5 classes and n_per_class=1")
    labels, _ = _decoded(model)
    if labels.cpu().tolist() != [0, 1, 2, 3, 4]:
        fail("labels [0, 1, 2, 3, 4]", f"{labels.cpu().tolist()}")


def _cycles_the_labels(model, n_per_class=10):
    device = next(model.parameters()).device
    y = torch.arange(model.n_classes, device=device).repeat(n_per_class)
    return model.decode(torch.randn(len(y), model.latent_dim, device=device), y)


def _decodes_the_mean_only(model, n_per_class=10):
    device = next(model.parameters()).device
    y = torch.arange(model.n_classes, device=device).repeat_interleave(n_per_class)
    return model.decode(torch.zeros(len(y), model.latent_dim, device=device), y)


def _uniform_codes(model, n_per_class=10):
    device = next(model.parameters()).device
    y = torch.arange(model.n_classes, device=device).repeat_interleave(n_per_class)
    return model.decode(torch.rand(len(y), model.latent_dim, device=device), y)


@torch.no_grad()
def _one_class_at_a_time(model, n_per_class=10):
    device = next(model.parameters()).device
    rows = [model.decode(torch.randn(n_per_class, model.latent_dim, device=device),
                         torch.full((n_per_class,), c, dtype=torch.long, device=device)) for c in range(model.n_classes)]
    return torch.cat(rows)


def _labels_by_transpose(model, n_per_class=10):
    device = next(model.parameters()).device
    y = torch.arange(model.n_classes, device=device).repeat(n_per_class, 1).t().reshape(-1)  # 0 0 0 ... 1 1 1 ...
    with torch.no_grad():
        return model.decode(torch.randn(y.numel(), model.latent_dim).to(device), y)


@torch.no_grad()
def _one_hot_labels(model, n_per_class=10):
    device = next(model.parameters()).device
    y = F.one_hot(torch.arange(model.n_classes, device=device).repeat_interleave(n_per_class), model.n_classes).float()
    return model.decode(torch.randn(len(y), model.latent_dim, device=device), y)  # the course CVAE takes one-hot labels too


def _with_model_sample(model, n_per_class=10):
    y = torch.tensor([c for c in range(model.n_classes) for _ in range(n_per_class)], device=next(model.parameters()).device)
    return model.sample(len(y), labels=y)


register(Exercise(
    id="3.3",
    title="conditional generation",
    reference=sample_grid,
    visible_cases=[gives_n_per_class_images_of_each_class, asks_for_class_c_on_row_c, draws_z_from_the_standard_normal],
    hidden_cases=[draws_new_codes_each_call, works_for_one_sample_per_class],
    wrong_answers=[
        ("cycles the labels (one class per column)", _cycles_the_labels),
        ("decodes z = 0 only", _decodes_the_mean_only),
        ("draws z from U(0, 1)", _uniform_codes),
    ],
    equivalent_answers=[
        ("decodes one class at a time and concatenates the rows", _one_class_at_a_time),
        ("labels from arange(...).repeat(n_per_class, 1).t().reshape(-1), z drawn on the CPU and moved", _labels_by_transpose),
        ("labels from a list comprehension, images from model.sample(n, labels=y)", _with_model_sample),
        ("gives model.decode one-hot labels", _one_hot_labels),
    ],
    hint="y = torch.arange(model.n_classes).repeat_interleave(n_per_class); z = torch.randn(len(y), model.latent_dim); "
         "both on the model's device (next(model.parameters()).device); return model.decode(z, y).",
))
