"""Metrics of the course: segmentation overlap, anomaly ROC-AUC, sample quality and diversity, likelihood, latents,
conditional accuracy, inpainting, precision and recall, and memorisation. Metrics that need a classifier take it as an
argument (``train.course_classifier()``)."""
from .conditional import ConditionalAccuracy, conditional_accuracy
from .coverage import ClassCoverage, class_coverage
from .frechet import classifier_features, frechet_distance, gaussian_stats
from .inpainting import HIDE_KINDS, hidden_error, impute, infer_label, observed_mask, show_hidden
from .latent import active_units, code_range, unit_activity
from .likelihood import iwae_log_likelihood
from .memorisation import Memorisation, memorisation
from .modes import ModeCoverage, mode_coverage
from .precision_recall import PrecisionRecall, knn_radii, precision_recall
from .roc import rates_at, roc_auc, roc_points
from .segmentation import binary_iou, dice_per_class, iou_per_class, mean_dice, mean_iou
from .sharpness import sharpness
from .smoothness import interpolate, interpolation_path, roughness, step_sizes

__all__ = [
    "HIDE_KINDS", "binary_iou", "code_range", "hidden_error", "impute", "infer_label", "interpolate", "interpolation_path",
    "observed_mask", "rates_at", "roc_points", "roughness", "show_hidden", "step_sizes",
    "ClassCoverage", "ConditionalAccuracy", "ModeCoverage", "active_units", "class_coverage", "classifier_features", "conditional_accuracy", "dice_per_class",
    "frechet_distance", "gaussian_stats", "iou_per_class", "iwae_log_likelihood", "mean_dice", "mean_iou",
    "mode_coverage", "roc_auc", "sharpness", "unit_activity",
    "Memorisation", "PrecisionRecall", "knn_radii", "memorisation", "precision_recall",
]
