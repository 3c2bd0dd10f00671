"""Chapters 01-03: the autoencoder family's own analysis.

- ``pca``: the linear baseline at the same code size (chapter 01);
- ``overfitting``: train vs test reconstruction error along training (chapter 01);
- ``vae_diagnostics``: the KL in closed form and by Monte Carlo, KL per latent dimension (chapter 02);
- ``class_prior``: a per-class Gaussian prior p(z | y) fitted to a CVAE's codes (chapter 03).
"""
from .class_prior import ClassPrior
from .overfitting import epochs_for, overfitting_curve, reconstruction_error
from .pca import PCA
from .vae_diagnostics import kl_closed_form, kl_monte_carlo, kl_per_dimension

__all__ = ["ClassPrior", "PCA", "epochs_for", "kl_closed_form", "kl_monte_carlo", "kl_per_dimension", "overfitting_curve",
           "reconstruction_error"]
