"""Read a feature store's shards back as arrays aligned to a list of names."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np

from pipeline.config.layers import select_layers
from pipeline.features.store import checked_names, damaged_error, shard_paths


@dataclass
class StoreArrays:
    """Rows follow the requested names; names missing from the store get ok = false."""

    names: list[str]
    utt: np.ndarray  # (N, L, D) float32, only the requested stored layers
    ok: np.ndarray  # (N,)
    layers: list[int]  # the model's layer index of each of the L layers read
    model: str
    random_init: bool
    frames: np.ndarray | None = None  # (N, K, D)
    frame_mask: np.ndarray | None = None  # (N, K)
    modality: str = ""


@contextmanager
def _checked(path: Path) -> Iterator[None]:
    """A checksum mismatch (or an unreadable shard) as an error naming the shard and the fix."""
    try:
        yield
    except OSError as exc:
        raise damaged_error(path, f"{type(exc).__name__}: {exc}") from None


def _layer_index(chosen: list[int]) -> slice | list[int]:
    """A run of adjacent layers (all of them, the last four) reads as one hyperslab; others by list."""
    first, last = chosen[0], chosen[-1]
    return slice(first, last + 1) if chosen == list(range(first, last + 1)) else chosen


def read_store(
    store: Path,
    names: list[str],
    with_frames: bool = False,
    layers: str | list[int] = "all",
    key: str = "layers",
) -> StoreArrays:
    """`layers` indexes the stored layers (`key` names the param in errors). Only those are selected from
    each shard (an HDF5 hyperslab), so a view of 4 of 25 stored layers holds 4, not 25, in memory; the
    shards store each layer in its own chunks, so only those bytes are read (bench/scale.py `read MB`)."""
    paths = shard_paths(store)
    if not paths:
        raise FileNotFoundError(f"{store}: no shard-*.h5 files; run `dvc repro` (the extract stages) first")
    position = {name: i for i, name in enumerate(names)}
    utt = frames = frame_mask = None
    ok = np.zeros(len(names), bool)
    for path in paths:
        with _checked(path), h5py.File(path, "r") as f:
            attrs = dict(f.attrs)
            shard_names = checked_names(f, path)
            rows = np.array([position.get(n, -1) for n in shard_names], np.int64)
            keep = rows >= 0
            if utt is None:
                chosen = select_layers(layers, f["utt"].shape[1], key)
                utt = np.zeros((len(names), len(chosen), f["utt"].shape[2]), np.float32)
                if with_frames and "frames" in f:
                    frames = np.zeros((len(names), *f["frames"].shape[1:]), np.float32)
                    frame_mask = np.zeros((len(names), f["frames"].shape[1]), bool)
            utt[rows[keep]] = f["utt"][:, _layer_index(chosen)][keep]
            ok[rows[keep]] = f["ok"][:][keep]
            if frames is not None:
                frames[rows[keep]] = f["frames"][:][keep]
                frame_mask[rows[keep]] = f["frame_mask"][:][keep]
    return StoreArrays(
        names,
        utt,
        ok,
        [int(attrs["layers"][i]) for i in chosen],
        str(attrs["model"]),
        bool(attrs.get("random_init", False)),
        frames,
        frame_mask,
        str(attrs.get("modality", "")),
    )
