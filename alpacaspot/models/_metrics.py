"""Clip-level classification metrics (numpy only)."""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def clip_metrics(
    y_true: np.ndarray, y_pred: np.ndarray, classes: tuple[str, ...], target: int
) -> dict[str, float]:
    """Accuracy, balanced accuracy and per-class precision/recall/F1 (``f1_<class>``).

    ``f1_target`` is the F1 of class index ``target``.
    """
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    n = len(y_true)
    out: dict[str, float] = {"n": float(n)}
    out["accuracy"] = float((y_true == y_pred).mean()) if n else 0.0
    recalls = []
    for i, name in enumerate(classes):
        tp = float(np.sum((y_true == i) & (y_pred == i)))
        fp = float(np.sum((y_true != i) & (y_pred == i)))
        fn = float(np.sum((y_true == i) & (y_pred != i)))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        out[f"precision_{name}"] = p
        out[f"recall_{name}"] = r
        out[f"f1_{name}"] = f
        if tp + fn:
            recalls.append(r)
        if i == target:
            out["f1_target"] = f
            out["precision_target"] = p
            out["recall_target"] = r
    out["balanced_accuracy"] = float(np.mean(recalls)) if recalls else 0.0
    return out
