"""Chapter 02 (VAE and the reparameterization trick): four exercises.

2.1 ``reparameterize(mu, logvar)``: z = mu + exp(logvar / 2) * eps, eps ~ N(0, I), differentiable in mu and logvar.
2.2 ``kl_divergence(mu, logvar)``: KL(N(mu, sigma^2) || N(0, I)), summed over latent dimensions, mean over the batch.
2.3 ``elbo_loss(x_hat, x, mu, logvar, beta)``: (loss, recon, kl) with loss = recon + beta * kl (Bernoulli decoder).
2.4 ``sample_prior(model, n)``: n images decoded from z ~ N(0, I), on the model's device, without gradients.
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .. import losses
from .expect import describe, expect_close, expect_device, expect_shape, expect_tensor
from .registry import Exercise, case_generator, case_size, fail, register, seed_case_rng



def _normal(shape: tuple[int, ...], device: torch.device, seed: int, scale: float = 1.0) -> torch.Tensor:
    return (scale * torch.randn(shape, generator=case_generator(seed))).to(device)


def _scalar(value, what: str) -> torch.Tensor:
    value = expect_tensor(value, what)
    if value.dim() != 0:
        fail(f"{what} as one number (a 0-dimensional tensor)", describe(value), "sum over dimensions, then average over the batch")
    return value


# ---------------------------------------------------------------- 2.1 reparameterize

def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """z = mu + sigma * eps with sigma = exp(logvar / 2) and eps ~ N(0, I): a sample of N(mu, sigma^2) that gradients flow through."""
    eps = torch.randn_like(mu)
    return mu + torch.exp(0.5 * logvar) * eps


def keeps_the_shape_and_device_of_mu(f, device):
    """returns z with the shape and the device of mu"""
    seed_case_rng(0)
    mu, logvar = _normal((5, 3), device, 1), _normal((5, 3), device, 2)
    expect_device(expect_shape(f(mu, logvar), (5, 3), "z"), device, "z")


def has_mean_mu_and_standard_deviation_exp_half_logvar(f, device):
    """z has mean mu and standard deviation exp(logvar / 2) (20,000 draws)"""
    seed_case_rng(0)
    n = case_size(20000, 20_101, 20000, 24000)
    mu = torch.tensor([[1.0, -2.0, 0.0]], device=device).repeat(n, 1)
    logvar = torch.tensor([[math.log(4.0), 0.0, math.log(0.01)]], device=device).repeat(n, 1)
    z = expect_shape(f(mu, logvar), (n, 3), "z").detach().double().cpu()
    expect_close(z.mean(0), torch.tensor([1.0, -2.0, 0.0]), "the mean of z for mu = [1, -2, 0]", atol=0.06, rtol=0)
    expect_close(z.std(0), torch.tensor([2.0, 1.0, 0.1]), "the standard deviation of z for logvar = [log 4, 0, log 0.01]", atol=0.05, rtol=0.03)


def lets_gradients_reach_mu_and_logvar(f, device):
    """gradients flow from z back to mu and to logvar"""
    seed_case_rng(0)
    mu = _normal((4, 2), device, 3).requires_grad_()
    logvar = _normal((4, 2), device, 4, 0.5).requires_grad_()
    z = expect_tensor(f(mu, logvar), "z")
    if not z.requires_grad:
        fail("z connected to mu and logvar in the graph", "a z without gradient (was it drawn with .sample() or under no_grad?)",
             "build z as mu + sigma * eps, with eps from torch.randn_like(mu)")
    z.sum().backward()
    if mu.grad is None or logvar.grad is None:
        fail("gradients on mu and on logvar", f"mu.grad = {describe(mu.grad)}, logvar.grad = {describe(logvar.grad)}")
    expect_close(mu.grad, torch.ones(4, 2), "dz/dmu (1 everywhere)", atol=1e-5)
    if float(logvar.grad.abs().sum()) == 0:
        fail("a non-zero gradient on logvar (dz/dlogvar = sigma * eps / 2)", "zeros")


def draws_fresh_noise_each_call(f, device):
    """two calls draw different noise (and rows are not all the same draw)"""
    seed_case_rng(0)
    n = case_size(64, 20_102, 32, 128)
    mu, logvar = torch.zeros(n, 8, device=device), torch.zeros(n, 8, device=device)
    a, b = f(mu, logvar).detach(), f(mu, logvar).detach()
    if torch.allclose(a, b):
        fail("different z on two calls", "the same z twice", "draw eps inside the function, every call")
    if torch.allclose(a, a[:1].expand_as(a)):
        fail("independent noise for every row", "the same eps repeated on every row", "use torch.randn_like(mu)")


def the_noise_is_standard_normal_and_independent(f, device):
    """eps = (z - mu) / sigma is standard normal, with uncorrelated dimensions"""
    seed_case_rng(1)
    mu = _normal((10000, 4), device, 5)
    logvar = _normal((10000, 4), device, 6, 0.5)
    z = expect_shape(f(mu, logvar), (10000, 4), "z").detach()
    eps = ((z - mu) / torch.exp(0.5 * logvar)).double().cpu()
    corr = torch.corrcoef(eps.T)
    off = (corr - torch.eye(4, dtype=corr.dtype)).abs().max().item()
    expect_close(eps.std(0), torch.ones(4), "the standard deviation of eps", atol=0.05, rtol=0)
    if off > 0.05:
        fail("uncorrelated noise in different latent dimensions", f"a correlation of {off:.2f}")


def _with_sample(mu, logvar):
    return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).sample()


def _with_rsample(mu, logvar):
    return torch.distributions.Normal(mu, torch.exp(0.5 * logvar)).rsample()


def _sqrt_of_the_variance(mu, logvar):
    eps = torch.randn(mu.shape, device=mu.device, dtype=mu.dtype)
    return mu + logvar.exp().sqrt() * eps


def _noise_drawn_in_place(mu, logvar):
    eps = torch.empty_like(logvar).normal_()
    return eps.mul(logvar.mul(0.5).exp()).add(mu)


register(Exercise(
    id="2.1",
    title="the reparameterization trick",
    reference=reparameterize,
    visible_cases=[keeps_the_shape_and_device_of_mu, has_mean_mu_and_standard_deviation_exp_half_logvar, lets_gradients_reach_mu_and_logvar],
    hidden_cases=[draws_fresh_noise_each_call, the_noise_is_standard_normal_and_independent],
    wrong_answers=[
        ("uses the log-variance as sigma", lambda mu, logvar: mu + logvar * torch.randn_like(mu)),
        ("uses the variance exp(logvar) as sigma", lambda mu, logvar: mu + torch.exp(logvar) * torch.randn_like(mu)),
        ("samples with .sample(), which cuts the gradient", _with_sample),
        ("returns mu (no noise)", lambda mu, logvar: mu + 0 * logvar),
        ("samples with torch.normal(mu, sigma), which passes no gradient to mu", lambda mu, logvar: torch.normal(mu, torch.exp(0.5 * logvar))),
    ],
    equivalent_answers=[
        ("uses torch.distributions.Normal(mu, sigma).rsample()", _with_rsample),
        ("sigma = sqrt(exp(logvar)), eps = torch.randn(mu.shape, device=mu.device)", _sqrt_of_the_variance),
        ("draws eps in place with torch.empty_like(logvar).normal_()", _noise_drawn_in_place),
    ],
    hint="sigma = torch.exp(0.5 * logvar) (logvar is log sigma^2), eps = torch.randn_like(mu), return mu + sigma * eps.",
))


# ---------------------------------------------------------------- 2.2 kl_divergence

def kl_divergence(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mu, diag sigma^2) || N(0, I)) = -1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2), mean over the batch."""
    per_sample = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)  # N
    return per_sample.mean()


def _torch_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    q = torch.distributions.Normal(mu.double().cpu(), torch.exp(0.5 * logvar.double().cpu()))
    p = torch.distributions.Normal(torch.zeros_like(q.loc), torch.ones_like(q.scale))
    return torch.distributions.kl_divergence(q, p).sum(1).mean()


def is_zero_for_the_prior(f, device):
    """is 0 when q(z|x) is the prior (mu = 0, logvar = 0)"""
    z = torch.zeros(case_size(6, 20_201, 2, 12), case_size(4, 20_202, 2, 12), device=device)
    expect_close(_scalar(f(z, z), "kl_divergence(0, 0)"), torch.tensor(0.0), "the KL of the prior from itself", atol=1e-6)


def is_half_mu_squared_for_unit_variance(f, device):
    """is 1/2 sum_j mu_j^2 when sigma = 1: mu = 1 in 3 dimensions gives 1.5"""
    n = case_size(5, 20_203, 2, 12)
    mu, logvar = torch.ones(n, 3, device=device), torch.zeros(n, 3, device=device)
    expect_close(_scalar(f(mu, logvar), "kl_divergence(1, 0)"), torch.tensor(1.5), "the KL for mu = 1 in 3 dimensions", atol=1e-5)


def matches_the_closed_form_on_random_gaussians(f, device):
    """matches torch.distributions.kl_divergence on random mu and logvar"""
    mu, logvar = _normal((8, 5), device, 1), _normal((8, 5), device, 2)
    expect_close(_scalar(f(mu, logvar), "kl_divergence(mu, logvar)"), _torch_kl(mu, logvar), "the KL", rtol=1e-4, atol=1e-5)


def is_a_mean_over_the_batch(f, device):
    """gives the same value for a batch and for the batch repeated three times"""
    mu, logvar = _normal((4, 2), device, 3), _normal((4, 2), device, 4)
    once = _scalar(f(mu, logvar), "the KL of the batch").detach()
    expect_close(_scalar(f(mu.repeat(3, 1), logvar.repeat(3, 1)), "the KL of the tripled batch"), once,
                 "the KL of the tripled batch (equal to the KL of the batch)", rtol=1e-5)


def is_never_negative_and_grows_with_the_mean(f, device):
    """is never negative, and grows as mu moves away from 0"""
    logvar = _normal((16, 3), device, 5)
    values = [float(_scalar(f(torch.full((16, 3), m, device=device), logvar), "the KL").detach()) for m in (0.0, 1.0, 2.0)]
    if min(values) < -1e-6 or not values[0] < values[1] < values[2]:
        fail("KL >= 0, growing for mu = 0, 1, 2", ", ".join(f"{v:.3f}" for v in values))


def gradients_reach_mu_and_logvar(f, device):
    """gives dKL/dmu = mu / N and dKL/dlogvar = (sigma^2 - 1) / (2 N)"""
    mu, logvar = _normal((4, 3), device, 6).requires_grad_(), _normal((4, 3), device, 7).requires_grad_()
    _scalar(f(mu, logvar), "the KL").backward()
    if mu.grad is None or logvar.grad is None:
        fail("gradients on mu and logvar", f"mu.grad = {describe(mu.grad)}, logvar.grad = {describe(logvar.grad)}")
    expect_close(mu.grad, mu.detach() / 4, "dKL/dmu", atol=1e-5)
    expect_close(logvar.grad, (logvar.detach().exp() - 1) / 8, "dKL/dlogvar", atol=1e-5)


def _kl_with_distributions(mu, logvar):
    q = torch.distributions.Normal(mu, torch.exp(0.5 * logvar))
    p = torch.distributions.Normal(torch.zeros_like(mu), torch.ones_like(mu))
    return torch.distributions.kl_divergence(q, p).sum(dim=1).mean()


def _kl_from_sigma(mu, logvar):
    sigma = torch.exp(logvar / 2)
    return 0.5 * torch.sum(sigma ** 2 + mu ** 2 - 1 - torch.log(sigma ** 2)) / mu.shape[0]


register(Exercise(
    id="2.2",
    title="KL divergence from the prior",
    reference=kl_divergence,
    visible_cases=[is_zero_for_the_prior, is_half_mu_squared_for_unit_variance, matches_the_closed_form_on_random_gaussians],
    hidden_cases=[is_a_mean_over_the_batch, is_never_negative_and_grows_with_the_mean, gradients_reach_mu_and_logvar],
    wrong_answers=[
        ("forgets the factor 1/2", lambda mu, logvar: -(1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()),
        ("flips the sign", lambda mu, logvar: 0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1).mean()),
        ("averages over latent dimensions instead of summing", lambda mu, logvar: -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).mean()),
        ("reads logvar as log sigma", lambda mu, logvar: -0.5 * (1 + 2 * logvar - mu.pow(2) - (2 * logvar).exp()).sum(1).mean()),
        ("sums over the batch too", lambda mu, logvar: -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum()),
    ],
    equivalent_answers=[
        ("uses torch.distributions.kl_divergence(Normal(mu, sigma), Normal(0, 1))", _kl_with_distributions),
        ("1/2 (sigma^2 + mu^2 - 1 - log sigma^2), summed over everything and divided by N", _kl_from_sigma),
        ("the library's course_lib.losses.kl_divergence", lambda mu, logvar: losses.kl_divergence(mu, logvar)),
    ],
    hint="-0.5 * (1 + logvar - mu ** 2 - logvar.exp()), summed over dim=1 (latent dimensions), then .mean() over the batch.",
))


# ---------------------------------------------------------------- 2.3 elbo_loss

def elbo_loss(x_hat: torch.Tensor, x: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, beta: float = 1.0):
    """Negative (beta-)ELBO: returns (loss, recon, kl) with recon = Bernoulli NLL summed over pixels, loss = recon + beta * kl."""
    recon = F.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(dim=1).mean()
    kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
    return recon + beta * kl, recon, kl


def _batch(device: torch.device, n: int = 6, seed: int = 0):
    x = (torch.rand((n, 1, 28, 28), generator=case_generator(seed)) > 0.7).float().to(device)
    x_hat = torch.rand((n, 1, 28, 28), generator=case_generator(seed + 1)).clamp(0.05, 0.95).to(device)
    return x_hat, x, _normal((n, 4), device, seed + 2), _normal((n, 4), device, seed + 3, 0.5)


def _three(out, what: str = "elbo_loss(...)") -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    if not isinstance(out, (tuple, list)) or len(out) != 3:
        fail(f"{what} to return three values (loss, recon, kl)", describe(out))
    return tuple(_scalar(v, name) for v, name in zip(out, ("loss", "recon", "kl")))


def returns_loss_recon_and_kl(f, device):
    """returns (loss, recon, kl) with loss = recon + kl when beta = 1"""
    loss, recon, kl = _three(f(*_batch(device), beta=1.0))
    expect_close(loss, (recon + kl).detach(), "loss = recon + kl", rtol=1e-5)


def recon_is_the_bernoulli_nll_per_image(f, device):
    """recon of x_hat = 0.5 is 784 log 2 per image; kl of the prior is 0"""
    x_hat, x, mu, logvar = _batch(device, seed=1)
    _, recon, kl = _three(f(torch.full_like(x, 0.5), x, torch.zeros_like(mu), torch.zeros_like(logvar), beta=1.0))
    expect_close(recon, torch.tensor(784 * math.log(2)), "recon for x_hat = 0.5", rtol=1e-4)
    expect_close(kl, torch.tensor(0.0), "kl for mu = 0, logvar = 0", atol=1e-5)


def recon_and_kl_match_their_formulas(f, device):
    """recon and kl match their formulas on a random batch"""
    batch = _batch(device, seed=2)
    _, recon, kl = _three(f(*batch, beta=1.0))
    _, want_recon, want_kl = elbo_loss(*batch)
    expect_close(recon, want_recon, "recon", rtol=1e-4)
    expect_close(kl, want_kl, "kl", rtol=1e-4, atol=1e-5)


def beta_weights_only_the_kl(f, device):
    """beta multiplies the KL only: loss = recon + beta * kl for beta = 0 and 4"""
    batch = _batch(device, seed=3)
    for beta in (0.0, 4.0):
        loss, recon, kl = _three(f(*batch, beta=beta))
        expect_close(loss, (recon + beta * kl).detach(), f"loss for beta = {beta:g} (recon + beta * kl)", rtol=1e-5)
        _, recon_1, kl_1 = _three(f(*batch, beta=1.0))
        expect_close(recon, recon_1.detach(), f"recon for beta = {beta:g} (the same as for beta = 1)", rtol=1e-5)


def the_elbo_is_a_mean_over_the_batch(f, device):
    """gives the same values for a batch and for the batch repeated twice"""
    batch = _batch(device, seed=4)
    once = [v.detach() for v in _three(f(*batch, beta=2.0))]
    twice = _three(f(*[t.repeat(2, *([1] * (t.dim() - 1))) for t in batch], beta=2.0))
    for name, a, b in zip(("loss", "recon", "kl"), twice, once):
        expect_close(a, b, f"{name} of the doubled batch (equal to the batch's)", rtol=1e-5)


def gradients_reach_the_decoder_and_the_encoder(f, device):
    """the loss back-propagates to x_hat, mu and logvar"""
    x_hat, x, mu, logvar = _batch(device, seed=5)
    x_hat, mu, logvar = (t.clone().requires_grad_() for t in (x_hat, mu, logvar))
    _three(f(x_hat, x, mu, logvar, beta=1.0))[0].backward()
    for name, t in (("x_hat", x_hat), ("mu", mu), ("logvar", logvar)):
        if t.grad is None or float(t.grad.abs().sum()) == 0:
            fail(f"a gradient on {name}", describe(t.grad))


def _elbo_with(recon_fn, kl_weight_on_recon: bool = False, kl_sign: float = 1.0):
    def wrong(x_hat, x, mu, logvar, beta=1.0):
        recon = recon_fn(x_hat, x)
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
        loss = beta * recon + kl if kl_weight_on_recon else recon + kl_sign * beta * kl
        return loss, recon, kl
    return wrong


def _bce_sum(x_hat, x):
    return F.binary_cross_entropy(x_hat, x, reduction="none").flatten(1).sum(1).mean()


def _elbo_with_the_library(x_hat, x, mu, logvar, beta=1.0):
    recon, kl = losses.bce_loss(x_hat, x), losses.kl_divergence(mu, logvar)
    return recon + beta * kl, recon, kl


def _elbo_summed_then_divided(x_hat, x, mu, logvar, beta=1.0):
    n = x.shape[0]
    recon = F.binary_cross_entropy(x_hat, x, reduction="sum") / n
    kl = -0.5 * torch.sum(1 + logvar - mu ** 2 - torch.exp(logvar)) / n
    return recon + beta * kl, recon, kl


def _elbo_with_a_guarded_log(x_hat, x, mu, logvar, beta=1.0):
    log_px = x * torch.log(x_hat + 1e-8) + (1 - x) * torch.log(1 - x_hat + 1e-8)
    recon = -log_px.sum(dim=(1, 2, 3)).mean()
    kl = (0.5 * (mu.pow(2) + logvar.exp() - 1 - logvar)).sum(dim=-1).mean()
    return [recon + beta * kl, recon, kl]


register(Exercise(
    id="2.3",
    title="the (beta-)ELBO loss",
    reference=elbo_loss,
    visible_cases=[returns_loss_recon_and_kl, recon_is_the_bernoulli_nll_per_image, recon_and_kl_match_their_formulas],
    hidden_cases=[beta_weights_only_the_kl, the_elbo_is_a_mean_over_the_batch, gradients_reach_the_decoder_and_the_encoder],
    wrong_answers=[
        ("averages the BCE over pixels (the PyTorch default)", _elbo_with(lambda x_hat, x: F.binary_cross_entropy(x_hat, x))),
        ("puts beta on the reconstruction", _elbo_with(_bce_sum, kl_weight_on_recon=True)),
        ("subtracts the KL", _elbo_with(_bce_sum, kl_sign=-1.0)),
        ("uses the squared error", _elbo_with(lambda x_hat, x: ((x_hat - x) ** 2).flatten(1).sum(1).mean())),
    ],
    equivalent_answers=[
        ("uses course_lib.losses.bce_loss and kl_divergence", _elbo_with_the_library),
        ("sums with reduction='sum' and torch.sum, then divides by the batch size", _elbo_summed_then_divided),
        ("writes the log-likelihood with log(x_hat + 1e-8) and returns a list", _elbo_with_a_guarded_log),
    ],
    hint="recon = F.binary_cross_entropy(x_hat, x, reduction='none').flatten(1).sum(1).mean(); kl = kl_divergence(mu, logvar); "
         "return recon + beta * kl, recon, kl",
))


# ---------------------------------------------------------------- 2.4 sample_prior

@torch.no_grad()
def sample_prior(model: nn.Module, n: int) -> torch.Tensor:
    """n images decoded from z ~ N(0, I) (n x model.latent_dim), on the model's device: model.decode(z)."""
    device = next(model.parameters()).device
    z = torch.randn(n, model.latent_dim, device=device)
    return model.decode(z)


class _SpyDecoder(nn.Module):
    """A stand-in VAE: ``decode`` records the codes it receives and returns images that depend on them."""

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.layer = nn.Linear(latent_dim, 784)
        self.seen: list[torch.Tensor] = []

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        self.seen.append(z.detach())
        return torch.sigmoid(self.layer(z)).view(-1, 1, 28, 28)


def _spy(device: torch.device, latent_dim: int = 3) -> _SpyDecoder:
    seed_case_rng(0)
    return _SpyDecoder(latent_dim).to(device)


def _codes(model: _SpyDecoder, n: int) -> torch.Tensor:
    if not model.seen:
        fail("a call to model.decode(z)", "no call", "decode the codes: return model.decode(z)")
    z = torch.cat(model.seen)
    expect_shape(z, (n, model.latent_dim), "the codes z passed to model.decode")
    return z


def returns_n_images_on_the_models_device(f, device):
    """returns n images (n x 1 x 28 x 28) on the model's device"""
    model = _spy(device)
    expect_device(expect_shape(f(model, 5), (5, 1, 28, 28), "sample_prior(model, 5)"), device, "the samples")


def decodes_standard_normal_codes(f, device):
    """decodes codes z with mean 0 and standard deviation 1 (4,000 draws)"""
    seed_case_rng(0)
    model = _spy(device, latent_dim=3)
    f(model, 4000)
    z = _codes(model, 4000).double().cpu()
    expect_close(z.mean(0), torch.zeros(3), "the mean of z", atol=0.08, rtol=0)
    expect_close(z.std(0), torch.ones(3), "the standard deviation of z", atol=0.06, rtol=0)


def draws_different_samples(f, device):
    """draws a different z for every sample and every call"""
    model = _spy(device, latent_dim=2)
    a = f(model, 8)
    z = _codes(model, 8)
    if torch.allclose(z, z[:1].expand_as(z)):
        fail("a different z for each of the n samples", "the same z for all of them")
    b = f(model, 8)
    if torch.allclose(expect_tensor(a, "the samples"), expect_tensor(b, "the samples")):
        fail("different samples on two calls", "the same samples twice")


def builds_no_graph(f, device):
    """returns samples that do not track gradients (use @torch.no_grad())"""
    out = expect_tensor(f(_spy(device), 3), "the samples")
    if out.requires_grad:
        fail("samples that do not require grad", "a tensor that carries the computation graph", "decorate the function with @torch.no_grad()")


def works_for_one_sample_and_other_latent_sizes(f, device):
    """works for n = 1 and for latent_dim = 2 or 16"""
    for latent_dim in (2, 16):
        expect_shape(f(_spy(device, latent_dim), 1), (1, 1, 28, 28), f"one sample with latent_dim = {latent_dim}")


def _decode(model, z):
    return model.decode(z.to(next(model.parameters()).device))


def _codes_moved_to_the_device(model, n):
    parameter = next(model.parameters())
    z = torch.randn(n, model.latent_dim).to(parameter.device, parameter.dtype)
    with torch.no_grad():
        return model.decode(z)


@torch.no_grad()
def _codes_from_distributions(model, n):
    device = next(model.parameters()).device
    prior = torch.distributions.Normal(torch.zeros(model.latent_dim, device=device), torch.ones(model.latent_dim, device=device))
    return model.decode(prior.sample((n,)))


register(Exercise(
    id="2.4",
    title="sampling from the prior",
    reference=sample_prior,
    visible_cases=[returns_n_images_on_the_models_device, decodes_standard_normal_codes],
    hidden_cases=[draws_different_samples, builds_no_graph, works_for_one_sample_and_other_latent_sizes],
    wrong_answers=[
        ("draws uniform codes with torch.rand", torch.no_grad()(lambda model, n: _decode(model, torch.rand(n, model.latent_dim)))),
        ("decodes z = 0 only (the prior's mean)", torch.no_grad()(lambda model, n: _decode(model, torch.zeros(n, model.latent_dim)))),
        ("draws one z for all n samples", torch.no_grad()(lambda model, n: _decode(model, torch.randn(1, model.latent_dim).repeat(n, 1)))),
        ("returns the codes, not the images", torch.no_grad()(lambda model, n: torch.randn(n, model.latent_dim))),
    ],
    equivalent_answers=[
        ("draws z on the CPU, moves it with .to(device, dtype), decodes inside with torch.no_grad()", _codes_moved_to_the_device),
        ("draws z from torch.distributions.Normal(zeros, ones).sample((n,))", _codes_from_distributions),
    ],
    hint="z = torch.randn(n, model.latent_dim, device=next(model.parameters()).device); return model.decode(z), "
         "all under @torch.no_grad().",
))
