"""Classification metrics of a frame, computed on the host from the net's outputs (pure numpy).

Binary problems use labels +1/-1 and a score (the output; > 0 predicts +1). The tests compare every
function with scikit-learn's on the same predictions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

ROC_POINTS = 64  # points of the ROC curve sent per frame


def _safe_div(a: float, b: float) -> float:
    return float(a / b) if b else 0.0


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: np.ndarray) -> np.ndarray:
    """counts[i, j] = points of true class classes[i] predicted as classes[j]."""
    k = len(classes)
    true_index = np.searchsorted(classes, labels)
    predicted_index = np.searchsorted(classes, predicted)
    return np.bincount(true_index * k + predicted_index, minlength=k * k).reshape(k, k).astype(np.int64)


def roc_auc(labels: np.ndarray, scores: np.ndarray) -> float | None:
    """Area under the ROC curve: the probability that a random positive outranks a random negative.

    Computed from average ranks (Mann-Whitney U), so tied scores count one half. None if one class is absent.
    """
    positive = labels > 0
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    if n_pos == 0 or n_neg == 0:
        return None
    # Average ranks (1-based) of tied scores: each distinct value gets the mean of the ranks it spans.
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    last = np.cumsum(counts)
    ranks = ((last - counts + 1 + last) / 2.0)[inverse.reshape(-1)]
    u = ranks[positive].sum() - n_pos * (n_pos + 1) / 2.0
    return float(u / (n_pos * n_neg))


def roc_curve(labels: np.ndarray, scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rates, true positive rates) at every distinct threshold, from (0, 0) to (1, 1)."""
    positive = labels > 0
    n_pos, n_neg = max(int(positive.sum()), 1), max(int((~positive).sum()), 1)
    order = np.argsort(-scores, kind="mergesort")
    sorted_scores, sorted_pos = scores[order], positive[order]
    tp = np.cumsum(sorted_pos)
    fp = np.cumsum(~sorted_pos)
    last_of_tie = np.r_[np.diff(sorted_scores) != 0, True]
    fpr = np.r_[0.0, fp[last_of_tie] / n_neg]
    tpr = np.r_[0.0, tp[last_of_tie] / n_pos]
    return fpr, tpr


def _thin(fpr: np.ndarray, tpr: np.ndarray, points: int) -> tuple[list[float], list[float]]:
    if len(fpr) > points:
        keep = np.unique(np.r_[np.linspace(0, len(fpr) - 1, points).round().astype(int), len(fpr) - 1])
        fpr, tpr = fpr[keep], tpr[keep]
    return [round(float(v), 4) for v in fpr], [round(float(v), 4) for v in tpr]


def binary_metrics(labels: np.ndarray, scores: np.ndarray, with_curve: bool = False) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 (positive class +1), ROC-AUC and the 2x2 confusion matrix."""
    labels = np.asarray(labels, np.float64)
    scores = np.asarray(scores, np.float64)
    predicted = np.where(scores > 0, 1.0, -1.0)
    tp = float(np.sum((predicted > 0) & (labels > 0)))
    fp = float(np.sum((predicted > 0) & (labels < 0)))
    fn = float(np.sum((predicted < 0) & (labels > 0)))
    precision = _safe_div(tp, tp + fp)
    recall = _safe_div(tp, tp + fn)
    result: dict[str, Any] = {
        "accuracy": _safe_div(float(np.sum(predicted == labels)), len(labels)),
        "precision": precision,
        "recall": recall,
        "f1": _safe_div(2 * precision * recall, precision + recall),
        "roc_auc": roc_auc(labels, scores) if np.all(np.isfinite(scores)) else None,
        "classes": [-1, 1],
        "confusion_matrix": confusion_matrix(labels, predicted, np.asarray([-1.0, 1.0])).tolist(),
    }
    if with_curve and len(scores) and np.all(np.isfinite(scores)):
        result["roc_fpr"], result["roc_tpr"] = _thin(*roc_curve(labels, scores), ROC_POINTS)
    return result


def multiclass_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict[str, Any]:
    """Accuracy; precision, recall and F1 averaged over the classes (macro); one-vs-rest ROC-AUC
    averaged over the classes (None unless every class is present); the K x K confusion matrix.

    `labels` are class indices 0..K-1; `probabilities` (n, K) are the softmax outputs.
    """
    labels = np.asarray(labels).astype(np.int64)
    probabilities = np.asarray(probabilities, np.float64)
    k = probabilities.shape[1]
    classes = np.arange(k)
    predicted = probabilities.argmax(axis=1) if len(labels) else labels
    counts = confusion_matrix(labels, predicted, classes)
    tp = np.diag(counts).astype(np.float64)
    precision = [_safe_div(tp[c], counts[:, c].sum()) for c in classes]
    recall = [_safe_div(tp[c], counts[c, :].sum()) for c in classes]
    f1 = [_safe_div(2 * p * r, p + r) for p, r in zip(precision, recall, strict=True)]
    auc = None
    if np.all(np.isfinite(probabilities)) and all(np.any(labels == c) for c in classes):
        per_class = [roc_auc(np.where(labels == c, 1.0, -1.0), probabilities[:, c]) for c in classes]
        auc = float(np.mean([a for a in per_class if a is not None]))
    return {
        "accuracy": _safe_div(float(tp.sum()), len(labels)),
        "precision": float(np.mean(precision)),
        "recall": float(np.mean(recall)),
        "f1": float(np.mean(f1)),
        "roc_auc": auc,
        "classes": classes.tolist(),
        "confusion_matrix": counts.tolist(),
    }
