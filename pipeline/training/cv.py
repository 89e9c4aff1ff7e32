"""Stratified (group) K-fold training: out-of-fold predictions for labeled rows, fold-averaged logits
elsewhere."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import numpy as np
import torch

from pipeline.config.train import TrainConfig
from pipeline.parallel import process_map
from pipeline.training.boosting import fit_lightgbm, fit_stacker
from pipeline.training.fit import FoldJob, FoldOutput, build_model, fit_folds
from pipeline.training.linear import fit_linear
from pipeline.training.splits import folds, holdout_mask
from pipeline.training.stacking import stackable
from pipeline.training.views import View, row_mask, standardize

log = logging.getLogger(__name__)
FITTERS = {"lightgbm": fit_lightgbm, "lightgbm_stack": fit_stacker, "linear": fit_linear}
NO_EARLY_STOPPING = {"linear"}


@dataclass
class CVResult:
    oof_logits: np.ndarray  # (len(train_rows), C), each row predicted by the fold that did not train on it
    predict_logits: np.ndarray  # (len(predict_rows), C), mean of the folds' logits
    agreement: np.ndarray | None = None  # (len(predict_rows),) share of folds whose argmax is the final one
    votes: np.ndarray | None = None  # (fold models, len(predict_rows)) each fold model's argmax
    fold_waf: list[float] = field(default_factory=list)
    best_epochs: list[int] = field(default_factory=list)
    states: list[dict] = field(default_factory=list)
    config: TrainConfig | None = None  # what trained it (train.model: auto's choice)
    selection: dict | None = None  # train.model: auto's candidates and choice
    screening: dict | None = None  # train.screen_sets: the sets kept and dropped
    seeds: dict | None = None  # train.seeds > 1: each seed's out-of-fold WAF and the ensemble's


@dataclass(frozen=True)
class Augmentation:
    """Extra training rows tied to a source row: a copy trains only in folds that train on its source,
    so a clip's noisy copy never helps predict that clip's own validation fold."""

    rows: np.ndarray
    source_rows: np.ndarray

    def for_training(self, fold_train_rows: np.ndarray) -> np.ndarray:
        return self.rows[np.isin(self.source_rows, fold_train_rows)]


def stopping_split(
    rows: np.ndarray, y: np.ndarray, groups: np.ndarray | None, cfg: TrainConfig, seed: int
) -> tuple[np.ndarray, np.ndarray | None]:
    """A fold's training clips as (fit, watched): train.stop_share of each label's groups (clips without
    a group: each its own) is held out for early stopping, so the fold's validation clips score a model
    that did not pick its epoch on them. None: stop on the validation clips (stop_share 0, a model that
    does not stop early, or too few clips to hold any out)."""
    if not cfg.stop_share or cfg.model in NO_EARLY_STOPPING:
        return rows, None
    named = groups[rows] if groups is not None else [""] * len(rows)
    keys = [g or f"\0{r}" for r, g in zip(rows, named, strict=True)]
    held = holdout_mask(keys, y[rows], cfg.stop_share, seed)
    return (rows[~held], rows[held]) if held.any() else (rows, None)


def run_group(jobs: list[FoldJob]) -> list[FoldOutput]:
    """Folds trained together, in a worker process when groups train in parallel."""
    if jobs[0].threads:
        torch.set_num_threads(jobs[0].threads)
    fitter = FITTERS.get(jobs[0].cfg.model)
    if fitter is None:
        return fit_folds(jobs[0].views, jobs)
    return [fitter(standardize(job.views, row_mask(len(job.y), job.train)), job) for job in jobs]


def fold_groups(sizes: list[int], workers: int) -> list[list[int]]:
    """Fold indices dealt round-robin to `workers`, each worker's share split by training-set size
    (a stack trains folds of one size)."""
    groups = []
    for worker in range(workers):
        dealt = range(worker, len(sizes), workers)
        for size in dict.fromkeys(sizes[k] for k in dealt):
            groups.append([k for k in dealt if sizes[k] == size])
    return groups


def cross_validate(
    views: list[View],
    y: np.ndarray,
    weights: np.ndarray,
    train_rows: np.ndarray,
    predict_rows: np.ndarray,
    classes: int,
    cfg: TrainConfig,
    extra_rows: np.ndarray | None = None,
    augment: Augmentation | None = None,
    groups: np.ndarray | None = None,
    member: int = 0,
) -> CVResult:
    """`y`, `weights` and `groups` cover all rows (y = -1 where unlabeled); rows are index arrays.
    `member` > 0 trains the same folds from other seeds (train.seeds' ensemble members).

    `extra_rows` (pseudo-labeled clips) join every fold's training set and never its validation set,
    so validation scores stay on human labels. `augment` rows (corrupted copies) join the folds that
    train on their source clip.

    Models with a stacked form (attention, mlp) train the folds of one training-set size side by side
    as one model (pipeline.training.stacking). With train.fold_workers > 1 the folds are dealt to
    parallel processes, each with its share of the CPU threads; every fold has its own seed and random
    draws, so what it learns does not depend on the order they finish in or on which folds share a stack.
    """
    splits = folds(y[train_rows], cfg.folds, cfg.seed, None if groups is None else groups[train_rows])
    extra = np.zeros(0, np.int64) if extra_rows is None else extra_rows
    augment = augment or Augmentation(np.zeros(0, np.int64), np.zeros(0, np.int64))
    workers = min(cfg.fold_workers, len(splits))
    threads = max(1, (os.cpu_count() or 1) // workers) if workers > 1 else 0
    jobs = []
    for k, (a, b) in enumerate(splits):
        fit, watched = stopping_split(train_rows[a], y, groups, cfg, cfg.seed * 1000 + k)
        jobs.append(
            FoldJob(
                views,
                y,
                weights,
                np.concatenate([fit, augment.for_training(fit), extra]),
                train_rows[b],
                predict_rows,
                classes,
                cfg,
                cfg.seed * 1000 + member * 100 + k,
                threads,
                watched,
            )
        )
    together = cfg.model not in FITTERS and stackable(build_model(views, classes, cfg))
    groups = (
        fold_groups([len(job.train) for job in jobs], workers)
        if together
        else [[k] for k in range(len(jobs))]
    )
    unit = "fold stack" if together else "fold"
    trained = process_map(run_group, [[jobs[k] for k in g] for g in groups], workers, f"{unit}s", 1, unit)
    outputs: list[FoldOutput] = [None] * len(jobs)
    for group, outs in zip(groups, trained, strict=True):
        for k, out in zip(group, outs, strict=True):
            outputs[k] = out
    result = CVResult(
        np.zeros((len(train_rows), classes), np.float32), np.zeros((len(predict_rows), classes), np.float32)
    )
    for k, ((_, b), out) in enumerate(zip(splits, outputs, strict=True)):
        result.oof_logits[b] = out.val_logits
        result.predict_logits += out.predict_logits / cfg.folds
        result.fold_waf.append(out.best_waf)
        result.best_epochs.append(out.best_epoch)
        result.states.append(out.state)
        log.info(
            "fold %d/%d: validation score %.4f (best epoch %d)",
            k + 1,
            cfg.folds,
            out.best_waf,
            out.best_epoch,
        )
    result.config = cfg
    result.votes = np.stack([out.predict_logits.argmax(axis=1) for out in outputs])
    result.agreement = agreement(result.votes, result.predict_logits)
    return result


def agreement(votes: np.ndarray, predict_logits: np.ndarray) -> np.ndarray:
    """Per predicted clip, the share of fold models whose argmax is the ensemble's."""
    return (votes == predict_logits.argmax(axis=1)).mean(axis=0)


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return z / z.sum(axis=1, keepdims=True)
