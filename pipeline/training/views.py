"""What each model sees of a modality, chosen in params without re-extraction (s3prl's lesson).

`combine` for layered stores: sum / mean / concat of chosen layers, or `learned` (the stack is kept
and the model learns a softmax-weighted sum). Video `frames: sequence` keeps the per-frame
embeddings for temporal models. Standardisation is fitted on training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.features.reader import StoreArrays, read_store
from pipeline.params import invalid, pick, pick_choice

COMBINES = ("sum", "mean", "concat", "learned")


@dataclass(frozen=True)
class ViewSpec:
    layers: str | list[int] = "all"  # indices into the stored layers (not the model's)
    combine: str = "mean"
    sequence: bool = False  # video: keep frames (N, K, D) instead of the utterance vector


@dataclass
class View:
    """x: (N, D) pooled, or (N, T, D) with `steps_mask` (N, T) for layer stacks or frame sequences."""

    name: str
    x: np.ndarray
    ok: np.ndarray
    steps_mask: np.ndarray | None = None
    random_init: bool = False
    model: str = ""

    @property
    def is_sequence(self) -> bool:
        return self.x.ndim == 3


def view_spec(params: dict, modality: str) -> ViewSpec:
    base = f"train.views.{modality}"
    layers = pick(params, f"{base}.layers", (str, list), default="all")
    combine = pick_choice(params, f"{base}.combine", COMBINES, default="mean")
    sequence = pick(params, f"{base}.sequence", bool, default=False)
    if sequence and modality != "video":
        sequence = invalid(f"{base}.sequence is for video stores only", False)
    return ViewSpec(layers, combine, sequence)


def build_view(arrays: StoreArrays, spec: ViewSpec, modality: str) -> View:
    if spec.sequence and arrays.frames is not None:
        return View(modality, arrays.frames, arrays.ok, arrays.frame_mask, arrays.random_init, arrays.model)
    stack = arrays.utt  # read_store kept only the view's layers
    if spec.combine == "learned":
        return View(
            modality, stack, arrays.ok, np.ones(stack.shape[:2], bool), arrays.random_init, arrays.model
        )
    pooled = {"sum": stack.sum(axis=1), "mean": stack.mean(axis=1), "concat": stack.reshape(len(stack), -1)}
    return View(modality, pooled[spec.combine], arrays.ok, None, arrays.random_init, arrays.model)


def load_views(stores: dict[str, Path], specs: dict[str, ViewSpec], names: list[str]) -> list[View]:
    return [
        build_view(
            read_store(stores[m], names, specs[m].sequence, specs[m].layers, f"train.views.{m}.layers"),
            specs[m],
            m,
        )
        for m in stores
    ]


def views_from_params(params: dict, features: Path, modalities: list[str], names: list[str]) -> list[View]:
    """Each modality's store under `features`, seen as train.views.<modality> asks."""
    return load_views(
        {m: features / m for m in modalities}, {m: view_spec(params, m) for m in modalities}, names
    )


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
        out.append(
            View(
                view.name,
                ((view.x - mean) / std).astype(np.float32),
                view.ok,
                view.steps_mask,
                view.random_init,
                view.model,
            )
        )
    return out
