"""Merge stores extracted on several machines (`mer extract --shard i/N`) into one store folder.

Shard files are named by their hash bucket, so the parts are disjoint and merging is copying;
a shard present in two parts must be byte-identical, and all parts must come from the same settings.
"""

from __future__ import annotations

import filecmp
import shutil
from pathlib import Path

import h5py

from pipeline.atomic import replaced_folder
from pipeline.features.store import shard_paths, write_failures


class MergeError(ValueError):
    """Parts that cannot form one store (different settings, or conflicting shard files)."""


def _identity(path: Path) -> tuple[str, str]:
    with h5py.File(path, "r") as f:
        return str(f.attrs["modality"]), str(f.attrs["params_digest"])


def merge_stores(out: Path, parts: list[Path]) -> int:
    """Copy every part's shards into `out` (checked first, so a refused merge writes nothing; the merged
    store is built beside `out` and replaces it when complete)."""
    sources: dict[str, Path] = {p.name: p for p in shard_paths(out)}
    expected = _identity(next(iter(sources.values()))) if sources else None
    for part in parts:
        paths = shard_paths(part)
        if not paths:
            raise MergeError(f"{part}: no shard-*.h5 files to merge")
        for path in paths:
            identity = _identity(path)
            expected = expected or identity
            if identity != expected:
                raise MergeError(
                    f"{path}: modality/params digest {identity} differ from {expected}; extract all parts "
                    "with the same params.yaml and code version"
                )
            known = sources.get(path.name)
            if known is not None and not filecmp.cmp(known, path, shallow=False):
                raise MergeError(f"{path} and {known} are different versions of the same shard")
            sources.setdefault(path.name, path)
    copied = 0
    with replaced_folder(out) as staging:  # a failure (a full disk) leaves `out` as it was
        for name, path in sorted(sources.items()):
            shutil.copyfile(path, staging / name)
            copied += path.parent.resolve() != out.resolve()
        write_failures(staging)
    return copied
