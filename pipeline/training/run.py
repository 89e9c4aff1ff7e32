"""The `train` stage's work: load views for the manifest, cross-validate, write predictions and models."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from pipeline.config.base import ParamError
from pipeline.config.train import AUTO, TrainConfig
from pipeline.corpus.manifest import Manifest
from pipeline.tables import write_table
from pipeline.tracks.metrics import paired_difference, waf
from pipeline.training.cv import Augmentation, CVResult, cross_validate, softmax
from pipeline.training.seeds import DETERMINISTIC, ensemble
from pipeline.training.selection import candidates, select
from pipeline.training.set_screen import screen
from pipeline.training.splits import folds
from pipeline.training.views import View


@dataclass
class LabeledSet:
    """Rows of the manifest with label ids (-1 unlabeled), per-row training weights, the labeled
    corrupted copies of training clips (manifest column `source`), each tied to its clean clip's row, and
    each row's `group` ("" for none; None: the manifest has no groups)."""

    names: list[str]
    splits: np.ndarray
    y: np.ndarray
    weights: np.ndarray
    copies: Augmentation
    groups: np.ndarray | None = None

    @property
    def train_rows(self) -> np.ndarray:
        return training_rows(self.splits, self.y)

    @property
    def predict_rows(self) -> np.ndarray:
        return np.setdiff1d(np.arange(len(self.names)), self.train_rows)


def training_rows(splits: np.ndarray, y: np.ndarray) -> np.ndarray:
    return np.flatnonzero((splits == "train") & (y >= 0))


def noisy_copies(names: list[str], sources: np.ndarray, y: np.ndarray, trained: np.ndarray) -> Augmentation:
    """Labeled rows whose `source` is a training clip, with that clip's row (empty when there are none)."""
    index = {names[r]: r for r in trained}
    rows = np.array([r for r, s in enumerate(sources) if s in index and y[r] >= 0], np.int64)
    return Augmentation(rows, np.array([index[sources[r]] for r in rows], np.int64))


def labeled_set(manifest: Manifest, labels: list[str], cfg: TrainConfig | None = None) -> LabeledSet:
    """With `cfg`, a train.noise_augment that has no copies to use stops here, before any store is read
    (train.model: auto tries noise augmentation only where there are copies)."""
    index = {label: i for i, label in enumerate(labels)}
    rows = manifest.rows
    names, splits = list(rows["name"]), rows["split"].to_numpy()
    y = np.array([index.get(label, -1) for label in rows["label"]], np.int64)
    copies = noisy_copies(names, rows["source"].to_numpy(), y, training_rows(splits, y))
    groups = rows["group"].to_numpy(str)
    weights = np.ones(len(rows), np.float32)
    data = LabeledSet(names, splits, y, weights, copies, groups if any(groups) else None)
    if cfg is not None and cfg.model != AUTO:
        augmentation(data, cfg)
    return data


def augmentation(data: LabeledSet, cfg: TrainConfig) -> Augmentation | None:
    """The corrupted training copies when train.noise_augment asks for them (ParamError if none)."""
    if not cfg.noise_augment:
        return None
    if not len(data.copies.rows):
        raise ParamError(
            "train.noise_augment is true but the manifest has no labeled corrupted copies of training clips "
            "(rows whose `source` is a train clip): set corrupt.augment_split: train, or "
            "train.noise_augment: false"
        )
    return data.copies


def encoder_notes(views: list[View]) -> dict[str, str]:
    return {v.name: f"{v.model}{' (random-init stand-in)' if v.random_init else ''}" for v in views}


def prediction_table(data: LabeledSet, labels: list[str], result: CVResult) -> pd.DataFrame:
    """One row per clip: fold-averaged probabilities (out-of-fold for training clips), the argmax, and
    for the other clips the share of folds that agree with it."""
    probs = np.zeros((len(data.names), len(labels)), np.float32)
    probs[data.train_rows] = softmax(result.oof_logits)
    probs[data.predict_rows] = softmax(result.predict_logits)
    table = pd.DataFrame(probs, columns=[f"prob_{label}" for label in labels])
    table.insert(0, "name", data.names)
    table.insert(1, "split", data.splits)
    table.insert(2, "label", [labels[i] if i >= 0 else "" for i in data.y])
    table["pred"] = [labels[i] for i in probs.argmax(axis=1)]
    agreement = np.full(len(data.names), np.nan, np.float32)
    agreement[data.predict_rows] = result.agreement
    table["agreement"] = agreement
    return table


def train(
    data: LabeledSet,
    views: list[View],
    labels: list[str],
    cfg: TrainConfig,
    extra_rows: np.ndarray | None = None,
) -> CVResult:
    """Cross-validate on the labeled clips; `extra_rows` (pseudo-labeled) join every fold's training, and
    with train.noise_augment each corrupted copy joins the folds that train on its source clip. With
    train.model: auto, every candidate is cross-validated and the best one's result returned; with
    train.screen_sets, on the sets that survive set_screen.screen; with train.seeds > 1, the (chosen)
    model's seeds' ensemble."""
    screening = None
    if cfg.screen_sets and len(views) > 1:
        views, screening = screen(lambda subset: _linear_cv_waf(data, subset, labels, cfg, extra_rows), views)
    fit = _select if cfg.model == AUTO else _cross_validate
    result = fit(data, views, labels, cfg, extra_rows)
    if cfg.seeds > 1 and result.config.model not in DETERMINISTIC:
        others = [
            _cross_validate(data, views, labels, result.config, extra_rows, m) for m in range(1, cfg.seeds)
        ]
        result = ensemble([result, *others], data.y[data.train_rows])
    result.screening = screening
    return result


def _linear_cv_waf(
    data: LabeledSet, views: list[View], labels: list[str], cfg: TrainConfig, extra_rows: np.ndarray | None
) -> float:
    linear = cfg.model_copy(update={"model": "linear", "noise_augment": False})
    result = _cross_validate(data, views, labels, linear, extra_rows)
    return waf(data.y[data.train_rows], result.oof_logits.argmax(axis=1))


def _select(
    data: LabeledSet, views: list[View], labels: list[str], cfg: TrainConfig, extra_rows: np.ndarray | None
) -> CVResult:
    rows = data.train_rows
    splits = folds(data.y[rows], cfg.folds, cfg.seed, None if data.groups is None else data.groups[rows])
    pool = candidates(cfg, len(data.copies.rows) > 0)
    fold_rows = [b for _, b in splits]
    _, result, summary = select(
        lambda c: _cross_validate(data, views, labels, c, extra_rows), data.y[rows], fold_rows, pool
    )
    result.selection = summary
    return result


def _cross_validate(
    data: LabeledSet,
    views: list[View],
    labels: list[str],
    cfg: TrainConfig,
    extra_rows: np.ndarray | None,
    member: int = 0,
) -> CVResult:
    return cross_validate(
        views,
        data.y,
        data.weights,
        data.train_rows,
        data.predict_rows,
        len(labels),
        cfg,
        extra_rows,
        augmentation(data, cfg),
        data.groups,
        member,
    )


def write_outputs(
    out: Path, data: LabeledSet, views: list[View], labels: list[str], cfg: TrainConfig, result: CVResult
) -> pd.DataFrame:
    out.mkdir(parents=True, exist_ok=True)
    table = prediction_table(data, labels, result)
    write_table(table, out / "predictions.csv")
    for k, state in enumerate(result.states):
        if state:
            torch.save(state, out / f"fold_{k}.pt")
    train_rows = data.train_rows
    summary = {
        "model": f"{cfg.model} ({result.selection['chosen']})" if result.selection else cfg.model,
        "config": result.config.hyperparameters(),
        "oof_waf": waf(data.y[train_rows], result.oof_logits.argmax(axis=1)),
        "fold_scores": result.fold_waf,
        "best_epochs": result.best_epochs,
        "n_train": int(len(train_rows)),
        "encoders": encoder_notes(views),
    }
    if result.selection:
        summary["selection"] = result.selection
    if result.screening:
        summary["sets"] = result.screening
    if result.seeds:
        summary["seeds"] = result.seeds
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return table


def trained_config(cfg: TrainConfig, summary: Path) -> TrainConfig:
    """The model and sets as the `train` stage resolved them (its summary.json: train.model auto's
    choice, the sets train.screen_sets kept), so the student and the ablation train the teacher's model
    without choosing again; a run that chose nothing keeps `cfg`."""
    if cfg.model != AUTO and not cfg.screen_sets:
        return cfg
    trained = json.loads(summary.read_text())
    update = trained["config"] if cfg.model == AUTO else {}
    sets = {"sets": trained["sets"]["kept"]} if "sets" in trained else {}
    return cfg.model_copy(update={**update, **sets, "screen_sets": False})


@dataclass(frozen=True)
class Scored:
    """One subset's predictions and WAF on each scored split: comparisons pair two on the same clips."""

    table: pd.DataFrame
    waf: dict[str, float | None]


def score_subset(
    data: LabeledSet, views: list[View], labels: list[str], cfg: TrainConfig, splits: dict[str, str]
) -> Scored:
    """The models trained on these views alone: their predictions and WAF on each scored split."""
    table = prediction_table(data, labels, train(data, views, labels, cfg))
    return Scored(table, {track: split_waf(table, split) for track, split in splits.items()})


def paired(a: Scored, b: Scored, splits: dict[str, str]) -> dict[str, dict | None]:
    """WAF of `a` minus WAF of `b` on each scored split's labeled clips, with the 95% bootstrap interval
    of that difference (the same resampled clips for both); None where the split has no labels."""
    out: dict[str, dict | None] = {}
    for track, split in splits.items():
        rows = (a.table["split"] == split) & (a.table["label"] != "")
        if not rows.any():
            out[track] = None
            continue
        columns = (a.table.loc[rows, "label"], a.table.loc[rows, "pred"], b.table.loc[rows, "pred"])
        codes = {label: i for i, label in enumerate(sorted(set().union(*columns)))}
        out[track] = paired_difference(*(column.map(codes).to_numpy() for column in columns))
    return out


def split_waf(table: pd.DataFrame, split: str) -> float | None:
    """WAF over the split's labeled clips; None when it has none (hidden test labels, no NOISE split)."""
    rows = table[(table["split"] == split) & (table["label"] != "")]
    return waf(rows["label"].to_numpy(), rows["pred"].to_numpy()) if len(rows) else None
