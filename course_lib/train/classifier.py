"""The course classifier's recipe: trained once on MNIST-5k, cached, and handed to the metrics.

``course_classifier()`` trains it the first time (about 10 seconds on a CPU, 97-98 % test accuracy) and
reloads the cached checkpoint afterwards. Metrics never call it themselves: they take the classifier as an
argument, and the notebooks and the comparison supply this one.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..data import Batches, load
from ..models.classifier import Classifier
from ..utils import resolve_device
from .checkpoint import load_checkpoint, save_checkpoint
from .engine import History, fit

CHECKPOINT = "course-classifier-v2"
SETTINGS = {"epochs": 8, "batch_size": 128, "lr": 3e-3, "max_shift": 2, "seed": 0, "n_train": 4000}


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """Translate each image by a whole number of pixels, up to ``max_shift`` in x and y (zero fill): cheap augmentation."""
    n, _, h, w = x.shape
    shift = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=generator).to(x.device, x.dtype)
    theta = torch.zeros(n, 2, 3, device=x.device, dtype=x.dtype)
    theta[:, 0, 0] = theta[:, 1, 1] = 1
    theta[:, 0, 2], theta[:, 1, 2] = 2 * shift[:, 0] / w, 2 * shift[:, 1] / h  # in grid units of [-1, 1]
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def train_classifier(
    model: Classifier, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float, max_shift: int = 2, seed: int = 0
) -> History:
    """Cross-entropy training with Adam and random shifts; returns the engine's History."""
    g = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr, total_steps=epochs * -(-len(x) // batch_size))

    def step(batch: tuple[torch.Tensor, ...]) -> dict[str, torch.Tensor]:
        xb, yb = batch
        xb = random_shift(xb, max_shift, g) if max_shift else xb
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        return {"loss": loss.detach()}

    model.train()
    history = fit(step, Batches(x, y, batch_size=batch_size, generator=g), epochs, desc="course classifier")
    model.eval()
    return history


_loaded: dict[str, Classifier] = {}


def course_classifier(device: torch.device | str | None = None) -> Classifier:
    """The course's MNIST classifier on ``device``, in eval mode with frozen weights; trained once, then cached."""
    device = resolve_device(device)
    if str(device) in _loaded:
        return _loaded[str(device)]
    model = Classifier()
    if load_checkpoint(model, CHECKPOINT, missing_ok=True) is None:  # none cached yet, or a corrupt one
        # leave the caller's random state alone; train even when called under torch.no_grad() (e.g. from a metric)
        with torch.random.fork_rng(devices=[]), torch.enable_grad():
            torch.manual_seed(SETTINGS["seed"])
            model = Classifier()
            data = load("mnist-5k", device="cpu")
            settings = dict(SETTINGS)
            train = data.train.subset(settings.pop("n_train"))
            train_classifier(model, train.x, train.y, **settings)
        accuracy = (model.predict(data.test.x) == data.test.y).float().mean().item()
        save_checkpoint(model, CHECKPOINT, settings=SETTINGS, test_accuracy=accuracy)
    model = model.to(device).eval().requires_grad_(False)
    _loaded[str(device)] = model
    return model
