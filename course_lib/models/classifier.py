"""The course classifier: a small CNN trained once on MNIST-5k, used by the metrics.

Its 128-d penultimate features play the role Inception features play in FID (Heusel et al. 2017): the
Frechet distance, class coverage and conditional accuracy of generated digits are measured with it.
``course_classifier()`` trains it the first time (about 10 seconds on a CPU, 97-98 % test accuracy) and
reloads the cached checkpoint afterwards.
"""
from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..validate import check_images
from .mode import eval_mode

CHECKPOINT = "course-classifier-v2"
SETTINGS = {"epochs": 8, "batch_size": 128, "lr": 3e-3, "max_shift": 2, "seed": 0, "n_train": 4000}


class Classifier(nn.Module):
    """x (N x 1 x 28 x 28 in [0, 1]) -> [conv3x3-ReLU-maxpool] x2 -> 128 features -> 10 logits."""

    def __init__(self, n_classes: int = 10, width: int = 16, n_features: int = 128) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # N x w x 14 x 14
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),  # N x 2w x 7 x 7
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(2 * width * 49, n_features), nn.ReLU(),  # N x 128
        )
        self.head = nn.Sequential(nn.Dropout(0.25), nn.Linear(n_features, n_classes))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The 128-d penultimate activations (after ReLU), N x 128."""
        check_images(x, "x", shape=(1, 28, 28))
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, N x n_classes."""
        return self.head(self.features(x))

    def predict(self, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
        """Predicted class per image (N,), computed in eval mode and in batches."""
        return predict_labels(self, x, batch_size)


@torch.no_grad()
def predict_labels(classifier: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """The class (argmax of the logits) ``classifier`` gives each image, (N,): in eval mode, in batches, under no_grad.

    The classifier's training/eval mode is restored afterwards.
    """
    with eval_mode(classifier):
        return torch.cat([classifier(images[i : i + batch_size]).argmax(1) for i in range(0, len(images), batch_size)])


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
) -> "History":  # noqa: F821
    """Cross-entropy training with Adam and random shifts; returns the engine's History."""
    from ..data import Batches
    from ..train.engine import fit

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
    from ..config import get_device
    from ..data import load
    from ..train.checkpoint import has_checkpoint, load_checkpoint, save_checkpoint

    device = get_device(device) if device is None or isinstance(device, str) else device
    if str(device) in _loaded:
        return _loaded[str(device)]
    model = Classifier()
    if has_checkpoint(CHECKPOINT):
        load_checkpoint(model, CHECKPOINT)
    else:
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
