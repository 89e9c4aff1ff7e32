"""`train.model: auto`: the model and its key settings chosen by cross-validation on the training split.

Every candidate of CANDIDATES (those of `train.auto_models`; the `noise` twins only when the manifest has
corrupted copies) is cross-validated on the same grouped folds; the one with the best out-of-fold WAF is
the model, and its folds' predictions are the stage's. Picking the best of many on the same folds
flatters it, so the summary also gives a selection-aware estimate: each fold is scored with the candidate
that wins on the other folds' out-of-fold predictions (none of that fold's validation labels take part
in its choice).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from pipeline.config.train import TrainConfig
from pipeline.tracks.metrics import waf
from pipeline.training.cv import CVResult

log = logging.getLogger(__name__)

# name -> train.* settings; the rest come from params.yaml's train section. Small on purpose: each
# candidate costs a full cross-validation (bench/real_corpora.py has their times).
CANDIDATES: dict[str, dict[str, object]] = {
    "linear_c0.01": {"model": "linear", "linear_c": 0.01},
    "linear_c0.1": {"model": "linear", "linear_c": 0.1},
    "linear_c1": {"model": "linear", "linear_c": 1.0},
    "lightgbm": {"model": "lightgbm"},
    "mlp": {"model": "mlp"},
    "mlp_wide": {"model": "mlp", "hidden_dim": 512, "dropout": 0.5},
    "attention": {"model": "attention"},
    "conv_attention": {"model": "conv_attention"},
}
NOISE_TWINS = ("linear_c0.1", "conv_attention")  # also tried with train.noise_augment when copies exist


@dataclass(frozen=True)
class Candidate:
    name: str
    cfg: TrainConfig


def candidates(cfg: TrainConfig, copies: bool) -> list[Candidate]:
    """The candidates `cfg.auto_models` allows, noise augmentation off, plus the noise twins when the
    manifest has corrupted training copies."""
    chosen = [
        Candidate(name, cfg.model_copy(update={**settings, "noise_augment": False}))
        for name, settings in CANDIDATES.items()
        if settings["model"] in cfg.auto_models
    ]
    twins = [
        Candidate(f"{c.name}+noise", c.cfg.model_copy(update={"noise_augment": True}))
        for c in chosen
        if copies and c.name in NOISE_TWINS
    ]
    return chosen + twins


def fold_wafs(y: np.ndarray, oof: np.ndarray, fold_rows: list[np.ndarray]) -> list[float]:
    return [waf(y[rows], oof[rows]) for rows in fold_rows]


def selection_aware(y: np.ndarray, oofs: dict[str, np.ndarray], fold_rows: list[np.ndarray]) -> dict:
    """Each fold predicted by the candidate that is best on the other folds' rows: the CV WAF of the
    selection procedure rather than of its winner."""
    predicted = np.zeros(len(y), np.int64)
    picks = []
    for k, rows in enumerate(fold_rows):
        others = np.concatenate([r for j, r in enumerate(fold_rows) if j != k])
        best = max(oofs, key=lambda name: waf(y[others], oofs[name][others]))
        predicted[rows] = oofs[best][rows]
        picks.append(best)
    return {"waf": round(waf(y, predicted), 4), "picks": picks}


def select(
    train: Callable[[TrainConfig], CVResult],
    y: np.ndarray,
    fold_rows: list[np.ndarray],
    pool: list[Candidate],
) -> tuple[Candidate, CVResult, dict]:
    """Cross-validate every candidate with `train`; the best out-of-fold WAF wins (ties: the earlier,
    simpler one). `y` and `fold_rows` index the out-of-fold rows."""
    results, table, oofs = {}, [], {}
    for candidate in pool:
        started = time.perf_counter()
        results[candidate.name] = train(candidate.cfg)
        oofs[candidate.name] = results[candidate.name].oof_logits.argmax(axis=1)
        folds = fold_wafs(y, oofs[candidate.name], fold_rows)
        table.append(
            {
                "name": candidate.name,
                "settings": {k: v for k, v in candidate.cfg.hyperparameters().items() if k in _SHOWN},
                "cv_waf": round(waf(y, oofs[candidate.name]), 4),
                "fold_mean": round(float(np.mean(folds)), 4),
                "fold_std": round(float(np.std(folds)), 4),
                "seconds": round(time.perf_counter() - started, 1),
            }
        )
        log.info("auto: %s CV WAF %.4f (%.0f s)", candidate.name, table[-1]["cv_waf"], table[-1]["seconds"])
    best = max(range(len(pool)), key=lambda i: (table[i]["cv_waf"], -i))
    summary = {
        "chosen": pool[best].name,
        "candidates": table,
        "selection_aware_cv_waf": selection_aware(y, oofs, fold_rows),
    }
    return pool[best], results[pool[best].name], summary


_SHOWN = {"model", "linear_c", "hidden_dim", "dropout", "lr", "noise_augment", "modality_dropout"}
