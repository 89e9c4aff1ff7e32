"""Interop with MERTools feature folders (`<feature>-UTT/<name>.npy`, one vector per clip).

Import turns such a folder into a store (L = 1) so a team keeps features it already extracted;
export writes one chosen layer of a store back as one .npy per clip.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from pipeline.features.reader import read_store
from pipeline.features.store import (
    Batch,
    StoreInfo,
    shard_header,
    shard_paths,
    write_failures,
    write_shard,
)


def _vector(path: Path) -> np.ndarray:
    array = np.load(path, allow_pickle=False)
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1:
        raise ValueError(f"{path}: expected one vector per clip, got shape {array.shape}")
    return array.astype(np.float32)


def import_folder(folder: Path, store: Path, modality: str, shard_size: int = 1000) -> int:
    """Every <name>.npy in `folder` into `store`; an unreadable file becomes a failure row, not a crash."""
    files = sorted(folder.glob("*.npy"))
    if not files:
        raise FileNotFoundError(f"{folder}: no .npy files (expected a MERTools <feature>-UTT folder)")
    dim = len(_vector(files[0]))
    digest = hashlib.sha256(f"mertools:{folder.name}:{dim}".encode()).hexdigest()[:16]
    info = StoreInfo(modality, f"mertools:{folder.name}", "", [0], dim, digest, False, dtype="float32")
    for old in shard_paths(store):
        old.unlink()
    for index, start in enumerate(range(0, len(files), shard_size)):
        chunk = files[start : start + shard_size]
        utt, ok, errors = np.zeros((len(chunk), 1, dim), np.float32), np.zeros(len(chunk), bool), []
        for i, path in enumerate(chunk):
            try:
                vector = _vector(path)
                if len(vector) != dim:
                    raise ValueError(f"{path.name}: dimension {len(vector)}, the folder's is {dim}")
                utt[i, 0], ok[i] = vector, True
                errors.append("")
            except (ValueError, OSError) as exc:
                errors.append(f"failed: {exc}")
        write_shard(store / f"shard-{index:05d}.h5", info, Batch([p.stem for p in chunk], utt, ok, errors))
    write_failures(store)
    return len(files)


def export_folder(store: Path, folder: Path, layer: int = -1) -> int:
    """One .npy per clip with ok = true: the store's `layer` (an index into its stored layers)."""
    headers = [shard_header(path) for path in shard_paths(store)]
    names = [name for header in headers if header for name in header.names]
    arrays = read_store(store, names, layers=[layer], key="mer features export --layer")
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for name, vector, ok in zip(names, arrays.utt[:, 0], arrays.ok, strict=True):
        if ok:
            np.save(folder / f"{name}.npy", vector)
            written += 1
    return written
