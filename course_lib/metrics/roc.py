"""ROC-AUC for anomaly detection: how well a score (e.g. reconstruction error) ranks anomalies above normal data.

AUC = P(score of a random anomaly > score of a random normal example); 0.5 is chance, 1 is perfect.
"""
from __future__ import annotations

import numpy as np
import torch

from ..input_checks import CourseInputError, describe


def roc_auc(scores: torch.Tensor | np.ndarray, labels: torch.Tensor | np.ndarray) -> float:
    """Area under the ROC curve (scikit-learn); ``labels`` 1 = anomaly (positive), 0 = normal; higher score = more anomalous."""
    from sklearn.metrics import roc_auc_score

    s = scores.detach().cpu().numpy() if isinstance(scores, torch.Tensor) else np.asarray(scores)
    y = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if s.ndim != 1 or y.shape != s.shape:
        raise CourseInputError(f"expected one score and one 0/1 label per example, got scores {describe(scores)} and labels {describe(labels)}.")
    if not np.isin(y, (0, 1)).all() or len(np.unique(y)) != 2:
        raise CourseInputError("labels: expected both classes, 1 for anomalies and 0 for normal examples.")
    if not np.isfinite(s).all():
        raise CourseInputError("scores: expected finite numbers, got NaN or infinity.")
    return float(roc_auc_score(y, s))


def rates_at(scores: np.ndarray, is_anomaly: np.ndarray, threshold: float) -> tuple[float, float]:
    """(false-positive rate, true-positive rate) when every score above ``threshold`` is flagged."""
    flagged = scores > threshold
    tpr = flagged[is_anomaly].mean() if is_anomaly.any() else 0.0
    fpr = flagged[~is_anomaly].mean() if (~is_anomaly).any() else 0.0
    return float(fpr), float(tpr)


def roc_points(scores: np.ndarray, is_anomaly: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ROC curve (fpr, tpr) over every threshold, from (0, 0) to (1, 1)."""
    order = np.argsort(-scores, kind="stable")
    hits = is_anomaly[order]
    tpr = np.concatenate([[0.0], np.cumsum(hits) / max(hits.sum(), 1)])
    fpr = np.concatenate([[0.0], np.cumsum(~hits) / max((~hits).sum(), 1)])
    return fpr, tpr
