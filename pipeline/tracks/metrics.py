"""SEMI / NOISE track metrics: weighted average F-score (the challenge's WAF), accuracy, per class."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score

RESAMPLES = 1000  # bootstrap resamples behind every interval
LEVEL = 0.95


def waf(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(f1_score(y_true, y_pred, average="weighted", zero_division=0))


def resampled_rows(n: int, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """(resamples, n) clip indices drawn with replacement; seeded, so the same predictions always give the
    same interval, and two systems scored on the same draws give a paired difference."""
    return np.random.default_rng(seed).integers(0, n, (resamples, n))


def resampled_scores(y_true: np.ndarray, y_pred: np.ndarray, rows: np.ndarray) -> dict[str, np.ndarray]:
    """WAF and accuracy of each resample at once (sklearn's weighted F1 with zero_division=0, from the
    resamples' confusion matrices)."""
    classes = int(max(y_true.max(), y_pred.max())) + 1
    draws = np.arange(len(rows))[:, None]
    cells = (draws * classes + y_true[rows]) * classes + y_pred[rows]
    confusion = np.bincount(cells.ravel(), minlength=len(rows) * classes * classes)
    confusion = confusion.reshape(len(rows), classes, classes).astype(np.float64)
    hits = np.diagonal(confusion, axis1=1, axis2=2)
    support, predicted = confusion.sum(axis=2), confusion.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        precision = np.where(predicted > 0, hits / predicted, 0.0)
        recall = np.where(support > 0, hits / support, 0.0)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    total = rows.shape[1]
    return {"waf": (f1 * support).sum(axis=1) / total, "acc": hits.sum(axis=1) / total}


def interval(values: np.ndarray) -> list[float]:
    """The central LEVEL share of `values` (percentile bootstrap), rounded for reading."""
    tail = (1 - LEVEL) / 2
    return [round(float(np.quantile(values, tail)), 4), round(float(np.quantile(values, 1 - tail)), 4)]


def score_intervals(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, list[float]]:
    """95% bootstrap intervals of WAF and accuracy, resampling clips."""
    scores = resampled_scores(y_true, y_pred, resampled_rows(len(y_true)))
    return {f"{key}_ci": interval(values) for key, values in scores.items()}


def paired_difference(y_true: np.ndarray, pred_a: np.ndarray, pred_b: np.ndarray) -> dict[str, object]:
    """WAF of `a` minus WAF of `b` on the same clips, with the 95% interval of that difference over the same
    resamples for both (paired: what the clips share cancels out)."""
    rows = resampled_rows(len(y_true))
    gaps = resampled_scores(y_true, pred_a, rows)["waf"] - resampled_scores(y_true, pred_b, rows)["waf"]
    low, high = interval(gaps)
    return {"waf_diff": round(waf(y_true, pred_a) - waf(y_true, pred_b), 4), "ci": [low, high]}


def shown(value: float | None) -> str:
    """A score for people: n/a where there was nothing labeled to score."""
    return "n/a" if value is None else f"{value:.4f}"


def shown_interval(value: float | None, bounds: list[float] | None) -> str:
    """A score with its 95% interval, e.g. 0.6365 [0.6061, 0.6662]."""
    return shown(value) + (f" [{bounds[0]:.4f}, {bounds[1]:.4f}]" if bounds and value is not None else "")


def signed(value: float | None) -> str:
    """A gain for people: +0.0123, or n/a."""
    return "n/a" if value is None else f"{value:+.4f}"


def track_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict[str, object]:
    ids = list(range(len(labels)))
    per_class = f1_score(y_true, y_pred, labels=ids, average=None, zero_division=0)
    return {
        "waf": waf(y_true, y_pred),
        "acc": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, labels=ids, average="macro", zero_division=0)),
        **score_intervals(y_true, y_pred),
        "n": int(len(y_true)),
        "per_class_f1": {label: float(v) for label, v in zip(labels, per_class, strict=True)},
    }


def confusion_rows(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> list[dict[str, str]]:
    """Rows (actual, predicted) for DVC's confusion-matrix plot template."""
    return [{"actual": labels[t], "predicted": labels[p]} for t, p in zip(y_true, y_pred, strict=True)]


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    return confusion_matrix(y_true, y_pred, labels=list(range(classes)))
