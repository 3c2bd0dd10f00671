"""Chapter 01 (autoencoders): four exercises.

1.1 ``Autoencoder``: an nn.Module with ``encode`` (N x 1 x 28 x 28 -> N x latent_dim), ``decode`` (back, sigmoid) and ``forward``.
1.2 ``reconstruction_loss(x_hat, x, kind)``: MSE or Bernoulli BCE, summed over pixels, averaged over the batch.
1.3 ``train_step(model, optimizer, x, loss_fn)``: one gradient step on a batch; returns the loss before the step, detached.
1.4 ``anomaly_score(model, x)``: one number per image, the squared reconstruction error summed over its pixels.
"""
from __future__ import annotations

import copy
import math

import torch
import torch.nn.functional as F
from torch import nn

from .expect import describe, expect_close, expect_device, expect_shape, expect_tensor
from .registry import Exercise, case_generator, fail, register, seed_case_rng


def _images(n: int, device: torch.device, seed: int = 0) -> torch.Tensor:
    """n random 'images' in [0, 1], N x 1 x 28 x 28, drawn from a private generator."""
    return torch.rand((n, 1, 28, 28), generator=case_generator(seed)).to(device)


def _binary_images(n: int, device: torch.device, seed: int = 0) -> torch.Tensor:
    return (_images(n, device, seed) > 0.7).float()


def _build(cls, device: torch.device, latent_dim: int) -> nn.Module:
    model = cls(latent_dim=latent_dim)
    if not isinstance(model, nn.Module):
        fail("an nn.Module (class Autoencoder(nn.Module))", describe(model))
    return model.to(device)


# ---------------------------------------------------------------- 1.1 Autoencoder

class Autoencoder(nn.Module):
    """784 -> hidden -> latent_dim (the bottleneck) -> hidden -> 784 -> sigmoid, reshaped to 1 x 28 x 28."""

    def __init__(self, latent_dim: int = 32, hidden: int = 256) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, latent_dim))
        self.decoder = nn.Sequential(
            nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))
        )

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)  # N x latent_dim

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z)  # N x 1 x 28 x 28 in [0, 1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


def encodes_to_the_code_size(cls, device):
    """encode turns N x 1 x 28 x 28 images into N x latent_dim codes"""
    model = _build(cls, device, latent_dim=8)
    expect_device(expect_shape(model.encode(_images(5, device)), (5, 8), "encode(x) for 5 images and latent_dim=8"), device, "the codes")


def decodes_to_images_in_0_1(cls, device):
    """decode turns codes into N x 1 x 28 x 28 images with values in [0, 1]"""
    model = _build(cls, device, latent_dim=8)
    z = 5 * torch.randn((5, 8), generator=case_generator(1)).to(device)
    out = expect_shape(model.decode(z), (5, 1, 28, 28), "decode(z) for 5 codes")
    out = out.detach()
    if float(out.min()) < 0 or float(out.max()) > 1:
        fail("pixel values in [0, 1] (end the decoder with nn.Sigmoid())", f"values from {float(out.min()):.3g} to {float(out.max()):.3g}")


def forward_is_decode_of_encode(cls, device):
    """forward(x) is decode(encode(x))"""
    model = _build(cls, device, latent_dim=8).eval()
    x = _images(4, device, seed=2)
    with torch.no_grad():
        expect_close(model(x), model.decode(model.encode(x)), "forward(x) = decode(encode(x))", atol=1e-6)


def the_bottleneck_follows_code_size(cls, device):
    """the bottleneck is exactly latent_dim wide (try 2 and 16)"""
    for size in (2, 16):
        expect_shape(_build(cls, device, latent_dim=size).encode(_images(3, device)), (3, size), f"encode(x) with latent_dim={size}")


def every_parameter_gets_a_gradient(cls, device):
    """every parameter receives a gradient from a reconstruction loss"""
    model = _build(cls, device, latent_dim=4)
    x = _images(6, device, seed=3)
    ((model(x) - x) ** 2).sum().backward()
    missing = [name for name, p in model.named_parameters() if p.requires_grad and (p.grad is None or not torch.isfinite(p.grad).all())]
    if not list(model.parameters()):
        fail("trainable layers (nn.Linear) registered as attributes of the module", "a module without parameters")
    if missing:
        fail("a gradient for every parameter", f"none (or not finite) for {', '.join(missing[:3])}", "is a layer unused, or is the code detached?")


def the_encoder_is_nonlinear(cls, device):
    """the encoder is non-linear (a linear one can do no better than PCA)"""
    model = _build(cls, device, latent_dim=8)
    a, b = _images(16, device, seed=4), _images(16, device, seed=5)
    with torch.no_grad():
        mixed = model.encode(0.5 * a + 0.5 * b)
        average = 0.5 * model.encode(a) + 0.5 * model.encode(b)
    gap = (mixed - average).abs().max().item()
    if gap < 1e-5 * (1 + average.abs().max().item()):
        fail("encode(mix of two images) != mix of their codes (a ReLU between the Linear layers)",
             "an encoder that is affine: encode((a + b) / 2) = (encode(a) + encode(b)) / 2")


class _NoSigmoid(Autoencoder):
    def __init__(self, latent_dim: int = 32, hidden: int = 256) -> None:
        super().__init__(latent_dim, hidden)
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 784), nn.Unflatten(1, (1, 28, 28)))


class _FixedCodeSize(Autoencoder):
    def __init__(self, latent_dim: int = 32, hidden: int = 256) -> None:
        super().__init__(32, hidden)


class _FlatOutput(Autoencoder):
    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder[:-1](z)  # N x 784: forgot to reshape


class _LinearEncoder(Autoencoder):
    def __init__(self, latent_dim: int = 32, hidden: int = 256) -> None:
        super().__init__(latent_dim, hidden)
        self.encoder = nn.Sequential(nn.Flatten(), nn.Linear(784, hidden), nn.Linear(hidden, latent_dim))


class _ExplicitLayers(nn.Module):
    """The same network with one attribute per layer and the activations called in encode and decode."""

    def __init__(self, latent_dim: int = 32, hidden: int = 256) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.fc1, self.fc2 = nn.Linear(784, hidden), nn.Linear(hidden, latent_dim)
        self.fc3, self.fc4 = nn.Linear(latent_dim, hidden), nn.Linear(hidden, 784)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.relu(self.fc1(x.view(len(x), -1))))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.fc4(F.relu(self.fc3(z)))).view(-1, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))


class _ReshapeInForward(nn.Module):
    """Sequential stacks without Flatten / Unflatten: the reshapes are written in encode and decode."""

    def __init__(self, latent_dim: int = 32, hidden: int = 256) -> None:
        super().__init__()
        self.latent_dim = latent_dim
        self.encoder = nn.Sequential(nn.Linear(28 * 28, hidden), nn.ReLU(), nn.Linear(hidden, latent_dim))
        self.decoder = nn.Sequential(nn.Linear(latent_dim, hidden), nn.ReLU(), nn.Linear(hidden, 28 * 28), nn.Sigmoid())

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x.flatten(1))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.decoder(z).reshape(-1, 1, 28, 28)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encoder(x.flatten(1))).reshape(x.shape)


register(Exercise(
    id="1.1",
    title="an autoencoder module",
    reference=Autoencoder,
    visible_cases=[encodes_to_the_code_size, decodes_to_images_in_0_1, forward_is_decode_of_encode],
    hidden_cases=[the_bottleneck_follows_code_size, every_parameter_gets_a_gradient, the_encoder_is_nonlinear],
    wrong_answers=[
        ("no sigmoid at the end of the decoder", _NoSigmoid),
        ("ignores latent_dim", _FixedCodeSize),
        ("decode returns flat N x 784 vectors", _FlatOutput),
        ("no non-linearity in the encoder", _LinearEncoder),
    ],
    equivalent_answers=[
        ("one attribute per layer, F.relu and torch.sigmoid called in encode and decode", _ExplicitLayers),
        ("Sequential stacks without Flatten / Unflatten: reshapes in encode, decode and forward", _ReshapeInForward),
    ],
    hint="encoder: nn.Flatten(), nn.Linear(784, hidden), nn.ReLU(), nn.Linear(hidden, latent_dim); decoder: the mirror, "
         "then nn.Sigmoid() and nn.Unflatten(1, (1, 28, 28)). Store them as attributes in __init__ (after super().__init__()).",
))


# ---------------------------------------------------------------- 1.2 reconstruction_loss

def reconstruction_loss(x_hat: torch.Tensor, x: torch.Tensor, kind: str = "bce") -> torch.Tensor:
    """"mse": sum_i (x_hat_i - x_i)^2; "bce": -sum_i [x_i log x_hat_i + (1 - x_i) log(1 - x_hat_i)]; summed over pixels, mean over the batch."""
    if kind == "mse":
        per_pixel = (x_hat - x) ** 2
    elif kind == "bce":
        per_pixel = F.binary_cross_entropy(x_hat, x, reduction="none")
    else:
        raise ValueError(f"kind must be 'mse' or 'bce', got {kind!r}")
    return per_pixel.flatten(1).sum(dim=1).mean()  # sum over pixels, mean over images


def _scalar(value, what: str) -> torch.Tensor:
    value = expect_tensor(value, what)
    if value.dim() != 0:
        fail(f"{what} as one number (a 0-dimensional tensor)", describe(value), "sum over the pixels, then average over the batch")
    return value


def mse_sums_over_pixels_and_averages_over_images(f, device):
    """"mse" sums the squared error over the pixels of each image and averages over images"""
    x, x_hat = _images(8, device, 1), _images(8, device, 2)
    want = ((x_hat - x) ** 2).flatten(1).sum(1).mean()
    expect_close(_scalar(f(x_hat, x, "mse"), 'reconstruction_loss(x_hat, x, "mse")'), want, 'the "mse" loss', rtol=1e-4)


def bce_of_a_coin_flip_decoder_is_784_log_2(f, device):
    """"bce" of x_hat = 0.5 everywhere is 784 log 2 = 543.4 per image, whatever x is"""
    x = _binary_images(4, device, 3)
    value = _scalar(f(torch.full_like(x, 0.5), x, "bce"), 'reconstruction_loss(0.5, x, "bce")')
    expect_close(value, torch.tensor(784 * math.log(2)), 'the "bce" loss of a decoder that outputs 0.5', rtol=1e-4)


def bce_matches_the_bernoulli_log_likelihood(f, device):
    """"bce" is minus the Bernoulli log-likelihood, summed over pixels, averaged over images"""
    x, x_hat = _images(6, device, 4), _images(6, device, 5).clamp(0.05, 0.95)
    want = -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).flatten(1).sum(1).mean()
    expect_close(_scalar(f(x_hat, x, "bce"), 'reconstruction_loss(x_hat, x, "bce")'), want, 'the "bce" loss', rtol=1e-4)


def does_not_depend_on_the_batch_size(f, device):
    """gives the same value for a batch and for the batch repeated twice (a mean over images)"""
    x, x_hat = _images(5, device, 6), _images(5, device, 7)
    for kind in ("mse", "bce"):
        once, twice = f(x_hat, x, kind), f(x_hat.repeat(2, 1, 1, 1), x.repeat(2, 1, 1, 1), kind)
        expect_close(_scalar(twice, f'the "{kind}" loss of the doubled batch'), _scalar(once, f'the "{kind}" loss').detach(),
                     f'the "{kind}" loss of the doubled batch (equal to the loss of the batch)', rtol=1e-4)


def stays_finite_when_the_decoder_is_certain(f, device):
    """"bce" stays finite (close to 0) when x_hat is exactly 0 or 1 where x is 0 or 1"""
    x = _binary_images(3, device, 8)
    value = _scalar(f(x.clone(), x, "bce"), 'reconstruction_loss(x, x, "bce") for binary x')
    # a guard that clamps x_hat to [eps, 1 - eps], as the hint suggests, costs -log(1 - eps) ~ eps per pixel:
    # 784 * 1e-4 = 0.078 per image for eps = 1e-4, so anything below 0.1 is a correct, guarded answer
    if not torch.isfinite(value) or abs(float(value)) > 0.1:
        fail("a loss close to 0 (below 0.1) for a perfect reconstruction of binary images", f"{float(value):.4g}",
             "0 * log(0) is nan: use F.binary_cross_entropy, or clamp x_hat to [eps, 1 - eps] with a small eps "
             "(1e-5 or less: each pixel then costs about eps)")


def gradients_reach_x_hat(f, device):
    """the loss can be back-propagated to x_hat"""
    x, x_hat = _images(3, device, 9), _images(3, device, 10).clamp(0.1, 0.9).requires_grad_()
    for kind in ("mse", "bce"):
        x_hat.grad = None
        _scalar(f(x_hat, x, kind), f'the "{kind}" loss').backward()
        if x_hat.grad is None or not torch.isfinite(x_hat.grad).all() or x_hat.grad.abs().sum() == 0:
            fail(f'a gradient of the "{kind}" loss with respect to x_hat', describe(x_hat.grad))


def _bernoulli_log_prob(x_hat, x, kind="bce"):
    if kind == "mse":
        return (x_hat - x).pow(2).view(len(x), -1).sum(1).mean()
    log_p = torch.distributions.Bernoulli(probs=x_hat, validate_args=False).log_prob(x)  # clamps x_hat to [eps, 1 - eps]
    return -log_p.view(len(x), -1).sum(1).mean()


register(Exercise(
    id="1.2",
    title="reconstruction loss (MSE and BCE)",
    reference=reconstruction_loss,
    visible_cases=[mse_sums_over_pixels_and_averages_over_images, bce_of_a_coin_flip_decoder_is_784_log_2, bce_matches_the_bernoulli_log_likelihood],
    hidden_cases=[does_not_depend_on_the_batch_size, stays_finite_when_the_decoder_is_certain, gradients_reach_x_hat],
    wrong_answers=[
        ("averages over pixels too (the PyTorch default)",
         lambda x_hat, x, kind="bce": F.mse_loss(x_hat, x) if kind == "mse" else F.binary_cross_entropy(x_hat, x)),
        ("sums over the batch instead of averaging",
         lambda x_hat, x, kind="bce": ((x_hat - x) ** 2).sum() if kind == "mse" else F.binary_cross_entropy(x_hat, x, reduction="sum")),
        ("swaps prediction and target in the BCE",
         lambda x_hat, x, kind="bce": reconstruction_loss(x_hat, x, "mse") if kind == "mse"
         else F.binary_cross_entropy(x.clamp(1e-4, 1 - 1e-4), x_hat, reduction="none").flatten(1).sum(1).mean()),
        ("writes the log-likelihood without guarding log(0)",
         lambda x_hat, x, kind="bce": reconstruction_loss(x_hat, x, "mse") if kind == "mse"
         else -(x * x_hat.log() + (1 - x) * (1 - x_hat).log()).flatten(1).sum(1).mean()),
    ],
    equivalent_answers=[
        ("clamps x_hat to [1e-5, 1 - 1e-5] before the log-likelihood",
         lambda x_hat, x, kind="bce": ((x_hat - x) ** 2).flatten(1).sum(1).mean() if kind == "mse"
         else -(x * x_hat.clamp(1e-5, 1 - 1e-5).log() + (1 - x) * (1 - x_hat.clamp(1e-5, 1 - 1e-5)).log()).flatten(1).sum(1).mean()),
        ("the library's sums divided by the batch size",
         lambda x_hat, x, kind="bce": (F.mse_loss(x_hat, x, reduction="sum") if kind == "mse"
                                       else F.binary_cross_entropy(x_hat, x, reduction="sum")) / len(x)),
        ("reduction='none', then sums over dims (1, 2, 3)",
         lambda x_hat, x, kind="bce": (F.mse_loss(x_hat, x, reduction="none") if kind == "mse"
                                       else F.binary_cross_entropy(x_hat, x, reduction="none")).sum(dim=(1, 2, 3)).mean()),
        ("uses torch.distributions.Bernoulli(probs=x_hat).log_prob(x) (validate_args=False for grey levels)", _bernoulli_log_prob),
    ],
    hint="per pixel: (x_hat - x) ** 2, or F.binary_cross_entropy(x_hat, x, reduction='none'); then "

         ".flatten(1).sum(dim=1) (one number per image) and .mean() (over the batch).",
))


# ---------------------------------------------------------------- 1.3 train_step

def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, x: torch.Tensor, loss_fn) -> torch.Tensor:
    """One gradient step on the batch x: zero the gradients, reconstruct, loss, backward, step. Returns the loss, detached."""
    optimizer.zero_grad()
    loss = loss_fn(model(x), x)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _tiny_autoencoder(device: torch.device, seed: int = 0) -> nn.Module:
    seed_case_rng(seed)
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 16), nn.ReLU(), nn.Linear(16, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28))
    ).to(device)


def _sum_mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    return ((x_hat - x) ** 2).flatten(1).sum(1).mean()


def returns_the_loss_before_the_step_detached(f, device):
    """returns the batch's loss (computed before the update) as a detached scalar"""
    model = _tiny_autoencoder(device)
    x = _images(8, device, 1)
    with torch.no_grad():
        before = _sum_mse(model(x), x)
    out = _scalar(f(model, torch.optim.SGD(model.parameters(), lr=0.01), x, _sum_mse), "train_step(...)")
    if out.requires_grad:
        fail("a detached tensor (return loss.detach())", "a tensor that still carries the computation graph")
    expect_close(out, before, "the loss of the batch before the update", rtol=1e-4)


def updates_the_parameters_like_one_sgd_step_each_call(f, device):
    """two calls make exactly two SGD steps (gradients zeroed each time)"""
    mine, ref = _tiny_autoencoder(device), _tiny_autoencoder(device)
    opt_mine, opt_ref = torch.optim.SGD(mine.parameters(), lr=0.05), torch.optim.SGD(ref.parameters(), lr=0.05)
    x = _images(8, device, 2)
    for _ in range(2):
        f(mine, opt_mine, x, _sum_mse)
        train_step(ref, opt_ref, x, _sum_mse)
    start = _tiny_autoencoder(device)
    (w_mine, w_ref, w_start) = (m[1].weight.detach() for m in (mine, ref, start))
    if torch.allclose(w_mine, w_start):
        fail("the parameters to change", "parameters exactly as they started", "call optimizer.step() after loss.backward()")
    expect_close(w_mine, w_ref, "the weights after two steps", atol=1e-5, rtol=1e-3)


def lowers_the_loss_over_many_steps(f, device):
    """30 calls with Adam lower the loss on the batch"""
    model = _tiny_autoencoder(device, seed=1)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    x = (_images(16, device, 3) > 0.9).float()  # sparse binary images: even their mean image is a big gain
    losses = [float(_scalar(f(model, optimizer, x, _sum_mse), "train_step(...)").detach()) for _ in range(30)]
    if not losses[-1] < 0.8 * losses[0]:
        fail("the loss to drop by at least 20% in 30 steps", f"{losses[0]:.1f} -> {losses[-1]:.1f}")


def _twice_the_sum_mse(x_hat: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A loss that no answer computes by itself: it shows that train_step used the loss_fn it was given."""
    return 2.0 * _sum_mse(x_hat, x)


def uses_the_loss_function_it_is_given(f, device):
    """uses loss_fn(model(x), x), whatever loss_fn is"""
    model = _tiny_autoencoder(device)
    x = _images(4, device, 4)
    out = _scalar(f(model, torch.optim.SGD(model.parameters(), lr=0.0), x, _twice_the_sum_mse), "train_step(...)")
    with torch.no_grad():
        expect_close(out, _twice_the_sum_mse(model(x), x), "the value returned by loss_fn(model(x), x)", rtol=1e-4)


def _no_zero_grad(model, optimizer, x, loss_fn):
    loss = loss_fn(model(x), x)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _no_step(model, optimizer, x, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), x)
    loss.backward()
    return loss.detach()


def _step_before_backward(model, optimizer, x, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), x)
    optimizer.step()
    loss.backward()
    return loss.detach()


def _not_detached(model, optimizer, x, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(x), x)
    loss.backward()
    optimizer.step()
    return loss


def _model_zero_grad(model, optimizer, x, loss_fn):
    model.train()
    model.zero_grad()
    x_hat = model(x)
    loss = loss_fn(x_hat, x)
    loss.backward()
    optimizer.step()
    return loss.detach()


def _zeros_kept_and_clone(model, optimizer, x, loss_fn):
    optimizer.zero_grad(set_to_none=False)
    loss = loss_fn(model(x), x)
    loss.backward()
    optimizer.step()
    return loss.detach().clone()


register(Exercise(
    id="1.3",
    title="one training step",
    reference=train_step,
    visible_cases=[returns_the_loss_before_the_step_detached, updates_the_parameters_like_one_sgd_step_each_call],
    hidden_cases=[lowers_the_loss_over_many_steps, uses_the_loss_function_it_is_given],
    wrong_answers=[
        ("forgets optimizer.zero_grad() (gradients pile up)", _no_zero_grad),
        ("forgets optimizer.step()", _no_step),
        ("steps before backward", _step_before_backward),
        ("returns the loss with its graph", _not_detached),
    ],
    equivalent_answers=[
        ("calls model.train() and model.zero_grad() instead of optimizer.zero_grad()", _model_zero_grad),
        ("zeroes with set_to_none=False and returns loss.detach().clone()", _zeros_kept_and_clone),
    ],
    hint="optimizer.zero_grad(); loss = loss_fn(model(x), x); loss.backward(); optimizer.step(); return loss.detach()",
))


# ---------------------------------------------------------------- 1.4 anomaly_score

@torch.no_grad()
def anomaly_score(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """One score per image: the squared reconstruction error summed over its pixels, sum_i (model(x)_i - x_i)^2 (shape N)."""
    return ((model(x) - x) ** 2).flatten(1).sum(dim=1)


def gives_one_score_per_image(f, device):
    """gives one score per image (a tensor of shape N) on the input's device"""
    model = _tiny_autoencoder(device).eval()
    expect_device(expect_shape(f(model, _images(7, device)), (7,), "anomaly_score(model, x) for 7 images"), device, "the scores")


def is_the_summed_squared_error(f, device):
    """each score is the squared error between the image and its reconstruction, summed over pixels"""
    model = _tiny_autoencoder(device).eval()
    x = _images(5, device, 1)
    with torch.no_grad():
        want = ((model(x) - x) ** 2).flatten(1).sum(1)
    expect_close(f(model, x), want, "the scores", rtol=1e-4)


def a_perfect_model_scores_zero(f, device):
    """a model that reconstructs perfectly scores 0 on every image"""
    expect_close(f(nn.Identity(), _images(4, device, 2)), torch.zeros(4), "the scores of a perfect reconstruction", atol=1e-6)


def a_score_does_not_depend_on_the_rest_of_the_batch(f, device):
    """an image gets the same score alone and inside a batch"""
    model = _tiny_autoencoder(device).eval()
    x = _images(6, device, 3)
    together = expect_shape(f(model, x), (6,), "the scores")
    alone = torch.cat([expect_shape(f(model, x[i : i + 1]), (1,), "the score of one image") for i in range(6)])
    expect_close(together, alone, "the scores of the batch (equal to the scores of each image alone)", rtol=1e-4)


def builds_no_graph(f, device):
    """does not track gradients (scoring needs none: use torch.no_grad())"""
    out = expect_tensor(f(_tiny_autoencoder(device), _images(3, device, 4)), "the scores")
    if out.requires_grad:
        fail("scores that do not require grad", "a tensor that carries the computation graph", "decorate the function with @torch.no_grad()")


def _score_with_mse_loss(model, x):
    with torch.no_grad():
        return F.mse_loss(model(x), x, reduction="none").sum(dim=(1, 2, 3))


@torch.no_grad()
def _score_one_image_at_a_time(model, x):
    return torch.stack([((model(image[None]) - image[None]) ** 2).sum() for image in x])


@torch.no_grad()
def _score_as_squared_norm(model, x):
    return torch.linalg.vector_norm((model(x) - x).reshape(len(x), -1), dim=1) ** 2


register(Exercise(
    id="1.4",
    title="an anomaly score",
    reference=anomaly_score,
    visible_cases=[gives_one_score_per_image, is_the_summed_squared_error, a_perfect_model_scores_zero],
    hidden_cases=[a_score_does_not_depend_on_the_rest_of_the_batch, builds_no_graph],
    wrong_answers=[
        ("averages over the whole batch", torch.no_grad()(lambda model, x: ((model(x) - x) ** 2).mean())),
        ("forgets to square (errors cancel)", torch.no_grad()(lambda model, x: (model(x) - x).flatten(1).sum(1))),
        ("scores the image itself, not its error", torch.no_grad()(lambda model, x: (x ** 2).flatten(1).sum(1))),
        ("divides by the batch's largest error", torch.no_grad()(lambda model, x: (e := ((model(x) - x) ** 2).flatten(1).sum(1)) / e.max())),
    ],
    equivalent_answers=[
        ("F.mse_loss(reduction='none') summed over dims (1, 2, 3), inside a with torch.no_grad() block", _score_with_mse_loss),
        ("scores one image at a time and stacks the scores", _score_one_image_at_a_time),
        ("the squared torch.linalg.vector_norm of each image's error", _score_as_squared_norm),
    ],
    hint="reconstruct with model(x), square the difference to x, sum over the pixels of each image: "
         "((model(x) - x) ** 2).flatten(1).sum(dim=1), under @torch.no_grad().",
))
