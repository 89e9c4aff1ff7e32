"""Choosing pseudo-labels for unlabeled clips: from the teacher, from an external annotator, or both.

The teacher is the fold ensemble: a clip is a candidate when its fold-averaged probability reaches
`threshold` and enough folds agree on the label; a class whose out-of-fold predictions on the labeled
clips are too often wrong at that threshold gets none (`min_class_precision`); per-class caps or a
class-balanced quota keep the majority class from flooding training; `max_count` bounds the total.
External annotations come as `name,label` or as raw answers of a multimodal LLM (Emotion-LLaMA style),
whose label is the last word of the answer when it is one of the labels (else `fallback`, or the clip
is skipped).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.config.selftrain import SelectConfig

COLUMNS = ["name", "label", "confidence", "source"]


def label_from_answer(answer: str, labels: list[str], fallback: str = "") -> str:
    """The last word of the answer when it is a label (case and punctuation ignored), else `fallback`."""
    words = re.findall(r"[a-z]+", answer.lower())
    return words[-1] if words and words[-1] in labels else fallback


def read_annotations(path: Path, labels: list[str], fallback: str = "") -> dict[str, str]:
    """name -> label from `name,label` or `name,answer`; clips without a usable label are left out."""
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    if "name" not in table.columns or not ({"label", "answer"} & set(table.columns)):
        raise ValueError(f"{path}: expected columns name,label or name,answer")
    if "label" in table.columns:
        bad = sorted(set(table["label"]) - set(labels) - {""})
        if bad:
            raise ValueError(f"{path}: labels {bad} are not among {labels}")
        pairs = zip(table["name"], table["label"], strict=True)
    else:
        pairs = (
            (n, label_from_answer(a, labels, fallback))
            for n, a in zip(table["name"], table["answer"], strict=True)
        )
    return {name: label for name, label in pairs if label}


def annotations_for(cfg: SelectConfig, labels: list[str]) -> dict[str, str] | None:
    """The configured annotator's labels, or None when there is no annotator."""
    return read_annotations(Path(cfg.annotations), labels, cfg.fallback) if cfg.annotations else None


def _limit_per_class(chosen: np.ndarray, pred: np.ndarray, conf: np.ndarray, cfg: SelectConfig) -> np.ndarray:
    """Keep the most confident clips of each class up to the cap / the balanced quota."""
    classes, counts = np.unique(pred[chosen], return_counts=True)
    limits = [cfg.per_class_cap or counts.max()] if len(counts) else [0]
    if cfg.balanced and len(counts):
        limits.append(counts.min())
    limit = min(limits)
    kept = [
        chosen[pred[chosen] == c][np.argsort(-conf[chosen[pred[chosen] == c]], kind="stable")[:limit]]
        for c in classes
    ]
    return np.sort(np.concatenate(kept)) if kept else chosen


def class_precision_estimates(
    predictions: pd.DataFrame, labels: list[str], threshold: float
) -> dict[str, float]:
    """Per class, how often the teacher is right when it says that class at `threshold` or above, judged on
    the labeled training clips (whose probabilities are out-of-fold): (right + 1) / (said + 2), so a class
    said only a few times is not trusted on those few alone."""
    known = predictions[(predictions["split"] == "train") & (predictions["label"] != "")]
    probs = known[[f"prob_{label}" for label in labels]].to_numpy(np.float32)
    said = np.where(probs.max(axis=1) >= threshold, probs.argmax(axis=1), -1)
    truth = np.array([labels.index(label) for label in known["label"]], np.int64)
    return {
        label: float(((said == c) & (truth == c)).sum() + 1) / float((said == c).sum() + 2)
        for c, label in enumerate(labels)
    }


def untrusted_classes(predictions: pd.DataFrame, labels: list[str], cfg: SelectConfig) -> dict[str, float]:
    """The classes selftrain.min_class_precision leaves out, with their estimates (none when it is 0)."""
    if not cfg.min_class_precision:
        return {}
    estimates = class_precision_estimates(predictions, labels, cfg.threshold)
    return {label: v for label, v in estimates.items() if v < cfg.min_class_precision}


def untrusted_note(predictions: pd.DataFrame, labels: list[str], cfg: SelectConfig) -> str:
    left_out = untrusted_classes(predictions, labels, cfg)
    if not left_out:
        return ""
    return (
        f"selftrain.min_class_precision = {cfg.min_class_precision} leaves out "
        f"{', '.join(f'{label} {v:.3f}' for label, v in left_out.items())} "
        f"(estimated precision on the labeled clips at threshold {cfg.threshold})"
    )


def select(
    predictions: pd.DataFrame, labels: list[str], cfg: SelectConfig, annotations: dict[str, str] | None = None
) -> pd.DataFrame:
    """Rows (name, label, confidence, source) chosen from the pool split of a predictions table."""
    pool = predictions[predictions["split"] == cfg.pool_split].reset_index(drop=True)
    if cfg.annotator_mode == "alone":
        names = [n for n in pool["name"] if n in (annotations or {})]
        return pd.DataFrame(
            {
                "name": names,
                "label": [annotations[n] for n in names],
                "confidence": 1.0,
                "source": "annotator",
            },
            columns=COLUMNS,
        )
    probs = pool[[f"prob_{label}" for label in labels]].to_numpy(np.float32)
    conf, pred = probs.max(axis=1), probs.argmax(axis=1)
    agreement = (
        pd.to_numeric(pool["agreement"], errors="coerce").fillna(1.0).to_numpy()
        if "agreement" in pool
        else np.ones(len(pool))
    )
    ok = (conf >= cfg.threshold) & (agreement >= cfg.min_agreement)
    ok &= ~np.isin(pred, [labels.index(label) for label in untrusted_classes(predictions, labels, cfg)])
    source = "teacher"
    if cfg.annotator_mode == "agree":
        voted = np.array([(annotations or {}).get(n, "") for n in pool["name"]])
        ok &= voted == np.array(labels)[pred]
        source = "teacher+annotator"
    chosen = _limit_per_class(np.flatnonzero(ok), pred, conf, cfg)
    if cfg.max_count and len(chosen) > cfg.max_count:
        chosen = np.sort(chosen[np.argsort(-conf[chosen], kind="stable")[: cfg.max_count]])
    return pd.DataFrame(
        {
            "name": pool["name"].to_numpy()[chosen],
            "label": np.array(labels)[pred[chosen]],
            "confidence": conf[chosen],
            "source": source,
        },
        columns=COLUMNS,
    )


def empty_note(teacher: pd.DataFrame, labels: list[str], cfg: SelectConfig) -> str:
    pool = teacher[teacher["split"] == cfg.pool_split]
    if pool.empty:
        return (
            f"the corpus has no clips in split {cfg.pool_split!r} (selftrain.pool_split): nothing to "
            "pseudo-label; the student is the supervised model"
        )
    best = pool[[f"prob_{label}" for label in labels]].to_numpy().max(axis=1).max()
    return (
        f"no clip of split {cfg.pool_split!r} passed selftrain.threshold = {cfg.threshold} "
        f"(the teacher's highest confidence there is {best:.3f}); the student is the supervised model"
    )


def precision(selected: pd.DataFrame, truth: dict[str, str]) -> float | None:
    """Share of selected labels that match the known true labels (None when none are known)."""
    known = [
        label == truth[name]
        for name, label in zip(selected["name"], selected["label"], strict=True)
        if name in truth
    ]
    return float(np.mean(known)) if known else None


def precision_per_class(
    selected: pd.DataFrame, truth: dict[str, str], labels: list[str]
) -> dict[str, float | None]:
    """Precision of each pseudo-label class on its own: one unreliable class (on the demo corpus, `neutral`
    given to clips whose transcript has no emotion words) can hide behind a good overall figure."""
    return {label: precision(selected[selected["label"] == label], truth) for label in labels}


def read_truth(path: str) -> dict[str, str]:
    """The pool's known labels (selftrain.truth), {} when unknown; a named file that is missing stops."""
    if not path:
        return {}
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"selftrain.truth names {path}, which does not exist: give the CSV (name,label) of the pool's "
            'true labels, or "" when they are unknown (the precision of the pseudo-labels is then unknown)'
        )
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    return dict(zip(table["name"], table["label"], strict=True))
