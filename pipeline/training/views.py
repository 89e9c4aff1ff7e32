"""What each model sees of a feature set, chosen in params without re-extraction (s3prl's lesson).

`train.sets` names the stores under data/features the models fuse (sets of features.sets, or stores
imported there); `train.views.<set>` says how each is seen.

`combine` for layered stores: sum / mean / concat of chosen layers, or `learned` (the stack is kept
and the model learns a softmax-weighted sum). Video `frames: sequence` keeps the per-frame
embeddings for temporal models. Standardisation is fitted on training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from pipeline.config.base import ParamError
from pipeline.config.train import TrainSection, ViewSpec, sequence_problem
from pipeline.features.reader import StoreArrays, read_store


@dataclass
class View:
    """x: (N, D) pooled, or (N, T, D) with `steps_mask` (N, T) for layer stacks or frame sequences."""

    name: str
    x: np.ndarray
    ok: np.ndarray
    steps_mask: np.ndarray | None = None
    random_init: bool = False
    model: str = ""
    modality: str = ""  # sets of one modality are dropped together by modality dropout
    frames: bool = False  # the T axis of a sequence is frames (steps_mask masks them), not stored layers

    @property
    def group(self) -> str:
        return self.modality or self.name

    @property
    def is_sequence(self) -> bool:
        return self.x.ndim == 3


def build_view(arrays: StoreArrays, spec: ViewSpec, name: str) -> View:
    if spec.sequence and arrays.modality != "video":
        raise ParamError(sequence_problem(name, arrays.modality))
    keep = (arrays.random_init, arrays.model, arrays.modality)
    if spec.sequence and arrays.frames is not None:
        return View(name, arrays.frames, arrays.ok, arrays.frame_mask, *keep, frames=True)
    stack = arrays.utt  # read_store kept only the view's layers
    if spec.combine == "learned":
        return View(name, stack, arrays.ok, np.ones(stack.shape[:2], bool), *keep)
    pooled = {"sum": stack.sum(axis=1), "mean": stack.mean(axis=1), "concat": stack.reshape(len(stack), -1)}
    return View(name, pooled[spec.combine], arrays.ok, None, *keep)


def load_views(stores: dict[str, Path], specs: dict[str, ViewSpec], names: list[str]) -> list[View]:
    return [
        build_view(
            read_store(stores[s], names, specs[s].sequence, specs[s].layers, f"train.views.{s}.layers"),
            specs[s],
            s,
        )
        for s in stores
    ]


def views_from_params(cfg: TrainSection, features: Path, names: list[str]) -> list[View]:
    """Each set of train.sets from its store under `features`, seen as train.views.<set> asks."""
    sets = cfg.sets
    missing = [s for s in sets if not (features / s).is_dir()]
    if missing:
        raise ParamError(
            f"train.sets names {', '.join(missing)} but {features} has no such store: define each in "
            "features.sets (its extract@<set> stage builds it) or import one there "
            "(mer features import-mertools)"
        )
    return load_views({s: features / s for s in sets}, {s: cfg.view(s) for s in sets}, names)


def pooled(view: View) -> np.ndarray:
    """(N, D) with NaN rows where the set is missing; sequences averaged over their valid steps."""
    x = view.x
    if view.is_sequence:
        w = view.steps_mask[..., None].astype(np.float32)
        x = (x * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1.0)
    return np.where(view.ok[:, None], x, np.nan).astype(np.float32)


def row_mask(n: int, rows: np.ndarray) -> np.ndarray:
    mask = np.zeros(n, bool)
    mask[rows] = True
    return mask


def scaling(view: View, train_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature mean and std (+1e-6) over the training rows that have the modality (0 and 1 if none)."""
    fit = train_rows & view.ok
    values = view.x[fit]
    if view.is_sequence:
        values = values[view.steps_mask[fit]]
    if not len(values):
        return np.zeros(view.x.shape[-1], np.float32), np.ones(view.x.shape[-1], np.float32)
    return values.mean(axis=0), values.std(axis=0) + 1e-6


def standardize(views: list[View], train_rows: np.ndarray) -> list[View]:
    """Zero mean, unit variance per feature, from training rows that have the modality."""
    out = []
    for view in views:
        mean, std = scaling(view, train_rows)
        out.append(replace(view, x=((view.x - mean) / std).astype(np.float32)))
    return out
