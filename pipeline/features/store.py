"""HDF5 feature stores (DESIGN.md "Feature store"): shard writing and reading.

A shard is built in memory, written under a temporary name and renamed when complete, so a killed
run never leaves a half-written shard that looks finished. Datasets are written without
timestamps, so the same inputs give byte-identical shard files. The numeric datasets carry HDF5's
fletcher32 checksum per chunk (HDF5 allows no filter on the string ones, so names, error and inputs
carry a SHA-256 each in the attribute `<key>_sha256`): damage on disk, or names swapped inside a shard, is
an error on reading, and resume re-extracts a damaged shard instead of keeping it.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import NamedTuple

import h5py
import numpy as np
import pandas as pd

from pipeline import __version__
from pipeline.atomic import replaced_folder, temporary_name
from pipeline.errors import DamagedShard, StoreWriteError

SHARD_GLOB = "shard-*.h5"
STR = h5py.string_dtype("utf-8")
STRINGS = ("names", "error", "inputs")  # each carries a SHA-256 in the attribute <key>_sha256
CHUNK_BYTES = 16 << 20  # largest utt chunk
CHECKSUMMED = ("utt", "ok", "frames", "frame_mask")


def strings_digest(values: list[str]) -> str:
    """The checksum of a string dataset, in its order (names are the rows every reader aligns to)."""
    joined = "\0".join(values).encode("utf-8", "surrogateescape")
    return hashlib.sha256(joined).hexdigest()


def strings_problem(f: h5py.File, key: str, values: list[str]) -> str | None:
    """Why a shard's string dataset cannot be trusted (it does not match its recorded checksum), or None.
    Shards written before the checksums existed have none to compare."""
    recorded = f.attrs.get(f"{key}_sha256")
    if recorded is None or str(recorded) == strings_digest(values):
        return None
    return f"the clip {key} do not match their recorded checksum (edited, swapped or damaged)"


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
    dtype: str = "float16"  # of utt and frames: float32 where the values do not fit float16

    def attrs(self) -> dict[str, object]:
        return {
            "modality": self.modality,
            "model": self.model,
            "revision": self.revision,
            "layers": np.asarray(self.layers, np.int64),
            "dim": self.dim,
            "dtype": self.dtype,
            "pipeline_version": __version__,
            "params_digest": self.params_digest,
            "random_init": self.random_init,
        }

    @classmethod
    def of_shard(cls, path: Path) -> StoreInfo:
        """What the writer stamped on a shard: rewriting it from kept rows needs no model."""
        with h5py.File(path, "r") as f:
            a = f.attrs
            frames = f["frames"].shape[1] if "frames" in f else 0
            return cls(
                str(a["modality"]),
                str(a["model"]),
                str(a["revision"]),
                [int(i) for i in a["layers"]],
                int(a["dim"]),
                str(a["params_digest"]),
                bool(a["random_init"]),
                frames,
                str(a.get("dtype", "float16")),
            )


@dataclass
class Batch:
    names: list[str]
    utt: np.ndarray  # (B, L, D)
    ok: np.ndarray  # (B,)
    errors: list[str]
    frames: np.ndarray | None = None  # (B, K, D)
    frame_mask: np.ndarray | None = None  # (B, K)
    inputs: list[str] | None = None  # per clip: fingerprint of its input files and transcript

    def take(self, names: list[str]) -> Batch:
        """These rows, in this order."""
        position = {name: i for i, name in enumerate(self.names)}
        rows = np.array([position[n] for n in names], np.int64)
        return Batch(
            names,
            self.utt[rows],
            self.ok[rows],
            [self.errors[i] for i in rows],
            None if self.frames is None else self.frames[rows],
            None if self.frame_mask is None else self.frame_mask[rows],
            None if self.inputs is None else [self.inputs[i] for i in rows],
        )


def concat(batches: list[Batch]) -> Batch:
    def join(arrays: list) -> np.ndarray | None:
        return None if arrays[0] is None else np.concatenate(arrays)

    return Batch(
        [n for b in batches for n in b.names],
        np.concatenate([b.utt for b in batches]),
        np.concatenate([b.ok for b in batches]),
        [e for b in batches for e in b.errors],
        join([b.frames for b in batches]),
        join([b.frame_mask for b in batches]),
        [x for b in batches for x in (b.inputs or [""] * len(b.names))],
    )


def shard_filename(index: int) -> str:
    return f"shard-{index:05d}.h5"


def shard_of(name: str, shards: int) -> int:
    """A clip's shard: a hash of its name, so adding clips never moves the others."""
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).digest()
    return int.from_bytes(digest[:8], "big") % shards


def shard_rows(names: list[str], shards: int) -> dict[int, list[int]]:
    """Non-empty shards by index, each with the positions of its names sorted by name (independent of
    the input order)."""
    buckets: dict[int, list[int]] = {}
    for row, name in enumerate(names):
        buckets.setdefault(shard_of(name, shards), []).append(row)
    return {i: sorted(buckets[i], key=lambda r: names[r]) for i in sorted(buckets)}


def _layer_chunks(shape: tuple[int, int, int], itemsize: int) -> tuple[int, int, int] | None:
    """One layer of many clips per HDF5 chunk, so a view of a few layers reads only those layers' bytes
    (a clip-major layout makes HDF5 read nearly the whole shard for one layer). At most 16 MiB each;
    an empty shard stays contiguous (HDF5 refuses chunks larger than the data)."""
    if 0 in shape:
        return None
    return max(1, min(shape[0], CHUNK_BYTES // (itemsize * shape[2]))), 1, shape[2]


def _shard_image(info: StoreInfo, batch: Batch) -> memoryview:
    """The whole shard as HDF5 bytes, built in memory (datasets created, then filled: this order and
    layout are what makes equal inputs give equal bytes across versions). `batch` holds utt and frames
    in the store's dtype already (_in_dtype)."""
    image, n = io.BytesIO(), len(batch.names)
    with h5py.File(image, "w", track_order=False) as f:
        for key, value in info.attrs().items():
            f.attrs[key] = value
        columns = {
            "names": (batch.names, (n,), STR),
            "utt": (batch.utt, (n, len(info.layers), info.dim), info.dtype),
            "ok": (batch.ok, (n,), bool),
            "error": (batch.errors, (n,), STR),
            "inputs": (batch.inputs or [""] * n, (n,), STR),
        }
        if info.frames:
            columns["frames"] = (batch.frames, (n, info.frames, info.dim), info.dtype)
            columns["frame_mask"] = (batch.frame_mask, (n, info.frames), bool)
        for key in STRINGS:
            f.attrs[f"{key}_sha256"] = strings_digest(columns[key][0])
        for key, (_, shape, dtype) in columns.items():
            chunks = _layer_chunks(shape, np.dtype(dtype).itemsize) if key == "utt" else None
            checksum = key in CHECKSUMMED and 0 not in shape  # an empty dataset cannot be chunked
            f.create_dataset(key, shape, dtype=dtype, chunks=chunks, fletcher32=checksum, track_times=False)
        for key, (values, _, _) in columns.items():
            f[key][0:n] = values
    return image.getbuffer()


def _in_dtype(path: Path, info: StoreInfo, key: str, values: np.ndarray | None) -> np.ndarray | None:
    """The values cast to the store's dtype, each finite: an overflow is an error naming the dimensions,
    never inf on disk."""
    if values is None:
        return None
    with np.errstate(over="ignore"):
        stored = values.astype(info.dtype, copy=False)
    bad = ~np.isfinite(stored)
    if bad.any():
        dims = np.flatnonzero(bad.reshape(-1, bad.shape[-1]).any(axis=0))
        largest = float(np.nanmax(np.abs(values[bad])))
        raise StoreWriteError(
            f"{path.parent} ({info.model}): {key} values in dimension(s) {dims[:10].tolist()}"
            f"{' ...' if len(dims) > 10 else ''} ({len(dims)} in all) are not finite as {info.dtype} "
            f"(largest magnitude {largest:.3g}; float16 holds up to 65504): nothing was written. "
            "Store such features as float32 (handcrafted extractors do) or fix the values"
        )
    return stored


def write_shard(path: Path, info: StoreInfo, batch: Batch) -> None:
    """Write one complete shard: built in memory, written with plain file I/O under a temporary name,
    then renamed. A full disk then raises a clean StoreWriteError (HDF5 itself fails badly there)."""
    batch = replace(
        batch,
        utt=_in_dtype(path, info, "utt", batch.utt),
        frames=_in_dtype(path, info, "frames", batch.frames),
    )
    image, tmp = _shard_image(info, batch), temporary_name(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as handle:
            handle.write(image)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise StoreWriteError(
            f"{path}: cannot write the shard ({exc}). Disk full or no permission? The finished shards "
            "are untouched; free space (or fix the folder) and re-run to resume."
        ) from exc


def damage(path: Path) -> str | None:
    """Why the shard's data cannot be trusted (a checksum mismatch, an unreadable file), or None.
    Reads every dataset in full: shards written before checksums were added are only read."""
    try:
        with h5py.File(path, "r") as f:
            for key in f:
                f[key][...]
            found = (strings_problem(f, k, decode_strings(f[k][:])) for k in STRINGS if k in f)
            return next((problem for problem in found if problem), None)
    except (OSError, KeyError) as exc:
        return f"{type(exc).__name__}: {exc}"


def damaged_error(path: Path, reason: str) -> DamagedShard:
    return DamagedShard(
        f"{path}: the shard is damaged (checksum or read failure: {reason}); re-run its extract stage "
        "(`dvc repro`, or `mer extract SET`), which re-extracts damaged shards, or restore it with "
        "`dvc checkout`"
    )


class ShardHeader(NamedTuple):
    names: list[str]
    params_digest: str
    inputs: list[str]  # per clip: fingerprint of its inputs ("" where unknown, e.g. imported stores)


def decode_strings(values: np.ndarray) -> list[str]:
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def shard_header(path: Path) -> ShardHeader | None:
    """What resume compares with its plan, in one read; None when the shard cannot be read (it is redone)."""
    try:
        with h5py.File(path, "r") as f:
            names = decode_strings(f["names"][:])
            inputs = decode_strings(f["inputs"][:]) if "inputs" in f else [""] * len(names)
            return ShardHeader(names, str(f.attrs["params_digest"]), inputs)
    except (OSError, KeyError):
        return None


def checked_names(f: h5py.File, path: Path) -> list[str]:
    """A shard's clip names, or DamagedShard when they fail their checksum."""
    names = decode_strings(f["names"][:])
    problem = strings_problem(f, "names", names)
    if problem:
        raise damaged_error(path, problem)
    return names


def read_rows(path: Path, names: list[str]) -> Batch:
    """Stored rows of `names`, to carry them into a rewritten shard without extracting them again."""
    with h5py.File(path, "r") as f:
        stored = Batch(
            checked_names(f, path),
            f["utt"][:],
            f["ok"][:],
            decode_strings(f["error"][:]),
            f["frames"][:] if "frames" in f else None,
            f["frame_mask"][:] if "frame_mask" in f else None,
            decode_strings(f["inputs"][:]) if "inputs" in f else None,
        )
    return stored.take(names)


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
    tmp = temporary_name(store / "failures.csv")
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


def write_store(store: Path, names: list[str], info: StoreInfo, batch: Batch, shards: int) -> None:
    """A whole store at once (a set computed from other sets, or all absent): every shard, failures.csv,
    built beside the old store and swapped in when complete."""
    with replaced_folder(store) as staging:
        for index, rows in shard_rows(names, shards).items():
            write_shard(staging / shard_filename(index), info, batch.take([names[r] for r in rows]))
        write_failures(staging)
