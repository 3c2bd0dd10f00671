"""Metrics of the course: segmentation overlap, anomaly ROC-AUC, sample quality and diversity, likelihood, latents."""
from .coverage import ClassCoverage, class_coverage
from .frechet import classifier_features, frechet_distance, gaussian_stats
from .latent import active_units, unit_activity
from .likelihood import iwae_log_likelihood
from .modes import ModeCoverage, mode_coverage
from .roc import roc_auc
from .segmentation import dice_per_class, iou_per_class, mean_dice, mean_iou
from .sharpness import sharpness

__all__ = [
    "ClassCoverage", "ModeCoverage", "active_units", "class_coverage", "classifier_features", "dice_per_class",
    "frechet_distance", "gaussian_stats", "iou_per_class", "iwae_log_likelihood", "mean_dice", "mean_iou",
    "mode_coverage", "roc_auc", "sharpness", "unit_activity",
]
