"""SEMI / NOISE track metrics: weighted average F-score (the challenge's WAF), accuracy, per class."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score


def waf(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    return float(f1_score(y_true, y_pred, average="weighted", zero_division=0))


def shown(value: float | None) -> str:
    """A score for people: n/a where there was nothing labeled to score."""
    return "n/a" if value is None else f"{value:.4f}"


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
        "n": int(len(y_true)),
        "per_class_f1": {label: float(v) for label, v in zip(labels, per_class, strict=True)},
    }


def confusion_rows(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> list[dict[str, str]]:
    """Rows (actual, predicted) for DVC's confusion-matrix plot template."""
    return [{"actual": labels[t], "predicted": labels[p]} for t, p in zip(y_true, y_pred, strict=True)]


def confusion(y_true: np.ndarray, y_pred: np.ndarray, classes: int) -> np.ndarray:
    return confusion_matrix(y_true, y_pred, labels=list(range(classes)))
