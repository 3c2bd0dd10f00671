"""Training: the shared engine (``fit``, ``History``), checkpoints, and the training helpers of each model family."""
from .checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from .engine import History, NonFiniteLossError, evaluate_in_batches, fit, steps

__all__ = ["History", "NonFiniteLossError", "evaluate_in_batches", "fit", "has_checkpoint", "load_checkpoint", "save_checkpoint", "steps"]

# Training helpers of each model family (helper "models").
from .adversarial import GANTraining, train_gan  # noqa: E402
from .classifier import course_classifier, train_classifier  # noqa: E402
from .diffusion import train_diffusion  # noqa: E402
from .generative import train_autoencoder, train_cvae, train_vae  # noqa: E402
from .pretrained import TrainingRecord, list_pretrained, pretrained  # noqa: E402
from .side_by_side import pretrained_many  # noqa: E402
from .segmentation import predict_masks, segmentation_loss, train_unet  # noqa: E402
from .settings import SETTINGS, data_settings, model_settings, settings  # noqa: E402

__all__ += [
    "GANTraining", "SETTINGS", "course_classifier", "TrainingRecord", "data_settings", "list_pretrained", "model_settings", "predict_masks",
    "pretrained", "pretrained_many", "segmentation_loss", "settings", "train_autoencoder", "train_classifier", "train_cvae", "train_diffusion", "train_gan", "train_unet", "train_vae",
]
