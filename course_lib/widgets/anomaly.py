"""Explorer: pick a threshold on an anomaly score and see what it catches and what it falsely flags.

Left: histograms of the score for normal and anomalous test images, with the threshold. Right: the ROC
curve with the operating point of that threshold (true-positive rate against false-positive rate).
"""
from __future__ import annotations

import numpy as np
import torch
from matplotlib.figure import Figure

from ..metrics.roc import rates_at, roc_points
from .base import Explorer, slider


def anomaly_explorer(
    scores: torch.Tensor | np.ndarray,
    is_anomaly: torch.Tensor | np.ndarray,
    *,
    score_name: str = "reconstruction error",
    title: str = "Choose a threshold: what is flagged as an anomaly?",
) -> Explorer:
    """A slider for the threshold (as a percentile of all scores); ``is_anomaly`` is a boolean per score."""
    s = np.asarray(scores.detach().cpu() if isinstance(scores, torch.Tensor) else scores, dtype=float)
    a = np.asarray(is_anomaly.detach().cpu() if isinstance(is_anomaly, torch.Tensor) else is_anomaly, dtype=bool)
    if s.shape != a.shape or s.ndim != 1:
        raise ValueError(f"expected one score and one anomaly flag per image, got shapes {s.shape} and {a.shape}.")
    fpr_curve, tpr_curve = roc_points(s, a)
    bins = np.linspace(s.min(), s.max(), 40)

    def draw(percentile: float) -> Figure:
        threshold = float(np.percentile(s, percentile))
        fpr, tpr = rates_at(s, a, threshold)
        fig = Figure(figsize=(9.5, 3.6))
        left, right = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.5, 1], "wspace": 0.3})
        left.hist(s[~a], bins=bins, alpha=0.6, label="normal (seen digits)", color="tab:blue")
        left.hist(s[a], bins=bins, alpha=0.6, label="anomaly (unseen digits)", color="tab:red")
        left.axvline(threshold, color="black", linestyle="--", label=f"threshold {threshold:.1f}")
        left.set_xlabel(score_name)
        left.set_ylabel("test images")
        left.legend(frameon=False, fontsize=8)
        left.set_title(f"flagged: {tpr:.0%} of anomalies, {fpr:.0%} of normal images", fontsize=10)
        right.plot(fpr_curve, tpr_curve, color="tab:red", label="ROC curve")
        right.plot([0, 1], [0, 1], color="grey", linestyle=":", label="chance")
        right.plot([fpr], [tpr], marker="o", markersize=9, color="black", label="this threshold")
        right.set_xlabel("false-positive rate")
        right.set_ylabel("true-positive rate")
        right.set_xlim(-0.02, 1.02)
        right.set_ylim(-0.02, 1.02)
        right.set_aspect("equal")
        right.legend(frameon=False, fontsize=8, loc="lower right")
        right.set_title("ROC curve", fontsize=10)
        return fig

    return Explorer({"percentile": slider("threshold (percentile of scores)", 80.0, 0.0, 100.0, step=1.0, width="380px")}, draw, title=title)
