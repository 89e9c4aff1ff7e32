"""Writes that never leave a half-finished file or folder where a finished one is expected.

A file is written under a temporary name unique to its writer (two processes writing one shard never
share a temporary file) and renamed when complete. A whole folder (a store, a model) is built beside the
old one and swapped in only when complete, so a failure leaves the old folder byte-identical.
"""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TMP_SUFFIX = ".tmp"
_WRITER = re.compile(r"\.(\d+)-[0-9a-f]{8}\.tmp$")


def temporary_name(path: Path) -> Path:
    """`path` with this writer's own suffix (process id and a random part) beside it."""
    return path.with_name(f"{path.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}{TMP_SUFFIX}")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def stale_temporaries(folder: Path) -> list[Path]:
    """Temporary files left by writers that are gone (killed): safe to delete; a live writer's are not."""
    stale = []
    for path in folder.glob(f"*{TMP_SUFFIX}"):
        writer = _WRITER.search(path.name)
        if writer is None or not _alive(int(writer.group(1))):
            stale.append(path)
    return stale


@contextmanager
def replaced_folder(target: Path) -> Iterator[Path]:
    """Yield an empty folder beside `target` to build the new contents in; on success it takes
    `target`'s place, on any failure it is removed and `target` is untouched."""
    tag = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging = target.with_name(f".{target.name}.new-{tag}")
    staging.mkdir(parents=True)
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = target.with_name(f".{target.name}.old-{tag}")
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def write_note(folder: Path, name: str, text: str) -> None:
    """`folder` holding just one note (why there is no model in it), swapped in like any model folder."""
    with replaced_folder(folder) as out:
        (out / name).write_text(f"{text}\n")
