"""HDF5 feature stores (DESIGN.md "Feature store"): shard writing and reading.

A shard is written under a temporary name and renamed when complete, so a killed run never leaves a
half-written shard that looks finished. Datasets are written without timestamps, so the same
inputs give byte-identical shard files.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np
import pandas as pd

from pipeline import __version__

SHARD_GLOB = "shard-*.h5"
TMP_SUFFIX = ".tmp"
STR = h5py.string_dtype("utf-8")


@dataclass(frozen=True)
class StoreInfo:
    """What a writer stamps on every shard; resume trusts only shards whose digest matches."""

    modality: str
    model: str
    revision: str
    layers: list[int]
    dim: int
    params_digest: str
    random_init: bool
    frames: int = 0  # K for video stores, 0 otherwise

    def attrs(self) -> dict[str, object]:
        return {
            "modality": self.modality,
            "model": self.model,
            "revision": self.revision,
            "layers": np.asarray(self.layers, np.int64),
            "dim": self.dim,
            "dtype": "float16",
            "pipeline_version": __version__,
            "params_digest": self.params_digest,
            "random_init": self.random_init,
        }


@dataclass
class Batch:
    names: list[str]
    utt: np.ndarray  # (B, L, D)
    ok: np.ndarray  # (B,)
    errors: list[str]
    frames: np.ndarray | None = None  # (B, K, D)
    frame_mask: np.ndarray | None = None  # (B, K)


@dataclass
class ShardWriter:
    path: Path
    info: StoreInfo
    capacity: int
    inputs_digest: str = ""  # fingerprint of this shard's input files and transcripts
    written: int = 0
    _file: h5py.File | None = field(default=None, repr=False)

    def __enter__(self) -> ShardWriter:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file = h5py.File(self.tmp_path, "w", track_order=False)
        f, n, info = self._file, self.capacity, self.info
        for key, value in info.attrs().items():
            f.attrs[key] = value
        f.attrs["inputs_digest"] = self.inputs_digest
        opts = {"track_times": False}
        f.create_dataset("names", (n,), dtype=STR, **opts)
        f.create_dataset("utt", (n, len(info.layers), info.dim), dtype=np.float16, **opts)
        f.create_dataset("ok", (n,), dtype=bool, **opts)
        f.create_dataset("error", (n,), dtype=STR, **opts)
        if info.frames:
            f.create_dataset("frames", (n, info.frames, info.dim), dtype=np.float16, **opts)
            f.create_dataset("frame_mask", (n, info.frames), dtype=bool, **opts)
        return self

    @property
    def tmp_path(self) -> Path:
        return self.path.with_name(self.path.name + TMP_SUFFIX)

    def write(self, batch: Batch) -> None:
        f, s = self._file, slice(self.written, self.written + len(batch.names))
        f["names"][s] = batch.names
        f["utt"][s] = batch.utt.astype(np.float16)
        f["ok"][s] = batch.ok
        f["error"][s] = batch.errors
        if self.info.frames:
            f["frames"][s] = batch.frames.astype(np.float16)
            f["frame_mask"][s] = batch.frame_mask
        self.written = s.stop

    def __exit__(self, exc_type, exc, tb) -> None:
        self._file.close()
        if exc_type is None and self.written == self.capacity:
            os.replace(self.tmp_path, self.path)
        else:
            self.tmp_path.unlink(missing_ok=True)


class ShardHeader(NamedTuple):
    names: list[str]
    params_digest: str
    inputs_digest: str


def shard_header(path: Path) -> ShardHeader | None:
    """What resume compares with its plan, in one read; None when the shard cannot be read (it is redone)."""
    try:
        with h5py.File(path, "r") as f:
            names = [n.decode() if isinstance(n, bytes) else n for n in f["names"][:]]
            return ShardHeader(names, str(f.attrs["params_digest"]), str(f.attrs["inputs_digest"]))
    except (OSError, KeyError):
        return None


def shard_paths(store: Path) -> list[Path]:
    return sorted(store.glob(SHARD_GLOB))


def read_failures(store: Path) -> pd.DataFrame:
    """(name, error) for every clip stored with ok = false, across all shards."""
    rows = []
    for path in shard_paths(store):
        with h5py.File(path, "r") as f:
            ok = f["ok"][:]
            names, errors = f["names"][:], f["error"][:]
            rows += [(names[i].decode(), errors[i].decode()) for i in np.flatnonzero(~ok)]
    return pd.DataFrame(rows, columns=["name", "error"])


def write_failures(store: Path) -> pd.DataFrame:
    failures = read_failures(store)
    tmp = store / "failures.csv.tmp"
    failures.to_csv(tmp, index=False, lineterminator="\n")
    os.replace(tmp, store / "failures.csv")
    return failures


def store_info(store: Path) -> dict[str, object]:
    """Summary for `mer features info`: n, layers, dim, failed, model and whether it was a stand-in."""
    paths = shard_paths(store)
    if not paths:
        raise FileNotFoundError(f"{store}: no shard-*.h5 files; run the extract stage first")
    n, failed, absent = 0, 0, 0
    for path in paths:
        with h5py.File(path, "r") as f:
            attrs = dict(f.attrs)
            ok, errors = f["ok"][:], f["error"][:]
            n += len(ok)
            absent += sum(e.startswith(b"absent") for e in errors[~ok])
            failed += int((~ok).sum())
    return {
        "store": str(store),
        "modality": str(attrs["modality"]),
        "model": str(attrs["model"]),
        "random_init": bool(attrs.get("random_init", False)),
        "n": n,
        "layers": [int(i) for i in attrs["layers"]],
        "dim": int(attrs["dim"]),
        "failed": failed - absent,
        "absent": absent,
        "shards": len(paths),
        "pipeline_version": str(attrs["pipeline_version"]),
    }


def info_json(store: Path) -> str:
    return json.dumps(store_info(store), indent=2)
