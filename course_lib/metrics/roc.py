"""ROC-AUC for anomaly detection: how well a score (e.g. reconstruction error) ranks anomalies above normal data.

AUC = P(score of a random anomaly > score of a random normal example); 0.5 is chance, 1 is perfect.
"""
from __future__ import annotations

import numpy as np
import torch

from ..validate import CourseInputError, describe


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
