"""Training: the shared engine (``fit``, ``History``), checkpoints, and the training helpers of each model family."""
from .checkpoint import has_checkpoint, load_checkpoint, save_checkpoint
from .engine import History, NonFiniteLossError, evaluate_in_batches, fit, steps

__all__ = ["History", "NonFiniteLossError", "evaluate_in_batches", "fit", "has_checkpoint", "load_checkpoint", "save_checkpoint", "steps"]
