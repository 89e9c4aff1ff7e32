"""Interop with MERTools feature folders (`<feature>-UTT/<name>.npy`, one vector per clip).

Import turns such a folder into a store (L = 1) so a team keeps features it already extracted;
export writes one chosen layer of a store back as one .npy per clip.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from pipeline.atomic import replaced_folder
from pipeline.errors import BadInput
from pipeline.features.reader import read_store
from pipeline.features.store import (
    Batch,
    StoreInfo,
    shard_filename,
    shard_header,
    shard_paths,
    write_failures,
    write_shard,
)


def _vector(path: Path) -> np.ndarray:
    """One clip's vector; a file that is not one finite numeric vector is a ValueError saying why."""
    try:
        array = np.load(path, allow_pickle=False)
    except ValueError as exc:  # numpy refuses object arrays: unpickling them could run code
        raise ValueError(f"{path.name}: not a plain numeric array ({exc})") from None
    if array.ndim == 2 and array.shape[0] == 1:
        array = array[0]
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"{path.name}: expected one numeric vector per clip, got {array.dtype} {array.shape}"
        )
    vector = array.astype(np.float32)
    if not np.isfinite(vector).all():
        raise ValueError(f"{path.name}: {int((~np.isfinite(vector)).sum())} value(s) are NaN or infinite")
    return vector


def _outcome(path: Path, dim: int | None) -> tuple[np.ndarray | None, str]:
    """(vector, "") or (None, why the file cannot be stored)."""
    try:
        vector = _vector(path)
    except (ValueError, OSError) as exc:
        return None, f"failed: {exc}"
    if dim is not None and len(vector) != dim:
        return None, f"failed: {path.name}: dimension {len(vector)}, the folder's is {dim}"
    return vector, ""


def _folder_dim(files: list[Path]) -> int:
    """The dimension of the first readable vector: the folder's."""
    for path in files:
        vector, _ = _outcome(path, None)
        if vector is not None:
            return len(vector)
    raise BadInput(
        f"{files[0].parent}: none of its {len(files)} .npy file(s) holds a readable numeric vector (e.g. "
        f"{_outcome(files[0], None)[1].removeprefix('failed: ')}); nothing was written"
    )


def import_folder(folder: Path, store: Path, modality: str, shard_size: int = 1000) -> int:
    """Every <name>.npy in `folder` into `store`; an unreadable file becomes a failure row, not a crash.
    The new store is built beside the old one and replaces it only when complete."""
    files = sorted(folder.glob("*.npy"))
    if not files:
        raise FileNotFoundError(f"{folder}: no .npy files (expected a MERTools <feature>-UTT folder)")
    dim = _folder_dim(files)
    digest = hashlib.sha256(f"mertools:{folder.name}:{dim}".encode()).hexdigest()[:16]
    info = StoreInfo(modality, f"mertools:{folder.name}", "", [0], dim, digest, False, dtype="float32")
    with replaced_folder(store) as staging:
        for index, start in enumerate(range(0, len(files), shard_size)):
            chunk = files[start : start + shard_size]
            utt, ok, errors = np.zeros((len(chunk), 1, dim), np.float32), np.zeros(len(chunk), bool), []
            for i, path in enumerate(chunk):
                vector, error = _outcome(path, dim)
                if vector is not None:
                    utt[i, 0], ok[i] = vector, True
                errors.append(error)
            batch = Batch([p.stem for p in chunk], utt, ok, errors)
            write_shard(staging / shard_filename(index), info, batch)
        write_failures(staging)
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
